"""Facility fixtures on the shared personas: a small street of buildings on a straight road.

泰安社区 (clerk_a's) has a comprehensive facility that meets the plan and a parcel station;
仙城社区 (clerk_b's) has a comprehensive facility that does not. Buildings of 泰安社区 sit on
a line of road nodes 0.001° of longitude apart, so walking distances are known exactly.
"""

from __future__ import annotations

from datetime import date, time

import numpy as np
import pytest

LAT = 42.90
LON0 = 125.13
STEP = 0.001  # degrees of longitude between road nodes (about 81.5 m at 42.9° N)


@pytest.fixture(autouse=True)
def _immediate_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.VAR_DIR = tmp_path
    settings.ACCESS_NETWORK_FILE = None


@pytest.fixture
def line_network():
    """Six road nodes in a straight east–west line, one edge between neighbours."""
    from shequ.access.network import Network

    lon = LON0 + STEP * np.arange(6)
    lat = np.full(6, LAT)
    return Network.from_edges(lon, lat, [0, 1, 2, 3, 4], [1, 2, 3, 4, 5])


def make_facility(unit, type_code, name, *, lon=None, lat=None, hours=None, **fields):
    from shequ.facilities.models import Facility, FacilityType, OpeningHours

    f = Facility.objects.create(
        type=FacilityType.objects.get(code=type_code),
        unit=unit,
        name=name,
        lon=lon,
        lat=lat,
        **fields,
    )
    for day, span in (hours or {}).items():
        if span == "all_day":
            OpeningHours.objects.create(facility=f, day=day, all_day=True)
        else:
            OpeningHours.objects.create(facility=f, day=day, opens=span[0], closes=span[1])
    return f


GOOD_HOURS = {**{str(d): (time(8, 30), time(17, 30)) for d in range(7)}, "holiday": "all_day"}


@pytest.fixture
def places(units, personas):
    """Buildings, households and facilities; returns them by name."""
    from shequ.registry.models import Building, Household

    ua, ub = units["community_a"], units["community_b"]
    ua.households, ub.households = 1000, 2000
    ua.save(update_fields=["households"])
    ub.save(update_fields=["households"])
    b = {
        # at road nodes 0, 2 and 5 of line_network
        "a0": Building.objects.create(unit=units["grid_a"], number="A0", lon=LON0, lat=LAT),
        "a2": Building.objects.create(
            unit=units["grid_a"], number="A2", lon=LON0 + 2 * STEP, lat=LAT
        ),
        "a5": Building.objects.create(
            unit=units["grid_a2"], number="A5", lon=LON0 + 5 * STEP, lat=LAT
        ),
        "b1": Building.objects.create(unit=ub, number="B1", lon=LON0 + STEP, lat=LAT),
        "nowhere": Building.objects.create(unit=units["grid_a"], number="X"),
    }
    for i, key in enumerate(["a0", "a0", "a2", "a5", "b1", "nowhere"]):
        Household.objects.create(number=f"H{i}", unit=b[key].unit, building=b[key])
    comp_a = make_facility(
        ua,
        "comprehensive",
        "泰安社区党群服务中心",
        lon=LON0,
        lat=LAT,
        hours=GOOD_HOURS,
        floor_area=400,
        activity_area=300,
        office_area=50,
        staff_on_duty=2,
    )
    parcel_a = make_facility(ua, "parcel", "泰安快递驿站", lon=LON0 + 5 * STEP, lat=LAT)
    comp_b = make_facility(
        ub,
        "comprehensive",
        "仙城社区党群服务中心",
        lon=LON0 + STEP,
        lat=LAT,
        hours={"0": (time(9, 0), time(15, 0))},
        floor_area=300,
        activity_area=120,
        staff_on_duty=1,
    )
    return {**b, "comp_a": comp_a, "parcel_a": parcel_a, "comp_b": comp_b}


def person(unit, household, birth: date, seq: int):
    from shequ.registry.models import Person

    return Person.objects.create(
        name=f"居民{seq}",
        sex="F",
        birth_date=birth,
        unit=unit,
        household=household,
        id_number_enc="x",
        id_number_hash=f"h{seq}",
        id_number_mask=f"m{seq}",
    )
