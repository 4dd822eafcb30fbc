"""Deadlines in working days on the official Chinese calendar.

Every year the General Office of the State Council publishes a notice on the
arrangement of public holidays for the next year (国务院办公厅关于××年部分节假日
安排的通知, usually in November). It lists the days off and the weekend days
that become working days in exchange (调休). The ``chinesecalendar`` package
transcribes these notices; it only knows the years already announced
(1.11: 2004–2026) and raises ``NotImplementedError`` outside them.

Design:

- :class:`WorkCalendar` is pure data: ``overrides`` (date → True working day /
  False day off) plus ``known_years`` (years whose notice is loaded). A date
  without an override follows the plain rule Mon–Fri working, Sat–Sun off, so
  an unannounced year (e.g. 2027 before its notice) degrades gracefully to
  weekends; :meth:`WorkCalendar.missing_years` lets the admin UI warn about it.
  Overrides are applied even for dates outside ``known_years`` (a notice may
  touch the neighbouring year, and locally entered data should win).
- :func:`official_overrides` / :func:`official_calendar` fill it from the package.

Time zone: all calendar arithmetic is done on Beijing wall-clock time
(Asia/Shanghai, UTC+8 without DST since 1991). Aware inputs are converted and
the result is returned in the input's own tzinfo; naive inputs are taken to
be Beijing time and a naive result is returned.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "HOLIDAY_NAMES_ZH",
    "SHANGHAI",
    "WorkCalendar",
    "YearNotAnnounced",
    "add_calendar_hours",
    "official_calendar",
    "official_overrides",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")

# chinesecalendar stores the English value of its ``Holiday`` enum; the names
# below are the ones used in the State Council notices.
HOLIDAY_NAMES_ZH: dict[str, str] = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}

_ONE_DAY = timedelta(days=1)


class YearNotAnnounced(LookupError):
    """The holiday arrangement of ``year`` is not available from chinesecalendar."""

    def __init__(self, year: int, detail: str = "") -> None:
        self.year = year
        msg = (
            f"没有{year}年的法定节假日安排数据（国务院办公厅通常在上一年11月公布；"
            f"请升级 chinesecalendar 或手工录入）"
        )
        super().__init__(f"{msg}: {detail}" if detail else msg)


class WorkCalendar:
    """Working-day calendar: explicit overrides on top of the Mon–Fri rule."""

    def __init__(
        self,
        overrides: Mapping[date, bool],
        known_years: Iterable[int],
        *,
        names: Mapping[date, str] | None = None,
    ) -> None:
        self._overrides: dict[date, bool] = {_as_date(d): bool(v) for d, v in overrides.items()}
        self.known_years: frozenset[int] = frozenset(known_years)
        self._names: dict[date, str] = {_as_date(d): n for d, n in (names or {}).items()}

    def __repr__(self) -> str:
        years = sorted(self.known_years)
        return f"WorkCalendar(known_years={years}, overrides={len(self._overrides)})"

    @classmethod
    def weekends_only(cls) -> WorkCalendar:
        """A calendar with no holidays at all (Mon–Fri working)."""
        return cls({}, set())

    def with_overrides(
        self,
        overrides: Mapping[date, bool],
        known_years: Iterable[int] = (),
        *,
        names: Mapping[date, str] | None = None,
    ) -> WorkCalendar:
        """A new calendar where ``overrides`` (e.g. locally entered days) replace ours."""
        return WorkCalendar(
            {**self._overrides, **overrides},
            self.known_years | set(known_years),
            names={**self._names, **(names or {})},
        )

    @property
    def overrides(self) -> dict[date, bool]:
        return dict(self._overrides)

    # ----------------------------------------------------------------- days

    def is_workday(self, d: date) -> bool:
        """True for a working day: an override if there is one, else Mon–Fri."""
        d = _as_date(d)
        override = self._overrides.get(d)
        if override is not None:
            return override
        return d.weekday() < 5

    def day_name(self, d: date) -> str | None:
        """Holiday name for an overridden day (``'国庆节'``), ``None`` otherwise."""
        return self._names.get(_as_date(d))

    def next_workday(self, d: date, *, include_today: bool = False) -> date:
        """The first working day after ``d`` (or ``d`` itself if ``include_today``)."""
        d = _as_date(d)
        if not include_today:
            d += _ONE_DAY
        while not self.is_workday(d):
            d += _ONE_DAY
        return d

    def missing_years(self, years: Iterable[int]) -> list[int]:
        """Sorted, de-duplicated years among ``years`` whose holidays are not loaded."""
        return sorted(set(years) - self.known_years)

    # ------------------------------------------------------------ deadlines

    def add_working_days(
        self, start: datetime, days: int, *, non_workday_start: time = time(9, 0)
    ) -> datetime:
        """Deadline ``days`` whole working days after ``start`` (12345 hotline convention).

        - Filed on a working day: due at the same Beijing clock time on the
          ``days``-th following working day (Tue 10:00 + 1 → Wed 10:00; the time
          of day is kept even if it is outside office hours).
        - Filed on a non-working day: treated as filed at ``non_workday_start``
          (09:00) on the next working day, then counted the same way
          (Sat 15:00 + 1 → Tue 09:00).
        - ``days == 0`` returns that effective start. Negative ``days`` raise ``ValueError``.
        """
        if days < 0:
            raise ValueError("days must be >= 0")
        local = _to_local(start)
        day = local.date()
        clock = local.time()
        if not self.is_workday(day):
            day = self.next_workday(day)
            clock = non_workday_start
        for _ in range(days):
            day = self.next_workday(day)
        return _from_local(datetime.combine(day, clock, tzinfo=SHANGHAI), start)

    def add_working_hours(
        self,
        start: datetime,
        hours: float,
        *,
        day_start: time = time(8, 30),
        day_end: time = time(17, 30),
    ) -> datetime:
        """Deadline after ``hours`` of office time (``day_start``–``day_end`` on working days).

        There is no lunch break: the office window is continuous (9 h by
        default). Time before opening counts from opening; time after closing or
        on a non-working day counts from the next working day's opening.
        A deadline that lands exactly on closing time stays there (Fri 15:30
        + 2 h → Fri 17:30, not Mon 08:30). ``hours == 0`` gives the start, moved
        into office time if it is outside. Negative ``hours`` raise ``ValueError``.
        """
        if hours < 0:
            raise ValueError("hours must be >= 0")
        if day_start >= day_end:
            raise ValueError("day_start must be before day_end")
        remaining = timedelta(hours=hours)
        cursor = _to_local(start).replace(tzinfo=None)  # Beijing wall clock, no DST
        while True:
            d = cursor.date()
            if self.is_workday(d):
                opening = datetime.combine(d, day_start)
                closing = datetime.combine(d, day_end)
                cursor = max(cursor, opening)
                if cursor < closing or (cursor == closing and not remaining):
                    available = closing - cursor
                    if remaining <= available:
                        result = (cursor + remaining).replace(tzinfo=SHANGHAI)
                        return _from_local(result, start)
                    remaining -= available
            cursor = datetime.combine(self.next_workday(d), day_start)

    @staticmethod
    def add_calendar_hours(start: datetime, hours: float) -> datetime:
        """``start`` + ``hours`` of elapsed time (e.g. "urgent: within 24 hours").

        Computed on the absolute timeline (via UTC), so it is correct even for
        a tzinfo with DST; the result keeps the input's tzinfo.
        """
        delta = timedelta(hours=hours)
        if start.tzinfo is None:
            return start + delta
        return (start.astimezone(UTC) + delta).astimezone(start.tzinfo)


def add_calendar_hours(start: datetime, hours: float) -> datetime:
    """Module-level alias of :meth:`WorkCalendar.add_calendar_hours`."""
    return WorkCalendar.add_calendar_hours(start, hours)


def official_overrides(year: int) -> dict[date, tuple[bool, str]]:
    """Days of ``year`` where the official calendar differs from the Mon–Fri rule.

    Returns ``{date: (is_workday, name)}``: holidays on weekdays map to
    ``(False, '国庆节')``, adjusted working weekends (调休上班) to ``(True, '国庆节')``.
    Holidays falling on a weekend are not listed — they are off anyway.
    Raises :class:`YearNotAnnounced` if chinesecalendar has no data for ``year``.
    The package is read once per year and process (a fresh dict is returned each call).
    """
    return dict(_official_overrides(year))


@functools.cache
def _official_overrides(year: int) -> tuple[tuple[date, tuple[bool, str]], ...]:
    import chinese_calendar  # local import: only needed when loading the calendar

    try:  # the package raises NotImplementedError for years it has no notice for
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError as exc:
        raise YearNotAnnounced(year, str(exc)) from None
    # Same rule as chinese_calendar.is_workday(), evaluated on its public tables
    # directly (calling is_workday() for all 365 days costs ~25 ms per year):
    # a day is working iff it is in ``workdays`` or is Mon–Fri and not in ``holidays``.
    result: dict[date, tuple[bool, str]] = {}
    for d, name in chinese_calendar.workdays.items():
        if d.year == year and d.weekday() >= 5:
            result[d] = (True, _holiday_name_zh(name))
    for d, name in chinese_calendar.holidays.items():
        if d.year == year and d.weekday() < 5 and d not in chinese_calendar.workdays:
            result[d] = (False, _holiday_name_zh(name))
    return tuple(sorted(result.items()))


def official_calendar(years: Iterable[int]) -> WorkCalendar:
    """A :class:`WorkCalendar` with the official data of those ``years`` that are announced.

    Unannounced years are skipped silently; check
    ``calendar.missing_years(years)`` to warn about them.
    """
    overrides: dict[date, bool] = {}
    names: dict[date, str] = {}
    known: set[int] = set()
    for year in sorted(set(years)):
        try:
            days = official_overrides(year)
        except YearNotAnnounced:
            continue
        known.add(year)
        for d, (working, name) in days.items():
            overrides[d] = working
            names[d] = name
    return WorkCalendar(overrides, known, names=names)


def _holiday_name_zh(name: str | None) -> str:
    if not name:
        return "节假日调整"
    if name in HOLIDAY_NAMES_ZH:
        return HOLIDAY_NAMES_ZH[name]
    try:  # newer chinesecalendar releases may add holidays; the enum carries a Chinese name
        from chinese_calendar import Holiday

        return str(getattr(Holiday(name), "chinese", name))
    except (ImportError, ValueError):
        return name


def _as_date(d: date) -> date:
    return d.date() if isinstance(d, datetime) else d


def _to_local(dt: datetime) -> datetime:
    """Beijing wall-clock time as an aware datetime (naive input is taken as Beijing time)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=SHANGHAI)
    return dt.astimezone(SHANGHAI)


def _from_local(local: datetime, like: datetime) -> datetime:
    """Express ``local`` (aware, Beijing) in the tz of ``like`` (naive stays naive)."""
    if like.tzinfo is None:
        return local.replace(tzinfo=None)
    return local.astimezone(like.tzinfo)
