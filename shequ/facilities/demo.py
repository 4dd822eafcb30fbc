"""Demo facilities and a demo street network for a registry that ``load_demo`` has built.

Both are deterministic for a seed. Facilities go where the registry's (generated)
buildings are; the network is a synthetic street grid covering them, because the district
has no OpenStreetMap extract offline. A real district sets ``ACCESS_NETWORK_FILE`` instead.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from datetime import time
from pathlib import Path
from random import Random
from typing import Any

from django.db import transaction

from shequ.facilities.accessibility import default_network_path
from shequ.facilities.models import (
    Facility,
    FacilityType,
    OpeningHours,
    Room,
)
from shequ.registry.models import AdminUnit, Building, Level

DISTRICT_CENTRE = (125.13, 42.90)  # (lon, lat) of 西安区, Liaoyuan
_M_PER_DEG_LAT = 111_000.0

# Per community: (type code, name suffix, how many, probability) — urban and village.
URBAN_TYPES = [
    ("comprehensive", "党群服务中心", 1, 1.0),
    ("self_service", "政务自助服务终端", 1, 0.85),
    ("health", "社区卫生服务站", 1, 0.8),
    ("elderly_care", "老年助餐点", 1, 0.75),
    ("childcare", "托育园", 1, 0.4),
    ("children_home", "儿童之家", 1, 0.9),
    ("reading_room", "社区书屋", 1, 0.7),
    ("sports", "健身广场", 2, 0.8),
    ("market", "便民超市", 2, 0.9),
    ("parcel", "快递驿站", 3, 0.9),
    ("social_work_point", "社工服务点", 1, 0.8),
    ("shelter", "应急避难场所", 1, 0.6),
    ("fire_station", "微型消防站", 1, 0.7),
    ("police_room", "警务室", 1, 0.8),
]
VILLAGE_TYPES = [
    ("comprehensive", "党群服务中心", 1, 1.0),
    ("health", "卫生室", 1, 0.9),
    ("children_home", "儿童之家", 1, 0.6),
    ("reading_room", "农家书屋", 1, 0.8),
    ("sports", "文体广场", 1, 0.7),
    ("market", "便民店", 1, 0.7),
    ("parcel", "村邮快递点", 1, 0.5),
    ("social_work_point", "社工服务点", 1, 0.5),
    ("shelter", "应急避难点", 1, 0.4),
]
ROOMS = [
    ("一站式服务大厅", 0.25, ["service_hall"]),
    ("多功能活动室", 0.3, ["meeting", "study", "civilisation", "party"]),
    ("老年活动室", 0.15, ["elderly", "sports"]),
    ("儿童之家", 0.1, ["children", "reading"]),
    ("值班室", 0.08, ["office"]),
]


Span = tuple[time, time] | str  # (opens, closes) or "all_day"
WORKDAYS: dict[str, Span] = {str(d): (time(8, 30), time(17, 0)) for d in range(5)}
_DAILY_LATE: dict[str, Span] = {str(d): (time(7, 0), time(21, 0)) for d in range(7)}
_ALWAYS: dict[str, Span] = {**{str(d): "all_day" for d in range(7)}, "holiday": "all_day"}
OTHER_HOURS: dict[str, dict[str, Span]] = {
    "market": {**_DAILY_LATE, "holiday": (time(7, 0), time(21, 0))},
    "parcel": {**_DAILY_LATE, "holiday": (time(9, 0), time(18, 0))},
    "elderly_care": {str(d): (time(8, 0), time(18, 0)) for d in range(7)},
    "self_service": {**_ALWAYS},
    "sports": {**_ALWAYS},
    "shelter": {**_ALWAYS},
    "fire_station": {**_ALWAYS},
    "police_room": {**_ALWAYS},
}


def _opening(f: Facility, day: str, span: Span) -> OpeningHours:
    if span == "all_day":
        return OpeningHours(facility=f, day=day, all_day=True)
    return OpeningHours(facility=f, day=day, opens=span[0], closes=span[1])


def _hours(rng: Random, *, good: bool) -> dict[str, Span]:
    """Plausible opening hours; ``good`` ones meet (十二), the others fall short somewhere."""
    hours: dict[str, Span] = {str(d): (time(8, 30), time(17, 30)) for d in range(7)}
    hours["holiday"] = "all_day"
    if good:
        return hours
    flaw = rng.choice(["short_weekend", "closed_sunday", "holiday_part"])
    if flaw == "short_weekend":
        hours["5"] = hours["6"] = (time(9, 0), time(15, 0))
    elif flaw == "closed_sunday":
        del hours["6"]
    else:
        hours["holiday"] = (time(9, 0), time(16, 0))
    return hours


def _near(rng: Random, lon: float, lat: float, metres: float) -> tuple[float, float]:
    dx, dy = rng.uniform(-metres, metres), rng.uniform(-metres, metres)
    return (
        round(lon + dx / (_M_PER_DEG_LAT * math.cos(math.radians(lat))), 6),
        round(lat + dy / _M_PER_DEG_LAT, 6),
    )


@transaction.atomic
def place_demo_facilities(seed: int = 1, *, root: str = "220403", replace: bool = True) -> int:
    """Create plausible facilities for every active community and village under ``root``.

    Each community gets a comprehensive service facility sized from its households (most
    meet the plan's 30 m² per 100 households and 60% activity area, some do not, so the
    checks have something to say), and the other types of the plan with a probability
    each; each street/town gets a social-work station. Points are near the unit's
    buildings (or its centre when it has none). With ``replace`` the facilities under
    ``root`` are deleted first. Writes directly, without audit rows or access runs (the
    loader computes access once at the end). Returns the number of facilities created.
    """
    rng = Random(f"facilities-{seed}")
    types = {t.code: t for t in FacilityType.objects.all()}
    if replace:
        Facility.objects.filter(unit__code__startswith=root).delete()
    units = list(AdminUnit.objects.active().filter(code__startswith=root).order_by("code"))
    spots: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for code, lon, lat in (
        Building.objects.filter(unit__code__startswith=root, lat__isnull=False)
        .order_by("pk")
        .values_list("unit__code", "lon", "lat")
    ):
        for length in (9, 12):
            spots[code[:length]].append((lon, lat))

    def point(unit: AdminUnit) -> tuple[float | None, float | None]:
        if spots.get(unit.code):
            lon, lat = rng.choice(spots[unit.code])
            return _near(rng, lon, lat, 40)
        if unit.centre_lon is not None:
            return _near(rng, unit.centre_lon, unit.centre_lat, 150)
        return None, None

    facilities: list[Facility] = []
    hours: list[OpeningHours] = []
    rooms: list[Room] = []
    for unit in units:
        if unit.level == Level.STREET:
            lon, lat = point(unit)
            name = f"{unit.name}社会工作服务站"
            facilities.append(_facility(types, "social_work_station", unit, name, lon, lat, rng))
            continue
        if unit.level != Level.COMMUNITY:
            continue
        plan = VILLAGE_TYPES if unit.is_village else URBAN_TYPES
        for code, suffix, count, chance in plan:
            if code not in types or rng.random() > chance:
                continue
            for i in range(count):
                lon, lat = point(unit)
                name = f"{unit.name}{suffix}" + (f"{i + 1}号" if count > 1 else "")
                f = _facility(types, code, unit, name, lon, lat, rng)
                facilities.append(f)
    Facility.objects.bulk_create(facilities)
    for f in facilities:
        if not f.type.held_to_standard:
            for day, span in OTHER_HOURS.get(f.type.code, WORKDAYS).items():
                hours.append(_opening(f, day, span))
        else:
            good = rng.random() < 0.75
            for day, span in _hours(rng, good=good).items():
                hours.append(_opening(f, day, span))
            for name, share, funcs in ROOMS:
                area = round((f.floor_area or 0) * share, 1) or None
                rooms.append(Room(facility=f, name=name, area=area, functions=funcs))
    OpeningHours.objects.bulk_create(hours)
    Room.objects.bulk_create(rooms)
    return len(facilities)


def _facility(
    types: dict[str, FacilityType],
    code: str,
    unit: AdminUnit,
    name: str,
    lon: float | None,
    lat: float | None,
    rng: Random,
) -> Facility:
    ftype = types[code]
    f = Facility(type=ftype, unit=unit, name=name, lon=lon, lat=lat, address=f"{unit.name}内")
    if ftype.held_to_standard:
        households = unit.households or 1000
        # Most meet indicator 4 (30 m² per 100 households); about one in six falls short.
        per_100 = rng.uniform(32, 48) if rng.random() < 0.83 else rng.uniform(18, 29)
        f.floor_area = round(max(150.0, households / 100 * per_100), 0)
        share = rng.uniform(0.6, 0.78) if rng.random() < 0.8 else rng.uniform(0.45, 0.59)
        f.activity_area = round(f.floor_area * share, 0)
        f.office_area = round(f.floor_area * rng.uniform(0.08, 0.15), 0)
        f.commercial_area = round(max(0.0, f.floor_area - f.activity_area - f.office_area) / 2)
        f.staff_on_duty = 1 if unit.is_village else rng.choice([1, 2, 2, 3, 3])
    elif code in ("health", "elderly_care", "childcare", "children_home", "reading_room"):
        f.floor_area = float(rng.randrange(60, 300, 10))
        f.activity_area = round(f.floor_area * 0.7, 0)
        f.staff_on_duty = rng.choice([1, 2])
    return f


def demo_network(
    path: str | Path | None = None,
    *,
    seed: int = 1,
    root: str = "220403",
    spacing_m: float = 100.0,
    margin_m: float = 800.0,
    max_nodes: int = 250_000,
) -> Path:
    """Build a synthetic street network covering the demo's buildings and save it.

    A jittered grid with a fifth of its links removed (the engine's ``synthetic_grid``),
    centred on the buildings under ``root`` (or on the district centre, 42.90° N 125.13° E,
    when there are none) and ``margin_m`` wider than they spread; blocks ``spacing_m``
    wide, wider when the area would need more than ``max_nodes`` nodes. Saved as a
    ``.npz`` file that ``shequ.access.load_network`` reads, by default
    ``VAR_DIR/network.npz`` (what the platform reads unless ``ACCESS_NETWORK_FILE`` names
    a real network). Returns the path written.
    """
    from shequ.access import synthetic_grid

    points = list(
        Building.objects.filter(unit__code__startswith=root, lat__isnull=False).values_list(
            "lon", "lat"
        )
    )
    points += [
        (u.centre_lon, u.centre_lat)
        for u in AdminUnit.objects.filter(code__startswith=root, centre_lat__isnull=False)
    ]
    if points:
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        centre = ((min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2)
        m_per_deg_lon = _M_PER_DEG_LAT * math.cos(math.radians(centre[1]))
        width = (max(lons) - min(lons)) * m_per_deg_lon
        height = (max(lats) - min(lats)) * _M_PER_DEG_LAT
        side = max(width, height) + 2 * margin_m
    else:
        centre, side = DISTRICT_CENTRE, 2 * margin_m
    spacing = max(spacing_m, side / (math.sqrt(max_nodes) - 1))
    per_side = math.ceil(side / spacing) + 1
    network = synthetic_grid(
        per_side * per_side, seed=seed, drop=0.2, origin=centre, spacing_m=spacing
    )
    target = Path(path) if path else default_network_path()
    if target.suffix != ".npz":
        target = target.with_suffix(".npz")
    target.parent.mkdir(parents=True, exist_ok=True)
    network.save(target)
    return target


def build_demo(
    seed: int = 1,
    *,
    root: str = "220403",
    network: bool = True,
    compute: bool = True,
    progress: Callable[[int, str], None] | None = None,
) -> dict[str, Any]:
    """Everything the demo loader needs in one call: facilities, network, access.

    Runs :func:`place_demo_facilities`, then :func:`demo_network` (unless ``network`` is
    false), then computes walking access on the network the platform reads (unless
    ``compute`` is false; ``progress(percent, message)`` follows it). Returns counts and
    paths for the loader's summary: ``{"facilities", "network", "run"}``.
    """
    from shequ.facilities import accessibility

    out: dict[str, Any] = {"facilities": place_demo_facilities(seed, root=root)}
    out["network"] = demo_network(seed=seed, root=root) if network else None
    out["run"] = None
    if compute:
        out["run"] = accessibility.compute_access(
            accessibility.load_district_network(),
            progress=progress,
            network_name=accessibility.network_path().name,
        )
    return out
