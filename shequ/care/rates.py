"""The monthly visit rate (月探访率, 专栏2 item 2: 特殊困难老年人月探访率100%), in grouped SQL.

For a month M and a target T with interval [s, e) (docs/care.md has the full text):

* T counts in M when its interval overlaps M;
* its active days are d = |[max(s, M₁), min(e − 1, Mₙ)]|;
* the policy P of T's class on M's first day asks n visits per period of L days
  (L = 7 for a week, the month's length for a month); T owes r = max(1, ⌊d·n / L⌋);
* T got v = distinct days in its active days with a visit by a method P counts;
* T met the requirement when v ≥ r. Rate = met ÷ counted.

One query per month, grouped by unit code prefix: a correlated subquery counts each target's
visit days on the (person, visited_on) index; nothing loops over targets in Python.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateField,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, ExtractDay, Greatest, Substr

from shequ.care.models import CareClass, CareTarget, Period, Visit
from shequ.care.policies import PolicyBook
from shequ.core.months import month_heading
from shequ.registry.models import CODE_LENGTH, AdminUnit, Level

# The plan's indicator is about special-difficulty elderly; other classes can be asked for.
DEFAULT_CLASSES = (CareClass.SPECIAL_ELDERLY,)
PLAN_TARGET = 1.0  # 100%


def _visit_days(methods: list[str]) -> Subquery:
    return Subquery(
        Visit.objects.filter(
            person_id=OuterRef("person_id"),
            visited_on__gte=OuterRef("v_from"),
            visited_on__lt=OuterRef("v_to"),
            method__in=methods,
        )
        .order_by()
        .values("person_id")
        .annotate(n=Count("visited_on", distinct=True))
        .values("n"),
        output_field=IntegerField(),
    )


def annotate_month(
    targets: QuerySet[CareTarget], first: date, book: PolicyBook | None = None
) -> QuerySet[CareTarget]:
    """Targets of ``first``'s month, each annotated with ``days`` (active days), ``required``,
    ``visit_days`` and ``met`` (1 or 0), per the formula in the module docstring."""
    book = book or PolicyBook.load()
    dim = calendar.monthrange(first.year, first.month)[1]
    last = first.replace(day=dim)
    ends_in_month = {"ended_on__isnull": False, "ended_on__lte": last}
    qs = targets.overlapping(first, last).annotate(
        v_from=Case(
            When(started_on__gt=first, then=F("started_on")),
            default=Value(first),
            output_field=DateField(),
        ),
        v_to=Case(
            When(**ends_in_month, then=F("ended_on")),
            default=Value(last + timedelta(days=1)),
            output_field=DateField(),
        ),
        # PostgreSQL's EXTRACT gives numeric: cast, so ⌊d·n / L⌋ below is integer division.
        days=Cast(
            Case(
                When(**ends_in_month, then=ExtractDay("ended_on") - 1),
                default=Value(dim),
                output_field=IntegerField(),
            )
            - Case(
                When(started_on__gt=first, then=ExtractDay("started_on")),
                default=Value(1),
                output_field=IntegerField(),
            )
            + Value(1),
            IntegerField(),
        ),
    )
    by_methods: dict[tuple[str, ...], list[str]] = defaultdict(list)
    by_need: dict[tuple[int, int], list[str]] = defaultdict(list)
    for care_class in CareClass.values:
        policy = book.for_day(care_class, first)
        by_methods[tuple(policy.counted_methods)].append(care_class)
        length = 7 if policy.period == Period.WEEK else dim
        by_need[(policy.min_visits, length)].append(care_class)
    visit_days = Case(
        *[
            When(care_class__in=classes, then=_visit_days(list(methods)))
            for methods, classes in by_methods.items()
        ],
        output_field=IntegerField(),
    )
    required = Case(
        *[
            When(
                care_class__in=classes,
                then=Value(1)
                if n * dim <= length  # at most one visit even for a full month
                else Greatest(Value(1), F("days") * Value(n) / Value(length)),
            )
            for (n, length), classes in by_need.items()
        ],
        output_field=IntegerField(),
    )
    return qs.annotate(visit_days=Coalesce(visit_days, Value(0)), required=required).annotate(
        met=Case(
            When(visit_days__gte=F("required"), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    )


def rate_counts(
    first: date,
    *,
    targets: QuerySet[CareTarget] | None = None,
    prefix: str = "",
    length: int = 15,
    classes: Iterable[str] = DEFAULT_CLASSES,
    book: PolicyBook | None = None,
) -> dict[str, tuple[int, int]]:
    """{unit code prefix: (targets counted, targets met)} for the month of ``first``.

    Grouped by the first ``length`` digits of the target's unit code (a target placed at a
    community when grids are 15 digits groups under the community's 12-digit code).
    """
    targets = CareTarget.objects.all() if targets is None else targets
    targets = targets.filter(unit__code__startswith=prefix, care_class__in=list(classes))
    rows = (
        annotate_month(targets, first, book)
        .annotate(k=Substr("unit__code", 1, length))
        .order_by()
        .values("k")
        .annotate(total=Count("pk"), met_n=Sum("met"))
    )
    return {r["k"]: (r["total"], r["met_n"] or 0) for r in rows}


def roll_up(counts: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """Add every group's counts to each ancestor (district, street, community, grid)."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for code, (total, met) in counts.items():
        for n in CODE_LENGTH.values():
            if n <= len(code):
                out[code[:n]][0] += total
                out[code[:n]][1] += met
    return {code: (t, m) for code, (t, m) in out.items()}


