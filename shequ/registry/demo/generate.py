"""``generate(seed, scale)``: the whole demo district as a :class:`DemoPlan`, no database.

Sizes come from the plan: new urban communities "一般控制在3000-4000户" ((十一)), villages
300–800 households; grids of ~300–400 households in communities and ~150–250 in villages
(村民小组). ``scale`` shrinks households and buildings, not the tree: the grids and the
community staff are those of the full-size district, so a tiny demo still has every role.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path
from random import Random

from shequ.registry.demo import geometry as geo
from shequ.registry.demo import people, staff
from shequ.registry.demo.names import chinese_number
from shequ.registry.demo.plan import (
    BuildingPlan,
    DemoPlan,
    HouseholdPlan,
    PersonPlan,
    UnitPlan,
    WorkerPlan,
)
from shequ.registry.divisions import DEFAULT_CSV, DEFAULT_ROOT, Division, name_stem, read_divisions
from shequ.registry.models import GridRole, Level

# The demo registry is a snapshot "as of" this day, so the same seed and scale always give
# the same people (ages, tags and trainings are relative to it). See load_demo --as-of.
DEMO_AS_OF = date(2026, 6, 30)

URBAN_HOUSEHOLDS = (3000, 4000)  # plan (十一): new communities of 3,000–4,000 households
VILLAGE_HOUSEHOLDS = (300, 800)
URBAN_GRID_SIZE = (300, 400)
VILLAGE_GRID_SIZE = (150, 250)
URBAN_DENSITY = 8000  # households per km² in the old walk-up neighbourhoods
# fmt: off
_COMPOUNDS = ("小区", "家园", "花园", "新村", "嘉园", "佳苑", "北区", "南区", "东区", "西区",
              "雅居", "福苑", "和园", "丽景", "盛世")
# fmt: on


def generate(
    seed: int = 1,
    scale: float = 1.0,
    as_of: date = DEMO_AS_OF,
    *,
    root: str = DEFAULT_ROOT,
    csv_path: str | Path = DEFAULT_CSV,
) -> DemoPlan:
    """The demo for ``seed`` and ``scale`` (1 ≈ 65,000 households); deterministic."""
    if not 0 < scale <= 10:
        raise ValueError("scale must be in (0, 10]")
    divisions = read_divisions(csv_path, root)
    plan = DemoPlan(seed=seed, scale=scale, as_of=as_of, root=root)
    rng = Random(seed)
    units = {d.code: _unit(d) for d in divisions}
    communities = [u for u in units.values() if u.level == Level.COMMUNITY]
    nominal = {
        u.code: rng.randint(*(URBAN_HOUSEHOLDS if u.is_urban else VILLAGE_HOUSEHOLDS))
        for u in communities
    }
    shapes = _layout(rng, divisions, units, nominal)
    ids = people.IdNumbers()
    grids: list[UnitPlan] = []
    for community in communities:
        grids += _community(plan, community, shapes[community.code], nominal[community.code], ids)
    centres = _centres(units, shapes)
    for code, unit in units.items():
        unit.centre, unit.boundary = centres[code], geo.geojson(shapes[code])
    plan.units = sorted([*units.values(), *grids], key=lambda u: u.code)
    _roll_up(plan)
    _link_logins(plan)
    return plan


def _unit(d: Division) -> UnitPlan:
    return UnitPlan(
        code=d.code, name=d.name, level=d.level, parent_code=d.parent_code, is_urban=d.is_urban
    )


def _layout(
    rng: Random, divisions: list[Division], units: dict[str, UnitPlan], nominal: dict[str, int]
) -> dict[str, geo.Polygon]:
    """Polygons of every unit: an urban core for the 街道, Voronoi villages for the towns."""
    shapes: dict[str, geo.Polygon] = {}
    streets = [u for u in units.values() if u.level == Level.STREET]
    children = {s.code: [c for c in units.values() if c.parent_code == s.code] for s in streets}
    urban = [s for s in streets if s.is_urban]
    rural = [s for s in streets if not s.is_urban]
    weight = {s.code: sum(nominal[c.code] for c in children[s.code]) or 1 for s in streets}
    core = _urban_core(urban, weight, shapes)
    for s in urban:
        parts = geo.split(shapes[s.code], [nominal[c.code] for c in children[s.code]])
        shapes.update({c.code: p for c, p in zip(children[s.code], parts, strict=True)})
    villages = [c for s in rural for c in children[s.code]]
    cells = _village_cells(rng, villages, core)
    shapes.update(cells)
    for s in rural:
        shapes[s.code] = geo.outline([shapes[c.code] for c in children[s.code]]) or core
    for d in divisions:  # the district (and any other level above streets)
        if d.code not in shapes:
            shapes[d.code] = geo.hull(
                [p for c, s in shapes.items() if c.startswith(d.code) for p in s]
            )
    return shapes


def _centres(
    units: dict[str, UnitPlan], shapes: dict[str, geo.Polygon]
) -> dict[str, tuple[float, float]]:
    """Centroids, except a town (its seat: the village of the same name, 灯塔镇 → 灯塔村) and
    the district (the urban centre), whose outlines are not convex."""
    centres = {code: geo.to_lat_lon(geo.centroid(shape)) for code, shape in shapes.items()}
    for unit in units.values():
        if unit.level == Level.DISTRICT:
            centres[unit.code] = (geo.CENTRE_LAT, geo.CENTRE_LON)
        elif unit.level == Level.STREET and not unit.is_urban:
            villages = [c for c in units.values() if c.parent_code == unit.code]
            seat = next(
                (v for v in villages if name_stem(v.name) == _town_stem(unit.name)),
                villages[0] if villages else None,
            )
            if seat is not None:
                centres[unit.code] = centres[seat.code]
    return centres


def _town_stem(name: str) -> str:
    return name.removesuffix("镇").removesuffix("乡")


def _urban_core(
    streets: list[UnitPlan], weight: dict[str, int], shapes: dict[str, geo.Polygon]
) -> geo.Polygon:
    """The 街道 side by side in rows of three around the centre, sized by households."""
    area = sum(weight[s.code] for s in streets) / URBAN_DENSITY or 1.0
    width = math.sqrt(area * 1.8)
    height = area / width
    core = geo.rectangle(-width / 2, -height / 2, width / 2, height / 2)
    rows = [streets[i : i + 3] for i in range(0, len(streets), 3)]
    bands = geo.split(core, [sum(weight[s.code] for s in row) for row in rows], along_x=False)
    for row, band in zip(rows, reversed(bands), strict=True):  # first row at the top (north)
        parts = geo.split(band, [weight[s.code] for s in row], along_x=True)
        shapes.update({s.code: p for s, p in zip(row, parts, strict=True)})
    return core


def _village_cells(
    rng: Random, villages: list[UnitPlan], core: geo.Polygon
) -> dict[str, geo.Polygon]:
    """Village sites 4–14.5 km out, not east (龙山区 lies there), and their Voronoi cells."""
    sites = []
    n = len(villages)
    for i in range(n):
        bearing = 150 + 240 * (i + 0.5 + rng.uniform(-0.3, 0.3)) / max(n, 1)
        distance = rng.uniform(4.0, 8.0) if i % 2 == 0 else rng.uniform(9.0, 14.5)
        sites.append(geo.polar(bearing % 360, distance))
    x0, y0, x1, y1 = geo.bbox(core)
    reach = max(x1 - x0, y1 - y0) / 2 + 0.8
    # Ghost sites keep village cells out of the urban core and out of 龙山区 to the east.
    ghosts = [(0.0, 0.0)] + [geo.polar(b, reach) for b in range(0, 360, 45)]
    ghosts += [geo.polar(b, r) for b in range(40, 141, 25) for r in (6.0, 11.0, 16.0)]
    cells = geo.voronoi_cells(sites + ghosts, geo.circle(16.0))
    return {v.code: cell for v, cell in zip(villages, cells, strict=False)}


def _community(
    plan: DemoPlan, community: UnitPlan, shape: geo.Polygon, nominal: int, ids: people.IdNumbers
) -> list[UnitPlan]:
    """Grids, buildings, households, persons and staff of one community or village."""
    rng = Random(f"shequ-demo:{plan.seed}:{community.code}")
    size = URBAN_GRID_SIZE if community.is_urban else VILLAGE_GRID_SIZE
    n_grids = max(1, round(nominal / rng.uniform(*size)))
    weights = [rng.uniform(0.8, 1.2) for _ in range(n_grids)]
    households = _allocate(max(n_grids, round(nominal * plan.scale)), weights)
    grids = []
    for i, (poly, count) in enumerate(zip(geo.split(shape, weights), households, strict=True)):
        code = f"{community.code}{i + 1:03d}"
        grid = UnitPlan(
            code=code,
            name=f"{community.name}第{chinese_number(i + 1)}网格",
            level=Level.GRID,
            parent_code=community.code,
            is_urban=community.is_urban,
            centre=geo.to_lat_lon(geo.centroid(poly)),
            boundary=geo.geojson(poly),
        )
        grids.append(grid)
        grid_rng = Random(f"shequ-demo:{plan.seed}:{code}")
        if community.is_urban:
            compound = name_stem(community.name) + _COMPOUNDS[i % len(_COMPOUNDS)]
            _urban_grid(plan, grid_rng, grid, poly, count, compound, ids)
        else:
            _village_grid(plan, grid_rng, grid, poly, count, f"{community.name}{i + 1}组", ids)
    plan.workers += staff.community_workers(
        rng, community.code, [g.code for g in grids], community.is_urban, plan.as_of
    )
    return grids


def _allocate(total: int, weights: list[float]) -> list[int]:
    """``total`` split by ``weights`` (largest remainder), at least one each."""
    raw = [total * w / sum(weights) for w in weights]
    counts = [max(1, int(r)) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    for i in order[: max(0, total - sum(counts))]:
        counts[i] += 1
    return counts


def _urban_grid(
    plan: DemoPlan,
    rng: Random,
    grid: UnitPlan,
    poly: geo.Polygon,
    count: int,
    compound: str,
    ids: people.IdNumbers,
) -> None:
    """5–7 storey walk-ups, 2–6 stairwells each, two flats a landing, ~10 % flats empty."""
    specs: list[tuple[int, int]] = []
    while sum(f * 2 * u for f, u in specs) * 0.9 < count:
        specs.append(
            (
                rng.choices((5, 6, 7), (40, 45, 15))[0],
                rng.choices((2, 3, 4, 5, 6), (15, 25, 30, 18, 12))[0],
            )
        )
    first = len(plan.buildings)
    for k, ((floors, stairs), point) in enumerate(
        zip(specs, _lattice(rng, poly, len(specs)), strict=True), start=1
    ):
        lat, lon = geo.to_lat_lon(point)
        plan.buildings.append(
            BuildingPlan(
                unit_code=grid.code,
                number=f"{k}号楼",
                address=compound,
                floors=floors,
                lat=lat,
                lon=lon,
                floor_area=round(floors * stairs * 2 * rng.uniform(55, 75), 1),
                stairwells=[f"{u}单元" for u in range(1, stairs + 1)],
            )
        )
    flats = [
        (first + b, u, floor, door)
        for b, (floors, stairs) in enumerate(specs)
        for u in range(1, stairs + 1)
        for floor in range(1, floors + 1)
        for door in (1, 2)
    ]
    residents: dict[tuple[int, str], list[PersonPlan]] = {}
    for seq, i in enumerate(sorted(rng.sample(range(len(flats)), count)), start=1):
        b, u, floor, door = flats[i]
        room = f"{floor}0{door}"
        address = f"{compound}{plan.buildings[b].number}{u}单元{room}室"
        members = _household(plan, rng, grid, seq, b, f"{u}单元", room, address, ids)
        residents.setdefault((b, f"{u}单元"), []).extend(members)
    _volunteers(plan, rng, grid, residents)


def _lattice(rng: Random, poly: geo.Polygon, n: int) -> list[geo.Point]:
    """Buildings in rows across the grid, jittered a little."""
    x0, y0, x1, y1 = geo.bbox(poly)
    cols = max(1, math.ceil(math.sqrt(n * (x1 - x0) / max(y1 - y0, 1e-6))))
    rows = math.ceil(n / cols)
    dx, dy = (x1 - x0) / cols, (y1 - y0) / rows
    points = []
    for k in range(n):
        r, c = divmod(k, cols)
        p = (
            x0 + (c + 0.5 + rng.uniform(-0.15, 0.15)) * dx,
            y1 - (r + 0.5 + rng.uniform(-0.15, 0.15)) * dy,
        )
        points.append(p if geo.contains(poly, p) else geo.random_point(rng, poly))
    return points


def _village_grid(
    plan: DemoPlan,
    rng: Random,
    grid: UnitPlan,
    poly: geo.Polygon,
    count: int,
    group: str,
    ids: people.IdNumbers,
) -> None:
    """One-household houses along the east–west lanes of a hamlet (屯) in the grid."""
    centre = geo.centroid(poly)
    spot = geo.random_point(rng, poly)
    hamlet = (centre[0] + 0.3 * (spot[0] - centre[0]), centre[1] + 0.3 * (spot[1] - centre[1]))
    lanes = max(1, math.ceil(count / 25))
    half_length = 0.025 * math.ceil(count / lanes) / 2  # ~25 m of frontage a house
    for seq in range(1, count + 1):
        lane = rng.randrange(lanes)
        point = (
            hamlet[0] + rng.uniform(-half_length, half_length),
            hamlet[1] + (lane - (lanes - 1) / 2) * 0.08 + rng.uniform(-0.01, 0.01),
        )
        if not geo.contains(poly, point):
            point = hamlet
        lat, lon = geo.to_lat_lon(point)
        plan.buildings.append(
            BuildingPlan(
                unit_code=grid.code,
                number=f"{seq}号",
                address=group,
                floors=1,
                lat=lat,
                lon=lon,
                floor_area=float(rng.randint(60, 120)),
            )
        )
        _household(plan, rng, grid, seq, len(plan.buildings) - 1, None, "", f"{group}{seq}号", ids)


def _household(
    plan: DemoPlan,
    rng: Random,
    grid: UnitPlan,
    seq: int,
    building: int,
    stairwell: str | None,
    room: str,
    address: str,
    ids: people.IdNumbers,
) -> list[PersonPlan]:
    kind = people.pick_kind(rng, grid.is_urban)
    members = people.compose(rng, kind, grid.is_urban)
    index = len(plan.households)
    householder_age = members[0].age
    years = rng.randint(0, max(0, min(35, householder_age - 20)))
    since = plan.as_of - timedelta(days=365 * years + rng.randrange(365))
    plan.households.append(
        HouseholdPlan(
            number=f"{grid.code}{seq:04d}",
            unit_code=grid.code,
            building=building,
            stairwell=stairwell,
            room=room,
            address=address,
            since=since,
            kind=kind,
        )
    )
    persons = people.make_people(rng, members, index, plan.as_of, ids)
    people.add_tags(rng, kind, persons, [m.age for m in members], grid.is_urban, plan.as_of)
    plan.persons += persons
    return persons


def _volunteers(
    plan: DemoPlan, rng: Random, grid: UnitPlan, residents: dict[tuple[int, str], list[PersonPlan]]
) -> None:
    """一格三长: a resident 楼栋长 for most buildings and a 单元长 for most stairwells."""
    by_building: dict[int, list[PersonPlan]] = {}
    for (b, _), persons in residents.items():
        by_building.setdefault(b, []).extend(persons)
    for _, persons in sorted(by_building.items()):
        leader = _volunteer_from(rng, persons, plan.as_of, 45, 75, 0.95)
        if leader:
            plan.workers.append(
                staff.building_volunteer(
                    rng, grid.code, leader.name, leader.phone, GridRole.BUILDING_LEADER, plan.as_of
                )
            )
    for (_, _), persons in sorted(residents.items()):
        leader = _volunteer_from(rng, persons, plan.as_of, 35, 75, 0.8)
        if leader:
            plan.workers.append(
                staff.building_volunteer(
                    rng, grid.code, leader.name, leader.phone, GridRole.UNIT_LEADER, plan.as_of
                )
            )


def _volunteer_from(
    rng: Random, persons: list[PersonPlan], on: date, low: int, high: int, share: float
) -> PersonPlan | None:
    if rng.random() >= share:
        return None
    fit = [p for p in persons if p.phone.startswith("1") and low <= _age(p, on) <= high]
    return rng.choice(fit) if fit else None


def _age(p: PersonPlan, on: date) -> int:
    before_birthday = (on.month, on.day) < (p.birth_date.month, p.birth_date.day)
    return on.year - p.birth_date.year - before_birthday


def _roll_up(plan: DemoPlan) -> None:
    """households/population of every unit: its grids' totals, summed up the code tree."""
    households: dict[str, int] = {}
    population: dict[str, int] = {}
    for h in plan.households:
        households[h.unit_code] = households.get(h.unit_code, 0) + 1
    for p in plan.persons:
        code = plan.households[p.household].unit_code
        population[code] = population.get(code, 0) + 1
    for unit in plan.units:
        unit.households = sum(n for c, n in households.items() if c.startswith(unit.code))
        unit.population = sum(n for c, n in population.items() if c.startswith(unit.code))


def _link_logins(plan: DemoPlan) -> None:
    """The demo grid worker and clerk are real Worker rows of the first urban community."""
    community = next(u for u in plan.units if u.level == Level.COMMUNITY and u.is_urban)
    first_grid = f"{community.code}001"
    staffers: list[WorkerPlan] = [w for w in plan.workers if w.unit_code.startswith(community.code)]
    grid_worker = next(
        w
        for w in staffers
        if w.unit_code == first_grid and w.grid_role in (GridRole.GRID_WORKER, GridRole.GRID_LEADER)
    )
    grid_worker.login = "wangge"
    clerk = next(
        w
        for w in staffers
        if w.unit_code == community.code and not w.grid_role and w.post == "staff"
    )
    clerk.login = "shegong"
