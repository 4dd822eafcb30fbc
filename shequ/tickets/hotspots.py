"""Hotspots (未诉先办): a grid's weekly count of one category rising well above its own past.

A week is a hotspot for (grid, category) when its count is at least :data:`MIN_COUNT` and
above mean + :data:`SIGMA` standard deviations of the same pair's previous
:data:`BASELINE_WEEKS` weeks (weeks without tickets count as 0). The street sees them with
the tickets behind them, before the next resident has to call. Tickets located only at
community level count for the community (grids not drawn yet).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from shequ.core.workdays import SHANGHAI
from shequ.registry.models import AdminUnit
from shequ.tickets import clock
from shequ.tickets.models import Category, Ticket

MIN_COUNT = 3
SIGMA = 2.0
BASELINE_WEEKS = 8


@dataclass
class Hotspot:
    unit_code: str
    unit_name: str
    category_id: int
    week: date  # Monday
    count: int
    baseline_mean: float
    baseline_sd: float
    tickets: list[Ticket] = field(default_factory=list)
    category: Category | None = None


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _at(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=SHANGHAI)


def hotspots(
    user: Any,
    *,
    weeks: int = 4,
    today: date | None = None,
    min_count: int = MIN_COUNT,
    sigma: float = SIGMA,
    baseline_weeks: int = BASELINE_WEEKS,
) -> list[Hotspot]:
    """Hotspots of the last ``weeks`` weeks (the current one included) in ``user``'s scope,
    newest and biggest first, each with its tickets. Four queries."""
    today = today or timezone.localtime(clock.now()).date()
    this_week = _monday(today)
    first = this_week - timedelta(weeks=weeks - 1)
    since = first - timedelta(weeks=baseline_weeks)
    base = Ticket.objects.in_scope(user).filter(
        created_at__gte=_at(since),
        created_at__lt=_at(this_week + timedelta(weeks=1)),
        merged_into__isnull=True,
        category__isnull=False,
    )
    counts: dict[tuple[str, int], dict[date, int]] = defaultdict(dict)
    rows = (
        base.annotate(week=TruncWeek("created_at", tzinfo=SHANGHAI))
        .values("unit_code", "category_id", "week")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        week = row["week"]
        week = week.astimezone(SHANGHAI).date() if isinstance(week, datetime) else week
        counts[(row["unit_code"], row["category_id"])][week] = row["n"]

    found: list[Hotspot] = []
    for (code, category_id), by_week in counts.items():
        for i in range(weeks):
            week = first + timedelta(weeks=i)
            n = by_week.get(week, 0)
            if n < min_count:
                continue
            past = [by_week.get(week - timedelta(weeks=k), 0) for k in range(1, baseline_weeks + 1)]
            mean, sd = statistics.fmean(past), statistics.pstdev(past)
            if n > mean + sigma * sd:  # strictly: a steady 3 a week is no rise
                found.append(Hotspot(code, code, category_id, week, n, mean, sd))
    if not found:
        return []
    found.sort(key=lambda h: (-h.week.toordinal(), -h.count, h.unit_code))

    names = dict(
        AdminUnit.objects.filter(code__in={h.unit_code for h in found}).values_list("code", "name")
    )
    categories = Category.objects.in_bulk({h.category_id for h in found})
    behind = Q()
    for h in found:
        behind |= Q(
            unit_code=h.unit_code,
            category_id=h.category_id,
            created_at__gte=_at(h.week),
            created_at__lt=_at(h.week + timedelta(weeks=1)),
        )
    tickets = defaultdict(list)
    for t in base.filter(behind).order_by("created_at"):
        week = _monday(timezone.localtime(t.created_at, SHANGHAI).date())
        tickets[(t.unit_code, t.category_id, week)].append(t)
    for h in found:
        h.tickets = tickets[(h.unit_code, h.category_id, h.week)]
        h.unit_name = names.get(h.unit_code, h.unit_code)
        h.category = categories[h.category_id]
    return found
