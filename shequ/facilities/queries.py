"""Reads: facilities with their checks, unit roll-ups and coverage, all limited by scope.

Roll-ups group by the community's 12-digit code prefix in one query per measure and add
up streets and the district in Python, so a page costs the same for 5 units or 500.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Substr

from shequ.accounts.scope import scope_code
from shequ.facilities import checks
from shequ.facilities.models import (
    AccessRun,
    BuildingAccess,
    CoverageFigure,
    CoverageSnapshot,
    Facility,
    FacilityType,
    OpeningHours,
    RunStatus,
)
from shequ.registry.models import AdminUnit, Building, Household, Level, Person

COMMUNITY_CODE = 12  # the length of a community's code; grids append 3 digits
LEVEL_LENGTHS = (6, 9, 12)


def facilities(user: Any, *, unit_code: str = "", type_code: str = "") -> QuerySet[Facility]:
    """Facilities in the user's scope, under a unit and of a type when given; hours
    prefetched so that checks cost no query per row."""
    qs = Facility.objects.in_scope(user).select_related("type", "unit")
    if unit_code:
        qs = qs.filter(unit__code__startswith=unit_code)
    if type_code:
        qs = qs.filter(type__code=type_code)
    return qs.prefetch_related(Prefetch("hours", queryset=OpeningHours.objects.order_by("day")))


def with_checks(rows: QuerySet[Facility] | list[Facility]) -> list[tuple[Facility, list]]:
    return [(f, checks.facility_checks(f)) for f in rows]


def types() -> QuerySet[FacilityType]:
    return FacilityType.objects.order_by("order", "code")


def units_under(user: Any, root: AdminUnit | None) -> QuerySet[AdminUnit]:
    units = AdminUnit.objects.in_scope(user).active()
    return units.filter(code__startswith=root.code) if root else units


def owner_units(user: Any) -> QuerySet[AdminUnit]:
    """The units a user may file a facility under: the district, streets, communities and
    villages of their scope (grids own no facilities)."""
    return AdminUnit.objects.in_scope(user).active().exclude(level=Level.GRID).order_by("code")


def top_unit(user: Any) -> AdminUnit | None:
    """The widest unit a user sees (their scope), or None."""
    return AdminUnit.objects.in_scope(user).active().order_by("code").first()


# -- unit checks (indicators 1, 2, 4, 5, 6) ------------------------------------------------


def unit_facts(user: Any, root: AdminUnit) -> dict[str, tuple[AdminUnit, checks.UnitFacts]]:
    """What the unit rules need, for every community and village under ``root``.

    Households are the unit's recorded count (统计户数), or the registered households when
    it has none recorded.
    """
    communities = list(units_under(user, root).filter(level=Level.COMMUNITY).order_by("code"))
    if root.level == Level.GRID:
        communities = []
    key = Substr("unit__code", 1, COMMUNITY_CODE)
    agg = (
        Facility.objects.in_scope(user)
        .active()
        .filter(
            unit__code__startswith=root.code[:COMMUNITY_CODE],
            type__code__in=[FacilityType.COMPREHENSIVE, FacilityType.SELF_SERVICE],
        )
        .annotate(k=key)
        .values("k", "type__code")
        .annotate(n=Count("id"), area=Sum("floor_area"), activity=Sum("activity_area"))
    )
    found: dict[tuple[str, str], dict] = {(r["k"], r["type__code"]): r for r in agg}
    registered = dict(
        Household.objects.in_scope(user)
        .filter(unit__code__startswith=root.code[:COMMUNITY_CODE])
        .annotate(k=key)
        .values("k")
        .annotate(n=Count("id"))
        .values_list("k", "n")
    )
    facts = {}
    for unit in communities:
        comp = found.get((unit.code, FacilityType.COMPREHENSIVE), {})
        terminal = found.get((unit.code, FacilityType.SELF_SERVICE), {})
        facts[unit.code] = (
            unit,
            checks.UnitFacts(
                is_urban=unit.is_urban,
                is_village=unit.is_village,
                households=unit.households or registered.get(unit.code, 0),
                comprehensive_count=comp.get("n", 0),
                comprehensive_area=comp.get("area") or 0.0,
                comprehensive_activity_area=comp.get("activity") or 0.0,
                self_service_count=terminal.get("n", 0),
            ),
        )
    return facts


@dataclass
class UnitCheckRow:
    unit: AdminUnit
    checks: list[checks.Check]

    @property
    def failed(self) -> list[checks.Check]:
        return [c for c in self.checks if c.failed]


def unit_check_rows(user: Any, root: AdminUnit) -> list[UnitCheckRow]:
    return [
        UnitCheckRow(unit, checks.unit_checks(facts))
        for unit, facts in unit_facts(user, root).values()
    ]


def check_summary(rows: list[UnitCheckRow]) -> list[dict[str, Any]]:
    """Per rule: how many communities pass, fail, or cannot be judged (the roll-up)."""
    summary: dict[str, dict[str, Any]] = {}
    for row in rows:
        for c in row.checks:
            s = summary.setdefault(
                c.code, {"code": c.code, "label": c.label, "pass": 0, "fail": 0, "unknown": 0}
            )
            s[c.status] += 1
    return list(summary.values())


# -- coverage ------------------------------------------------------------------------------

MEASURES = (
    ("households", "户"),
    ("persons", "居民"),
    ("elderly", "60岁以上老年人"),
    ("children", "14岁以下儿童"),
)


def _years_before(on: date, years: int) -> date:
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February
        return on.replace(year=on.year - years, day=28)


@dataclass
class Coverage:
    """Covered and total counts per unit code, type id and measure.

    ``total[code][measure]`` counts everybody under the unit (whether their building is
    located or not); ``covered[code][type_id][measure]`` those whose building is within
    the type's walking standard. Households without a located building count as not
    covered; ``unlocated[code]`` says how many there are.
    """

    total: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    covered: dict[str, dict[int, dict[str, int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(dict))
    )
    unlocated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: When the figures were counted (set when read from a stored snapshot).
    counted_at: datetime | None = None

    def share(self, code: str, type_id: int, measure: str = "households") -> float | None:
        total = self.total.get(code, {}).get(measure, 0)
        if not total:
            return None
        return self.covered.get(code, {}).get(type_id, {}).get(measure, 0) / total


def _roll_up(rows: list[tuple[str, int]], codes: set[str]) -> dict[str, int]:
    """Counts keyed by a unit code of ≤ 12 digits, added up to every shown ancestor."""
    out: dict[str, int] = defaultdict(int)
    for key, n in rows:
        for length in LEVEL_LENGTHS:
            if len(key) >= length and key[:length] in codes:
                out[key[:length]] += n
    return out


def coverage(user: Any, root: AdminUnit, codes: set[str], *, on: date) -> Coverage:
    """Coverage under ``root`` for the units in ``codes`` (communities, streets, district),
    counted now from what the user may see (pages read :func:`stored_coverage` instead).

    Four queries whatever the number of units: households per building and community;
    persons, elderly (60+) and children (under 14) per building and community, in one;
    the (building, type) pairs within the type's standard; households without a located
    building. The counts are joined to the pairs with numpy: there are far fewer
    buildings than persons, so this reads one row per building and type where a join in
    SQL would build one per person and type (several times slower on SQLite).
    """
    return _count(
        Household.objects.in_scope(user),
        Person.objects.in_scope(user),
        BuildingAccess.objects.in_scope(user),
        root.code[:COMMUNITY_CODE],
        codes,
        on=on,
    )


def _count(
    households: QuerySet[Household],
    persons: QuerySet[Person],
    access: QuerySet[BuildingAccess],
    prefix: str,
    codes: set[str],
    *,
    on: date,
) -> Coverage:
    key = Substr("unit__code", 1, COMMUNITY_CODE)
    sixty, fourteen = _years_before(on, 60), _years_before(on, 14)
    households = households.filter(unit__code__startswith=prefix)
    persons = persons.active().filter(unit__code__startswith=prefix)

    # One row per (building, community): the building (0 for none) and four counts.
    rows: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for building, code, n in (
        households.annotate(k=key)
        .values("building_id", "k")
        .annotate(n=Count("id"))
        .values_list("building_id", "k", "n")
    ):
        rows[(building or 0, code)][0] += n
    for building, code, n, elderly, children in (
        persons.annotate(k=key)
        .values("household__building_id", "k")
        .annotate(
            n=Count("id"),
            elderly=Count("id", filter=Q(birth_date__lte=sixty)),
            children=Count("id", filter=Q(birth_date__gt=fourteen)),
        )
        .values_list("household__building_id", "k", "n", "elderly", "children")
    ):
        counts = rows[(building or 0, code)]
        counts[1] += n
        counts[2] += elderly
        counts[3] += children

    result = Coverage()
    if not rows:
        return result
    communities = sorted({code for _, code in rows})
    row_building = np.fromiter((b for b, _ in rows), np.int64, len(rows))
    row_unit = np.array([communities.index(c) for _, c in rows], np.int64)
    row_counts = np.array(list(rows.values()), np.int64).reshape(-1, 4)
    measures = [m for m, _ in MEASURES]
    per_unit = np.zeros((len(communities), 4), np.int64)
    np.add.at(per_unit, row_unit, row_counts)
    for m, measure in enumerate(measures):
        rolled = _roll_up(list(zip(communities, per_unit[:, m].tolist(), strict=True)), codes)
        for code, n in rolled.items():
            result.total[code][measure] = n

    pairs = np.array(
        access.filter(
            building__unit__code__startswith=prefix,
            minutes__isnull=False,
            minutes__lte=F("type__standard_minutes"),
        ).values_list("building_id", "type_id"),
        dtype=np.int64,
    ).reshape(-1, 2)
    # Join the (building, type) pairs to the count rows of their building (a building
    # may house people filed under two communities, so one pair may meet several rows).
    order = np.argsort(row_building, kind="stable")
    sorted_b = row_building[order]
    lo = np.searchsorted(sorted_b, pairs[:, 0], "left")
    hi = np.searchsorted(sorted_b, pairs[:, 0], "right")
    hits = hi - lo
    pair_of = np.repeat(np.arange(len(pairs)), hits)
    starts = np.repeat(lo, hits)
    offsets = np.arange(hits.sum()) - np.repeat(np.cumsum(hits) - hits, hits)
    row_of = order[starts + offsets]
    type_ids = np.unique(pairs[:, 1])
    type_of = np.searchsorted(type_ids, pairs[pair_of, 1])
    cell = type_of * len(communities) + row_unit[row_of]
    size = len(type_ids) * len(communities)
    for m, measure in enumerate(measures):
        sums = np.bincount(cell, weights=row_counts[row_of, m], minlength=size)
        sums = sums.reshape(len(type_ids), len(communities)).astype(np.int64)
        for t, type_id in enumerate(type_ids.tolist()):
            found = [(communities[c], int(n)) for c, n in enumerate(sums[t]) if n]
            for code, n in _roll_up(found, codes).items():
                result.covered[code][type_id][measure] = n

    unlocated = (
        households.filter(Q(building__isnull=True) | Q(building__lat__isnull=True))
        .annotate(k=key)
        .values("k")
        .annotate(n=Count("id"))
        .values_list("k", "n")
    )
    result.unlocated.update(_roll_up(list(unlocated), codes))
    return result


@dataclass
class CoverageRow:
    unit: AdminUnit
    cells: list[tuple[FacilityType, float | None]]
    total: int
    unlocated: int


def coverage_rows(
    user: Any, root: AdminUnit, *, on: date, measure: str = "households"
) -> tuple[list[FacilityType], list[CoverageRow], Coverage]:
    """The coverage table under ``root``: the root itself, then its children."""
    shown = [root, *units_under(user, root).filter(parent=root).order_by("code")]
    shown = [u for u in shown if len(u.code) <= COMMUNITY_CODE]
    kinds = list(types())
    cov = stored_coverage(user, root, {u.code for u in shown}, on=on, kinds=kinds)
    rows = [
        CoverageRow(
            unit=u,
            cells=[(t, cov.share(u.code, t.pk, measure)) for t in kinds],
            total=cov.total.get(u.code, {}).get(measure, 0),
            unlocated=cov.unlocated.get(u.code, 0),
        )
        for u in shown
    ]
    return kinds, rows, cov


# -- stored coverage -------------------------------------------------------------------------
#
# Counting coverage reads every household and person of the subtree (1.3–1.9 s for a whole
# district at demo scale 1), while the figures change only when an access run rewrites the
# walking times. So each finished run counts the whole tree once and stores the figures per
# unit and type (CoverageSnapshot), and pages read the figures of the units they show. The
# figures of a unit are the same for every user who may see the unit (its subtree is in
# their scope), so one snapshot serves everybody.

Figure = tuple[str, int | None, int, int, int, int, int]  # code, type id, 4 counts, unlocated
_MEASURE_KEYS = tuple(m for m, _ in MEASURES)


def latest_finished_run_id() -> int | None:
    """The run whose walking times ``BuildingAccess`` holds now (None: no run finished)."""
    return (
        AccessRun.objects.filter(status=RunStatus.DONE)
        .order_by("-finished_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )


def types_key(kinds: Iterable[FacilityType]) -> str:
    """A fingerprint of the types and their standards: a changed standard or a new type
    makes stored figures stale without anybody having to remember to clear them."""
    text = ",".join(f"{t.pk}:{t.standard_minutes}" for t in sorted(kinds, key=lambda t: t.pk))
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def count_tree_coverage(*, on: date) -> Coverage:
    """Coverage of every district, street and community, counted now, regardless of scope
    (what a snapshot stores; pages restrict it to the units their user may see)."""
    codes = set(AdminUnit.objects.exclude(level=Level.GRID).values_list("code", flat=True))
    return _count(
        Household.objects.all(),
        Person.objects.all(),
        BuildingAccess.objects.all(),
        "",
        codes,
        on=on,
    )


def _figures(cov: Coverage) -> list[Figure]:
    out: list[Figure] = []
    for code, totals in cov.total.items():
        counts = [int(totals.get(m, 0)) for m in _MEASURE_KEYS]
        out.append((code, None, *counts, int(cov.unlocated.get(code, 0))))
    for code, by_type in cov.covered.items():
        for type_id, covered in by_type.items():
            counts = [int(covered.get(m, 0)) for m in _MEASURE_KEYS]
            if any(counts):
                out.append((code, int(type_id), *counts, 0))
    return out


def _from_figures(figures: Iterable[Figure], codes: set[str] | None = None) -> Coverage:
    """A :class:`Coverage` equal to the counted one, for ``codes`` (all when None)."""
    cov = Coverage()
    for code, type_id, *numbers in figures:
        if codes is not None and code not in codes:
            continue
        counts = dict(zip(_MEASURE_KEYS, numbers[:4], strict=True))
        if type_id is None:
            cov.total[code] = counts
            if numbers[4]:
                cov.unlocated[code] = numbers[4]
        else:
            cov.covered[code][type_id] = {m: n for m, n in counts.items() if n}
    return cov


def save_coverage(
    cov: Coverage, *, on: date, run_id: int | None, kinds: Sequence[FacilityType] | None = None
) -> CoverageSnapshot:
    """Store counted figures as the one snapshot; every other snapshot goes (they are of an
    older run, day or set of standards, or a duplicate counted by a concurrent request)."""
    kinds = list(types()) if kinds is None else kinds
    with transaction.atomic():
        snapshot = CoverageSnapshot.objects.create(run_id=run_id, on=on, types_key=types_key(kinds))
        CoverageFigure.objects.bulk_create(
            (
                CoverageFigure(
                    snapshot=snapshot,
                    unit_code=code,
                    type_id=type_id,
                    households=h,
                    persons=p,
                    elderly=e,
                    children=c,
                    unlocated=u,
                )
                for code, type_id, h, p, e, c, u in _figures(cov)
            ),
            batch_size=500,
        )
        CoverageSnapshot.objects.exclude(pk=snapshot.pk).delete()
    return snapshot


def invalidate_coverage() -> None:
    """Drop the stored figures; the next page counts them again. For writers outside the
    access runs whose changes move the counts (a registry import, a moved building)."""
    CoverageSnapshot.objects.all().delete()


def stored_coverage(
    user: Any,
    root: AdminUnit,
    codes: set[str],
    *,
    on: date,
    kinds: Sequence[FacilityType] | None = None,
) -> Coverage:
    """What :func:`coverage` answers, read from the snapshot of the latest finished run.

    Without a snapshot for that run, day and set of standards, the whole tree is counted
    and stored (unless a run finished meanwhile: then its own snapshot is the one to keep).
    Units outside the user's scope are not read from the snapshot; should a caller ask
    for one, it is counted the old way, from what the user may see.
    """
    scope = scope_code(user)
    if scope is None:
        return Coverage()
    if any(not code.startswith(scope) for code in codes):
        return coverage(user, root, codes, on=on)
    kinds = list(types()) if kinds is None else kinds
    run_id = latest_finished_run_id()
    snapshot = (
        CoverageSnapshot.objects.filter(run_id=run_id, on=on, types_key=types_key(kinds))
        .order_by("-pk")
        .first()
    )
    if snapshot is not None:
        figures = CoverageFigure.objects.filter(
            snapshot=snapshot, unit_code__in=sorted(codes)
        ).values_list("unit_code", "type_id", *_MEASURE_KEYS, "unlocated")
        cov = _from_figures(figures)
        cov.counted_at = snapshot.computed_at
        return cov
    counted = count_tree_coverage(on=on)
    cov = _from_figures(_figures(counted), codes)
    if latest_finished_run_id() == run_id:
        cov.counted_at = save_coverage(counted, on=on, run_id=run_id, kinds=kinds).computed_at
    return cov


# -- map data ------------------------------------------------------------------------------


def buildings_with_access(
    user: Any, unit: AdminUnit, ftype: FacilityType | None
) -> list[dict[str, Any]]:
    """Located buildings under the unit with their households and minutes to ``ftype``."""
    qs = (
        Building.objects.in_scope(user)
        .filter(unit__code__startswith=unit.code, lat__isnull=False, lon__isnull=False)
        .annotate(n_households=Count("households", distinct=True))
        .values("pk", "number", "address", "lat", "lon", "n_households")
        .order_by("pk")
    )
    rows = list(qs)
    minutes: dict[int, float | None] = {}
    if ftype is not None:
        minutes = dict(
            BuildingAccess.objects.in_scope(user)
            .filter(type=ftype, building__unit__code__startswith=unit.code)
            .values_list("building_id", "minutes")
        )
    for r in rows:
        r["computed"] = r["pk"] in minutes
        r["minutes"] = minutes.get(r["pk"])
    return rows


def last_run() -> AccessRun | None:
    return AccessRun.objects.order_by("-created_at", "-pk").first()


def current_run() -> AccessRun | None:
    """The run to show: the one running, else the last one asked for."""
    running = AccessRun.objects.filter(status="running").order_by("-pk").first()
    return running or last_run()
