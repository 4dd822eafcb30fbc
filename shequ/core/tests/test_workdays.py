from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shequ.core.workdays import (
    WorkCalendar,
    YearNotAnnounced,
    add_calendar_hours,
    official_calendar,
    official_overrides,
)


@pytest.fixture
def settings() -> SimpleNamespace:
    """Stand-in for pytest-django's ``settings``, which autouse fixtures of the
    project conftest write to: these Django-free tests must also run with
    ``-p no:django`` (and need no Django settings when run with it)."""
    return SimpleNamespace()


SH = ZoneInfo("Asia/Shanghai")
CAL = official_calendar([2025, 2026, 2027])


def bj(*args: int) -> datetime:
    """Beijing time."""
    return datetime(*args, tzinfo=SH)  # type: ignore[misc]


# -------------------------------------------------- the official calendar data


def test_2025_national_day_as_announced() -> None:
    # 国务院办公厅关于2025年部分节假日安排的通知: National Day and
    # Mid-Autumn combined, off 1–8 October; Sun 28 Sep and Sat 11 Oct are working days.
    days = official_overrides(2025)
    assert days[date(2025, 9, 28)] == (True, "国庆节")
    assert days[date(2025, 10, 11)] == (True, "国庆节")
    assert days[date(2025, 10, 1)] == (False, "国庆节")
    assert days[date(2025, 10, 6)] == (False, "中秋节")
    assert days[date(2025, 10, 8)] == (False, "国庆节")
    # Holidays on a weekend are not overrides: they are off anyway.
    assert date(2025, 10, 4) not in days
    assert [CAL.is_workday(date(2025, 10, d)) for d in range(1, 14)] == [
        False, False, False, False, False, False, False, False,  # 1–8 off
        True, True, True,  # Thu 9, Fri 10, Sat 11 (调休)
        False, True,  # Sun 12, Mon 13
    ]  # fmt: skip
    assert CAL.is_workday(date(2025, 9, 28))
    assert not CAL.is_workday(date(2025, 9, 27))


def test_overrides_use_chinese_names() -> None:
    names = {name for _, name in official_overrides(2025).values()}
    assert names == {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}
    assert CAL.day_name(date(2026, 2, 16)) == "春节"
    assert CAL.day_name(date(2026, 2, 17)) == "春节"
    assert CAL.day_name(date(2026, 3, 2)) is None


def test_overrides_agree_with_package_on_every_day() -> None:
    d = date(2025, 1, 1)
    while d.year < 2027:
        assert CAL.is_workday(d) == chinese_calendar.is_workday(d), d
        d += timedelta(days=1)


def test_special_holiday_name() -> None:
    assert official_overrides(2015)[date(2015, 9, 3)] == (
        False,
        "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
    )


@pytest.mark.parametrize("year", [2027, 2003])
def test_unannounced_year_raises(year: int) -> None:
    with pytest.raises(YearNotAnnounced, match=str(year)) as excinfo:
        official_overrides(year)
    assert excinfo.value.year == year
    assert isinstance(excinfo.value, LookupError)


def test_2027_falls_back_to_weekends_and_is_reported_missing() -> None:
    assert CAL.known_years == {2025, 2026}
    assert CAL.missing_years([2027, 2026, 2027, 2028]) == [2027, 2028]
    assert CAL.missing_years(range(2025, 2027)) == []
    # 1 Jan 2027 is a Friday: without the notice it is treated as a working day.
    assert CAL.is_workday(date(2027, 1, 1))
    assert not CAL.is_workday(date(2027, 1, 2))
    assert CAL.add_working_days(bj(2026, 12, 31, 10), 1) == bj(2027, 1, 1, 10)
    assert CAL.add_working_days(bj(2027, 1, 1, 10), 1) == bj(2027, 1, 4, 10)


# ------------------------------------------------------------ working days


def test_ticket_before_national_day_2025() -> None:
    filed = bj(2025, 9, 30, 10)
    assert CAL.add_working_days(filed, 1) == bj(2025, 10, 9, 10)
    assert CAL.add_working_days(filed, 2) == bj(2025, 10, 10, 10)
    # The third working day is Saturday 11 October, an adjusted working day.
    assert CAL.add_working_days(filed, 3) == bj(2025, 10, 11, 10)
    assert CAL.add_working_days(filed, 4) == bj(2025, 10, 13, 10)


def test_ticket_filed_on_adjusted_working_sunday() -> None:
    assert CAL.add_working_days(bj(2025, 9, 28, 15, 20), 1) == bj(2025, 9, 29, 15, 20)


