"""The plan's standards, each rule passing and failing with its reason (no database)."""

from __future__ import annotations

from datetime import time
from types import SimpleNamespace

import pytest

from shequ.facilities import checks
from shequ.facilities.checks import UnitFacts


def hours(spans: dict) -> dict:
    """'0'..'6'/'holiday' → (opens, closes) or 'all_day', as OpeningHours-like objects."""
    out = {}
    for day, span in spans.items():
        if span == "all_day":
            out[day] = SimpleNamespace(day=day, all_day=True, hours=24.0)
        else:
            h = (span[1].hour * 60 + span[1].minute - span[0].hour * 60 - span[0].minute) / 60
            out[day] = SimpleNamespace(day=day, all_day=False, hours=h)
    return out


WEEK = {str(d): (time(8, 30), time(16, 30)) for d in range(7)}


def test_activity_share_passes_at_sixty_percent():
    assert checks.check_activity_share(500, 300).passed


def test_activity_share_fails_below_sixty_percent_and_says_by_how_much():
    c = checks.check_activity_share(500, 250)
    assert c.failed
    assert "50.0%" in c.reason and "低于60%" in c.reason and "（十二）" in c.reason


@pytest.mark.parametrize("floor,activity", [(None, 100), (0, 100), (500, None)])
def test_activity_share_unknown_without_areas(floor, activity):
    c = checks.check_activity_share(floor, activity)
    assert c.status == "unknown" and "无法判断" in c.reason


def test_opening_hours_pass_with_eight_hours_every_day_and_holidays_all_day():
    assert checks.check_opening_hours(hours({**WEEK, "holiday": "all_day"})).passed


def test_opening_hours_fail_names_each_short_or_closed_day():
    spans = {**WEEK, "2": (time(9, 0), time(15, 0)), "holiday": "all_day"}
    del spans["6"]
    c = checks.check_opening_hours(hours(spans))
    assert c.failed
    assert "周三仅开放6小时" in c.reason and "周日不开放" in c.reason


def test_opening_hours_fail_when_holidays_are_not_all_day():
    c = checks.check_opening_hours(hours({**WEEK, "holiday": (time(9, 0), time(17, 0))}))
    assert c.failed and "节假日仅开放8小时，应全天开放" in c.reason
    c = checks.check_opening_hours(hours(WEEK))
    assert c.failed and "节假日不开放" in c.reason


def test_opening_hours_unknown_when_none_are_recorded():
    assert checks.check_opening_hours([]).status == "unknown"


def test_staff_two_in_a_city_community_one_in_a_village():
    assert checks.check_staff(2, is_village=False).passed
    c = checks.check_staff(1, is_village=False)
    assert c.failed and "至少2人" in c.reason
    assert checks.check_staff(1, is_village=True).passed
    assert checks.check_staff(0, is_village=True).failed


def facts(**kw) -> UnitFacts:
    base = dict(
        is_urban=True,
        is_village=False,
        households=1000,
        comprehensive_count=1,
        comprehensive_area=300.0,
        comprehensive_activity_area=200.0,
        self_service_count=1,
    )
    return UnitFacts(**{**base, **kw})


def test_a_community_without_a_comprehensive_facility_fails_indicators_1_2():
    c = checks.check_has_comprehensive(facts(comprehensive_count=0))
    assert c.failed and "指标1–2" in c.reason
    c = checks.check_has_comprehensive(facts(comprehensive_count=0, is_village=True))
    assert "本村" in c.reason
    assert checks.check_has_comprehensive(facts()).passed


def test_area_per_hundred_households_passes_at_thirty():
    assert checks.check_area_per_households(facts(comprehensive_area=300)).passed


def test_area_per_hundred_households_fails_below_thirty_with_the_area_needed():
    c = checks.check_area_per_households(facts(comprehensive_area=250))
    assert c.failed
    assert "每百户仅25.0㎡" in c.reason and "至少需300㎡" in c.reason


def test_area_per_hundred_households_unknown_without_households():
    assert checks.check_area_per_households(facts(households=0)).status == "unknown"


def test_unit_activity_share_is_rolled_up_by_area():
    assert checks.check_unit_activity_share(facts(comprehensive_activity_area=180)).passed
    assert checks.check_unit_activity_share(facts(comprehensive_activity_area=170)).failed
    assert checks.check_unit_activity_share(facts(comprehensive_count=0)).status == "unknown"


def test_urban_community_needs_a_self_service_terminal():
    assert checks.check_self_service(facts()).passed
    c = checks.check_self_service(facts(self_service_count=0))
    assert c.failed and "指标6" in c.reason


def test_villages_are_not_held_to_the_terminal_rule():
    assert checks.check_self_service(facts(is_urban=False, is_village=True)) is None
    codes = [c.code for c in checks.unit_checks(facts(is_urban=False, is_village=True))]
    assert "self_service" not in codes and "has_comprehensive" in codes


def test_facility_checks_apply_only_to_types_held_to_the_standard():
    f = SimpleNamespace(
        type=SimpleNamespace(held_to_standard=False),
        unit=None,
        floor_area=None,
        activity_area=None,
        staff_on_duty=0,
        hours=SimpleNamespace(all=lambda: []),
    )
    assert checks.facility_checks(f) == []
    f.type.held_to_standard = True
    assert [c.code for c in checks.facility_checks(f)] == [
        "activity_share",
        "opening_hours",
        "staff",
    ]
