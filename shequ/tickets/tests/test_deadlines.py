"""Deadlines count working days on the official calendar table; a year without data falls
back to weekends, and administrators are told."""

from __future__ import annotations

import pytest

from shequ.tickets import deadlines
from shequ.tickets.models import CalendarDay, DaySource, DeadlineClass, Status
from shequ.tickets.tests.conftest import beijing

pytestmark = pytest.mark.django_db


def test_the_table_is_prefilled_with_the_official_2025_national_day(db):
    day = CalendarDay.objects.get(date="2025-10-08")
    assert (day.is_workday, day.name, day.source) == (False, "国庆节", DaySource.OFFICIAL)
    assert CalendarDay.objects.get(date="2025-09-28").is_workday  # 调休: a Sunday at work


def test_a_ticket_filed_before_national_day_is_due_after_it(file_ticket, clock):
    # Tuesday 30 September 2025, 16:00: the last working day before the 8-day holiday.
    clock(beijing(2025, 9, 30, 16, 0))

    ticket = file_ticket(category="property")  # 一般: 2 working hours / 7 working days

    assert ticket.status == Status.DISPATCHED
    # 1.5 h left on the 30th (office closes 17:30), the other 0.5 h on Thursday 9 October.
    assert ticket.accept_due == beijing(2025, 10, 9, 9, 0)
    # 9, 10, 11 (Saturday, 调休 workday), 13, 14, 15, 16 October.
    assert ticket.answer_due == beijing(2025, 10, 16, 16, 0)


def test_an_urgent_ticket_counts_calendar_hours_through_the_holiday(file_ticket, clock):
    clock(beijing(2025, 9, 30, 16, 0))

    ticket = file_ticket("家里暖气管道爆裂漏水，屋里全是水", category="heating")

    assert ticket.answer_due == beijing(2025, 10, 1, 16, 0)
    # Acceptance can never be due after the answer itself.
    assert ticket.accept_due == ticket.answer_due


def test_a_year_without_official_data_falls_back_to_weekends(file_ticket, clock):
    # chinesecalendar knows no 2027; Thursday 30 September 2027.
    clock(beijing(2027, 9, 30, 16, 0))

    ticket = file_ticket(category="property")

    # Fri 1 Oct, then Mon 4 … Mon 11 October: no National Day without the notice.
    assert ticket.answer_due == beijing(2027, 10, 11, 16, 0)


def test_a_manually_entered_holiday_moves_the_deadline(file_ticket, clock):
    deadlines.import_csv("date,is_workday,name\n2027-10-01,0,国庆节\n2027-10-04,0,国庆节\n")
    clock(beijing(2027, 9, 30, 16, 0))

    ticket = file_ticket(category="property")

    assert ticket.answer_due == beijing(2027, 10, 13, 16, 0)
    assert CalendarDay.objects.get(date="2027-10-01").source == DaySource.MANUAL


def test_a_bad_calendar_import_writes_nothing(db):
    from shequ.errors import Invalid

    with pytest.raises(Invalid) as error:
        deadlines.import_csv("2027-10-01,0,国庆节\n2027-13-01,0,坏日期\n")
    assert "第2行" in error.value.message
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_administrators_are_warned_while_next_year_is_missing(personas):
    from datetime import date

    assert deadlines.calendar_warning(personas["admin"], date(2025, 12, 1)) is None
    warning = deadlines.calendar_warning(personas["admin"], date(2026, 11, 20))
    assert "2027年" in warning
    # Only administrators: the clerk is not the one to fix it.
    assert deadlines.calendar_warning(personas["clerk_a"], date(2026, 11, 20)) is None


def test_loading_a_year_the_package_does_not_know_changes_nothing(db):
    from shequ.core.workdays import YearNotAnnounced

    before = CalendarDay.objects.count()
    with pytest.raises(YearNotAnnounced):
        deadlines.load_official([2026, 2099])
    assert CalendarDay.objects.count() == before


def test_the_holidays_command_reports_missing_years_and_exports(clock, capsys):
    from django.core.management import call_command

    call_command("holidays", "check")
    assert "完整" in capsys.readouterr().out  # 2 September 2025: 2025 and 2026 are known
    CalendarDay.objects.filter(date__year=2026).delete()
    deadlines.invalidate()
    call_command("holidays", "check")
    assert "缺少：2026" in capsys.readouterr().out
    call_command("holidays", "load", "2026")
    assert CalendarDay.objects.filter(date="2026-10-01", is_workday=False).exists()
    call_command("holidays", "export", "2025")
    out = capsys.readouterr().out
    assert "2025-10-08,0,国庆节" in out


def test_a_deadline_class_in_working_days_keeps_the_clock_time(db):
    general = DeadlineClass.objects.get(code="general")
    # Filed on Saturday 6 September 2025: counts from Monday 8th 09:00, plus 7 working days.
    assert deadlines.answer_due(beijing(2025, 9, 6, 15, 0), general) == beijing(2025, 9, 17, 9, 0)
    # Filed on a Tuesday at 10:00: the same clock time 7 working days later.
    assert deadlines.answer_due(beijing(2025, 9, 2, 10, 0), general) == beijing(2025, 9, 11, 10, 0)