def test_spring_festival_2026() -> None:
    # 2026 notice: off Sun 15 – Mon 23 Feb; Sat 14 Feb and Sat 28 Feb are working days.
    assert CAL.is_workday(date(2026, 2, 14))
    assert not any(CAL.is_workday(date(2026, 2, d)) for d in range(15, 24))
    assert CAL.is_workday(date(2026, 2, 28))
    assert CAL.add_working_days(bj(2026, 2, 13, 10), 1) == bj(2026, 2, 14, 10)
    assert CAL.add_working_days(bj(2026, 2, 13, 10), 2) == bj(2026, 2, 24, 10)
    assert CAL.add_working_days(bj(2026, 2, 14, 16), 1) == bj(2026, 2, 24, 16)
    # Filed during the holiday: counted from Tue 24 Feb 09:00.
    assert CAL.add_working_days(bj(2026, 2, 17, 11), 0) == bj(2026, 2, 24, 9)
    assert CAL.add_working_days(bj(2026, 2, 17, 11), 1) == bj(2026, 2, 25, 9)
    # From Tue 24 Feb: 25, 26, 27, Sat 28 (调休), Mon 2 Mar.
    assert CAL.add_working_days(bj(2026, 2, 24, 9), 4) == bj(2026, 2, 28, 9)
    assert CAL.add_working_days(bj(2026, 2, 24, 9), 5) == bj(2026, 3, 2, 9)


def test_filed_on_weekend_starts_next_working_day_at_nine() -> None:
    saturday = bj(2025, 6, 7, 15, 45)
    assert CAL.add_working_days(saturday, 0) == bj(2025, 6, 9, 9)
    assert CAL.add_working_days(saturday, 1) == bj(2025, 6, 10, 9)
    custom = CAL.add_working_days(saturday, 1, non_workday_start=time(8, 30))
    assert custom == bj(2025, 6, 10, 8, 30)


def test_utc_input_gives_utc_output_correct_in_beijing() -> None:
    filed = datetime(2025, 9, 30, 2, tzinfo=UTC)  # 10:00 Beijing
    due = CAL.add_working_days(filed, 1)
    assert due.tzinfo is UTC
    assert due == datetime(2025, 10, 9, 2, tzinfo=UTC)
    # 20:00 UTC on 30 Sep is already 04:00 on 1 Oct (a holiday) in Beijing,
    # so the count starts on 9 Oct 09:00 Beijing = 01:00 UTC.
    late = datetime(2025, 9, 30, 20, tzinfo=UTC)
    due = CAL.add_working_days(late, 1)
    assert due == datetime(2025, 10, 10, 1, tzinfo=UTC)
    assert due.astimezone(SH) == bj(2025, 10, 10, 9)


def test_naive_input_is_beijing_time_and_stays_naive() -> None:
    due = CAL.add_working_days(datetime(2025, 9, 30, 10), 1)
    assert due == datetime(2025, 10, 9, 10)
    assert due.tzinfo is None


def test_negative_days_rejected() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_days(bj(2025, 1, 2, 10), -1)


@given(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 11, 30)),
    st.integers(min_value=0, max_value=20),
)
def test_working_days_agree_with_package(start: datetime, days: int) -> None:
    filed = start.replace(tzinfo=SH)
    due = CAL.add_working_days(filed, days)
    first = chinese_calendar.find_workday(0, start.date())  # start itself if working
    assert due.date() == chinese_calendar.find_workday(days, first)
    assert chinese_calendar.is_workday(due.date())
    assert due.time() == (start.time() if first == start.date() else time(9))


# ----------------------------------------------------------- working hours


def test_working_hours_same_day() -> None:
    assert CAL.add_working_hours(bj(2025, 6, 10, 9), 2) == bj(2025, 6, 10, 11)


def test_working_hours_across_day_boundary_without_lunch_break() -> None:
    # Tue 16:00 + 3 h: 1.5 h until 17:30, 1.5 h from Wed 08:30.
    assert CAL.add_working_hours(bj(2025, 6, 10, 16), 3) == bj(2025, 6, 11, 10)
    # 18 h from Mon opening = two full 9-hour days, ending exactly at Tue closing.
    assert CAL.add_working_hours(bj(2025, 6, 9, 8, 30), 18) == bj(2025, 6, 10, 17, 30)


def test_working_hours_across_weekend() -> None:
    assert CAL.add_working_hours(bj(2025, 6, 6, 16, 30), 2) == bj(2025, 6, 9, 9, 30)
    # Landing exactly on closing time stays on Friday.
    assert CAL.add_working_hours(bj(2025, 6, 6, 15, 30), 2) == bj(2025, 6, 6, 17, 30)
    # Filed on Saturday: counted from Monday opening.
    assert CAL.add_working_hours(bj(2025, 6, 7, 11), 2) == bj(2025, 6, 9, 10, 30)