@dataclass
class RateRow:
    code: str
    name: str
    targets: int
    met: int

    @property
    def missed(self) -> int:
        return self.targets - self.met

    @property
    def rate(self) -> float | None:
        return self.met / self.targets if self.targets else None

    @property
    def on_target(self) -> bool:
        return self.rate is None or self.rate >= PLAN_TARGET


@dataclass
class RateTable:
    unit: AdminUnit
    first: date
    total: RateRow
    rows: list[RateRow]


def child_length(unit: AdminUnit) -> int:
    return {6: 9, 9: 12, 12: 15}.get(len(unit.code), 15)


def rate_table(
    user: Any, unit: AdminUnit, first: date, *, classes: Iterable[str] = DEFAULT_CLASSES
) -> RateTable:
    """The rate of ``unit`` and of each child unit for a month, limited to ``user``'s scope."""
    length = child_length(unit)
    counts = rate_counts(
        first,
        targets=CareTarget.objects.in_scope(user),
        prefix=unit.code,
        length=length,
        classes=classes,
    )
    children = list(AdminUnit.objects.in_scope(user).filter(parent=unit).order_by("code"))
    rows = [RateRow(c.code, c.name, *counts.get(c.code, (0, 0))) for c in children]
    direct = counts.get(unit.code)
    if direct and direct[0]:
        rows.append(RateRow(unit.code, f"{unit.name}（未划入网格）", *direct))
    total = RateRow(
        unit.code, unit.name, sum(t for t, _ in counts.values()), sum(m for _, m in counts.values())
    )
    return RateTable(unit=unit, first=first, total=total, rows=rows)


def trend(
    user: Any, unit: AdminUnit, months: list[date], *, classes: Iterable[str] = DEFAULT_CLASSES
) -> list[RateRow]:
    """The unit's rate for each month given (one grouped query per month)."""
    book = PolicyBook.load()
    out = []
    for first in months:
        counts = rate_counts(
            first,
            targets=CareTarget.objects.in_scope(user),
            prefix=unit.code,
            length=len(unit.code),
            classes=classes,
            book=book,
        )
        row = RateRow(first.strftime("%Y-%m"), month_heading(first), *counts.get(unit.code, (0, 0)))
        out.append(row)
    return out


def missed_targets(
    user: Any, unit: AdminUnit, first: date, *, classes: Iterable[str] = DEFAULT_CLASSES
) -> QuerySet[CareTarget]:
    """The targets of the unit who did not get their required visits in the month."""
    targets = CareTarget.objects.in_scope(user).filter(
        unit__code__startswith=unit.code, care_class__in=list(classes)
    )
    return (
        annotate_month(targets, first)
        .filter(met=0)
        .select_related("person", "unit", "person__household")
        .order_by("unit__code", "person__name", "pk")
    )


def level_of(unit: AdminUnit) -> str:
    return Level(unit.level).label
