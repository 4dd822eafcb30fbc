"""The demo: facilities placed for every community, a network that covers the buildings."""

from __future__ import annotations

import pytest

from shequ.facilities import accessibility, demo
from shequ.facilities.models import BuildingAccess, Facility

pytestmark = pytest.mark.django_db


def test_every_community_and_village_gets_a_comprehensive_facility(units, places):
    count = demo.place_demo_facilities(seed=3)
    assert count == Facility.objects.count()
    communities = {"220403001001", "220403001002", "220403002001", "220403100200"}
    with_comp = set(
        Facility.objects.filter(type__code="comprehensive").values_list("unit__code", flat=True)
    )
    assert with_comp == communities
    stations = Facility.objects.filter(type__code="social_work_station")
    assert set(stations.values_list("unit__code", flat=True)) == {
        "220403001",
        "220403002",
        "220403100",
    }
    # where buildings exist, facilities stand near them
    near = Facility.objects.filter(unit__code="220403001001", lat__isnull=False)
    assert near.exists() and all(abs(f.lat - 42.9) < 0.01 for f in near)


def test_the_demo_is_deterministic(units):
    demo.place_demo_facilities(seed=5)
    first = sorted(Facility.objects.values_list("name", "floor_area", "activity_area"))
    demo.place_demo_facilities(seed=5)
    assert sorted(Facility.objects.values_list("name", "floor_area", "activity_area")) == first


def test_the_demo_network_covers_the_buildings_and_access_is_computed(units, places, settings):
    demo.place_demo_facilities(seed=1)
    path = demo.demo_network(seed=1, margin_m=300)
    assert path == settings.VAR_DIR / "network.npz" and path.exists()
    network = accessibility.load_district_network()
    run = accessibility.compute_access(network)
    assert run.status == "done"
    located = BuildingAccess.objects.filter(type__code="comprehensive")
    assert located.count() == 4
    assert all(a.minutes is not None and a.minutes < 15 for a in located)


def test_the_demo_command_places_builds_and_computes(units, places, settings):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("load_demo_facilities", "--seed", "2", stdout=out)
    text = out.getvalue()
    assert "设施：" in text and "100%" in text and (settings.VAR_DIR / "network.npz").exists()
    assert BuildingAccess.objects.exists()