def test_working_hours_across_holiday_and_adjusted_weekend() -> None:
    assert CAL.add_working_hours(bj(2025, 9, 30, 16, 30), 2) == bj(2025, 10, 9, 9, 30)
    # Fri 10 Oct 17:00 + 1 h → Sat 11 Oct (调休 working day) 09:00.
    assert CAL.add_working_hours(bj(2025, 10, 10, 17), 1) == bj(2025, 10, 11, 9)


def test_working_hours_outside_office_time() -> None:
    assert CAL.add_working_hours(bj(2025, 6, 10, 7), 1) == bj(2025, 6, 10, 9, 30)
    assert CAL.add_working_hours(bj(2025, 6, 10, 20), 1) == bj(2025, 6, 11, 9, 30)
    assert CAL.add_working_hours(bj(2025, 6, 10, 20), 0) == bj(2025, 6, 11, 8, 30)
    assert CAL.add_working_hours(bj(2025, 6, 10, 17, 30), 0) == bj(2025, 6, 10, 17, 30)
    assert CAL.add_working_hours(bj(2025, 6, 10, 12, 15), 0.25) == bj(2025, 6, 10, 12, 30)


def test_working_hours_custom_office_and_utc() -> None:
    start = datetime(2025, 6, 10, 8, tzinfo=UTC)  # 16:00 Beijing
    due = CAL.add_working_hours(start, 2, day_start=time(9), day_end=time(17))
    assert due == datetime(2025, 6, 11, 2, tzinfo=UTC)  # Wed 10:00 Beijing
    assert due.tzinfo is UTC


def test_working_hours_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_hours(bj(2025, 6, 10, 9), -1)
    with pytest.raises(ValueError):
        CAL.add_working_hours(bj(2025, 6, 10, 9), 1, day_start=time(18), day_end=time(9))


@given(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 11, 30)),
    st.integers(min_value=1, max_value=40),
)
def test_working_hours_land_in_office_time(start: datetime, quarters: int) -> None:
    due = CAL.add_working_hours(start.replace(tzinfo=SH), quarters / 4)
    assert due > start.replace(tzinfo=SH)
    assert CAL.is_workday(due.date())
    assert time(8, 30) < due.time() <= time(17, 30)


# ------------------------------------------------------------ calendar hours


def test_calendar_hours() -> None:
    assert add_calendar_hours(bj(2025, 9, 30, 10), 24) == bj(2025, 10, 1, 10)
    utc = datetime(2025, 9, 30, 2, tzinfo=UTC)
    assert add_calendar_hours(utc, 24) == datetime(2025, 10, 1, 2, tzinfo=UTC)
    assert add_calendar_hours(datetime(2025, 9, 30, 10), 1.5) == datetime(2025, 9, 30, 11, 30)
    # Elapsed time across a DST change (in a zone that has one) is real time.
    ny = ZoneInfo("America/New_York")
    before = datetime(2025, 3, 8, 12, tzinfo=ny)
    assert add_calendar_hours(before, 24) == datetime(2025, 3, 9, 13, tzinfo=ny)
    assert CAL.add_calendar_hours(before, 24) == add_calendar_hours(before, 24)


# -------------------------------------------------------- custom calendars


def test_custom_calendar_and_with_overrides() -> None:
    base = WorkCalendar.weekends_only()
    assert base.is_workday(date(2030, 1, 1))  # Tuesday
    assert base.missing_years([2030]) == [2030]
    local = base.with_overrides(
        {date(2030, 1, 1): False, date(2030, 1, 5): True}, {2030}, names={date(2030, 1, 1): "元旦"}
    )
    assert not local.is_workday(date(2030, 1, 1))
    assert local.is_workday(date(2030, 1, 5))  # Saturday made a working day
    assert local.day_name(date(2030, 1, 1)) == "元旦"
    assert local.missing_years([2030]) == []
    assert base.is_workday(date(2030, 1, 1))  # the original is unchanged
    assert local.next_workday(date(2029, 12, 31)) == date(2030, 1, 2)
    assert local.next_workday(date(2029, 12, 31), include_today=True) == date(2029, 12, 31)
    assert "2030" in repr(local)
    # datetime keys and queries are treated as their date
    cal = WorkCalendar({datetime(2030, 1, 2, 12): False}, [2030])
    assert not cal.is_workday(datetime(2030, 1, 2, 8))
    assert cal.overrides == {date(2030, 1, 2): False}
