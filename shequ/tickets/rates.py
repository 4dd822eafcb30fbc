"""The three rates per responsible unit and month (响应率/解决率/满意率), ranked.

- response rate = dispatches accepted by their acceptance deadline ÷ dispatches to the unit
  in the month (a dispatch is an :class:`Assignment`: each 派单 and each 重办 counts once;
  a returned or late-accepted dispatch counts in the denominator only);
- resolution rate = ratings saying "solved" ÷ ratings of the unit's answers in the month;
- satisfaction rate = ratings "satisfied" or "basically satisfied" ÷ those ratings.

A street's own rates count what was dispatched to the street itself; its territory's
(``kind="territory"``, 街乡镇辖区) add every unit under it — its communities and villages —
as Beijing ranks its streets and towns on everything filed in their territory.

Months are Beijing calendar months: dispatches by their dispatch time, ratings by their
rating time. The ranking score weighs the three rates 10% / 45% / 45% as Beijing's monthly
接诉即办 assessment does; a rate without data is left out of the weighting.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _

from shequ.core.workdays import SHANGHAI
from shequ.registry.models import CODE_LENGTH, Level
from shequ.tickets.models import Assignment, Rating, ResponsibleUnit, Satisfaction

WEIGHTS = {"response": 0.10, "resolution": 0.45, "satisfaction": 0.45}
KINDS = {
    "department": _("区直部门"),
    "street": _("街道/镇"),
    "community": _("社区/村"),
    "territory": _("街道/镇辖区（含所辖社区/村）"),
}
COUNTS = ("dispatched", "responded", "rated", "solved", "satisfied")


@dataclass
class UnitRates:
    unit: ResponsibleUnit
    dispatched: int = 0
    responded: int = 0
    rated: int = 0
    solved: int = 0
    satisfied: int = 0
    rank: int | None = None

    @property
    def response_rate(self) -> float | None:
        return self.responded / self.dispatched if self.dispatched else None

    @property
    def resolution_rate(self) -> float | None:
        return self.solved / self.rated if self.rated else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None

    @property
    def score(self) -> float | None:
        """Weighted mean of the rates that have data (0–1), None when none has."""
        parts = [
            (WEIGHTS["response"], self.response_rate),
            (WEIGHTS["resolution"], self.resolution_rate),
            (WEIGHTS["satisfaction"], self.satisfaction_rate),
        ]
        weight = sum(w for w, r in parts if r is not None)
        if not weight:
            return None
        return sum(w * r for w, r in parts if r is not None) / weight


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The first instant of ``month`` and of the next one, in Beijing time."""
    start = datetime.combine(month.replace(day=1), time.min, tzinfo=SHANGHAI)
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return start, datetime.combine(nxt, time.min, tzinfo=SHANGHAI)


def monthly_rates(month: date, *, user: Any, kind: str | None = None) -> list[UnitRates]:
    """Every unit ``user`` may see that had a dispatch or a rating in ``month``, ranked by
    score (best first); with ``kind="territory"``, each street or town with everything
    under it. Three queries whatever the number of units."""
    start, end = month_bounds(month)
    units = (
        ResponsibleUnit.objects.in_scope(user)
        .select_related("department", "admin_unit")
        .defer("admin_unit__boundary")
    )
    if kind == "department":
        units = units.filter(department__isnull=False)
    elif kind == "street":
        units = units.filter(admin_unit__level=Level.STREET)
    elif kind == "community":
        units = units.filter(admin_unit__level=Level.COMMUNITY)
    by_id = {u.pk: UnitRates(u) for u in units}
    dispatched = (
        Assignment.objects.filter(unit_id__in=by_id, at__gte=start, at__lt=end)
        .values("unit_id")
        .annotate(
            n=Count("pk"),
            ok=Count("pk", filter=Q(accepted_at__isnull=False, accepted_at__lte=F("accept_due"))),
        )
    )
    for row in dispatched:
        r = by_id[row["unit_id"]]
        r.dispatched, r.responded = row["n"], row["ok"]
    rated = (
        Rating.objects.filter(unit_id__in=by_id, at__gte=start, at__lt=end)
        .values("unit_id")
        .annotate(
            n=Count("pk"),
            solved=Count("pk", filter=Q(solved=True)),
            happy=Count(
                "pk", filter=Q(satisfaction__in=(Satisfaction.SATISFIED, Satisfaction.BASIC))
            ),
        )
    )
    for row in rated:
        r = by_id[row["unit_id"]]
        r.rated, r.solved, r.satisfied = row["n"], row["solved"], row["happy"]
    if kind == "territory":
        by_id = _territories(by_id)
    rows = [r for r in by_id.values() if r.dispatched or r.rated]
    rows.sort(key=lambda r: (-(r.score or 0.0), -r.dispatched, r.unit.name))
    for i, r in enumerate(rows, start=1):
        r.rank = i
    return rows


def _territories(by_id: dict[int, UnitRates]) -> dict[int, UnitRates]:
    """Each street's unit with the counts of every unit whose admin unit lies in the
    street (the street itself, its communities and villages)."""
    length = CODE_LENGTH[Level.STREET]
    streets = {
        r.unit.admin_unit.code: UnitRates(r.unit)
        for r in by_id.values()
        if r.unit.kind == Level.STREET
    }
    for r in by_id.values():
        total = None if r.unit.department_id else streets.get(r.unit.admin_unit.code[:length])
        if total is not None:
            for name in COUNTS:
                setattr(total, name, getattr(total, name) + getattr(r, name))
    return {total.unit.pk: total for total in streets.values()}


def _pct(value: float | None) -> float | None:
    return round(value * 100, 1) if value is not None else None


def export_xlsx(rows: list[UnitRates], month: date) -> bytes:
    """The ranking as an Excel workbook (rates as percentages)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = f"{month:%Y-%m}"
    ws.append([f"接诉即办“三率”排名 {month:%Y年%m月}"])
    ws["A1"].font = Font(bold=True, size=13)
    header = [
        "排名",
        "承办单位",
        "类型",
        "派单数",
        "按时签收",
        "响应率(%)",
        "评价数",
        "已解决",
        "解决率(%)",
        "满意+基本满意",
        "满意率(%)",
        "综合得分",
    ]
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(
            [
                r.rank,
                r.unit.name,
                str(KINDS.get(r.unit.kind, r.unit.kind)),
                r.dispatched,
                r.responded,
                _pct(r.response_rate),
                r.rated,
                r.solved,
                _pct(r.resolution_rate),
                r.satisfied,
                _pct(r.satisfaction_rate),
                _pct(r.score),
            ]
        )
    ws.append([])
    ws.append(
        [
            "响应率＝按时签收的派单数÷派单数；解决率＝评价为已解决数÷评价数；"
            "满意率＝（满意＋基本满意）÷评价数；综合得分＝响应率×10%＋解决率×45%＋满意率×45%。"
        ]
    )
    for col, width in zip(
        "ABCDEFGHIJKL", (6, 28, 10, 8, 10, 10, 8, 8, 10, 14, 10, 10), strict=True
    ):
        ws.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
