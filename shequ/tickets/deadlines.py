"""Deadlines on the official calendar, kept in a table the district edits each year.

The calendar table (:class:`CalendarDay`) is pre-filled from ``chinesecalendar`` by a data
migration and topped up with ``manage.py holidays load YEAR`` (or ``import FILE.csv``)
when the State Council publishes next year's notice (usually in November). A year with no
row falls back to plain weekends, so a deadline is always computed; administrators are
warned on their pages while next year is missing.

Conventions (written in docs/tickets.md):

- accept (签收) within N *working hours* (08:30–17:30 on working days) of each dispatch;
- answer (办结) within N *calendar hours* (urgent) or N *working days* (12345 convention:
  same clock time on the N-th following working day) of the dispatch.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Iterable
from datetime import date, datetime

from django.db import transaction

from shequ.core.workdays import WorkCalendar, YearNotAnnounced, official_overrides
from shequ.errors import Invalid
from shequ.tickets.models import AnswerUnit, CalendarDay, DaySource, DeadlineClass

# Each process re-reads the table at most this often; edits made through our services and the
# admin invalidate it at once in the process that made them.
CACHE_SECONDS = 300

_lock = threading.Lock()
_cache: tuple[float, WorkCalendar] | None = None

# The class used when a ticket has no category yet (waiting for a dispatcher).
DEFAULT_CLASS = DeadlineClass(
    code="general", name="一般", accept_hours=2, answer_unit=AnswerUnit.WORKDAYS, answer_amount=7
)


def calendar() -> WorkCalendar:
    """The working-day calendar from the table (cached); unknown years follow weekends."""
    global _cache
    cached = _cache
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    with _lock:
        rows = CalendarDay.objects.values_list("date", "is_workday", "name")
        overrides: dict[date, bool] = {}
        names: dict[date, str] = {}
        for d, working, name in rows:
            overrides[d] = working
            names[d] = name
        cal = WorkCalendar(overrides, {d.year for d in overrides}, names=names)
        _cache = (time.monotonic(), cal)
        return cal


def invalidate() -> None:
    """Forget the cached calendar (after the table changed)."""
    global _cache
    _cache = None


def accept_due(start: datetime, dclass: DeadlineClass | None) -> datetime:
    """When a unit must have accepted a ticket dispatched at ``start``."""
    dclass = dclass or DEFAULT_CLASS
    return calendar().add_working_hours(start, dclass.accept_hours)


def answer_due(start: datetime, dclass: DeadlineClass | None) -> datetime:
    """When a ticket dispatched (or reopened) at ``start`` must be answered."""
    dclass = dclass or DEFAULT_CLASS
    if dclass.answer_unit == AnswerUnit.HOURS:
        return WorkCalendar.add_calendar_hours(start, dclass.answer_amount)
    return calendar().add_working_days(start, dclass.answer_amount)


def missing_years(today: date) -> list[int]:
    """This year and next year when their holidays are not in the table."""
    return calendar().missing_years([today.year, today.year + 1])


def calendar_warning(user, today: date) -> str | None:
    """A banner for administrators while this or next year's holidays are missing."""
    if not (getattr(user, "is_superuser", False) or getattr(user, "role", "") == "district_admin"):
        return None
    missing = missing_years(today)
    if not missing:
        return None
    years = "、".join(f"{y}年" for y in missing)
    return (
        f"节假日安排表中还没有{years}的数据，相关期限暂按周一至周五计算。"
        f"国务院办公厅公布通知后，请在后台“节假日安排”中录入，"
        f"或运行 manage.py holidays load {missing[-1]}。"
    )


# ------------------------------------------------------------- maintenance


def load_official(years: Iterable[int]) -> dict[int, int]:
    """Fill the table from chinesecalendar for ``years``; manual rows are kept.

    Returns rows written per year; a year the package does not know raises
    :class:`YearNotAnnounced` before anything is written.
    """
    plan = {year: official_overrides(year) for year in sorted(set(years))}
    written: dict[int, int] = {}
    with transaction.atomic():
        manual = set(
            CalendarDay.objects.filter(source=DaySource.MANUAL).values_list("date", flat=True)
        )
        for year, days in plan.items():
            n = 0
            for d, (working, name) in days.items():
                if d in manual:
                    continue
                CalendarDay.objects.update_or_create(
                    date=d,
                    defaults={"is_workday": working, "name": name, "source": DaySource.OFFICIAL},
                )
                n += 1
            written[year] = n
    invalidate()
    return written


def import_csv(content: str) -> int:
    """Import ``date,is_workday,name`` rows (is_workday: 1/0, 是/否, 上班/放假).

    All or nothing: a bad row raises :class:`Invalid` naming the line, and nothing is written.
    """
    truthy = {"1", "true", "是", "上班", "y", "yes"}
    falsy = {"0", "false", "否", "放假", "n", "no"}
    rows: list[tuple[date, bool, str]] = []
    reader = csv.reader(io.StringIO(content.lstrip("\ufeff")))
    for line, row in enumerate(reader, start=1):
        if not row or (line == 1 and row[0].strip().lower() in ("date", "日期")):
            continue
        try:
            d = date.fromisoformat(row[0].strip())
        except ValueError:
            raise Invalid(f"第{line}行：日期格式应为 YYYY-MM-DD。", field="date") from None
        flag = row[1].strip().lower() if len(row) > 1 else ""
        if flag not in truthy | falsy:
            raise Invalid(f"第{line}行：是否上班应填 1/0 或 上班/放假。", field="is_workday")
        rows.append((d, flag in truthy, row[2].strip()[:40] if len(row) > 2 else ""))
    with transaction.atomic():
        for d, working, name in rows:
            CalendarDay.objects.update_or_create(
                date=d, defaults={"is_workday": working, "name": name, "source": DaySource.MANUAL}
            )
    invalidate()
    return len(rows)


def official_years_available(start: int = 2020, stop: int = 2100) -> list[int]:
    """The years from ``start`` that chinesecalendar knows (stops at the first unknown)."""
    years = []
    for year in range(start, stop):
        try:
            official_overrides(year)
        except YearNotAnnounced:
            break
        years.append(year)
    return years
