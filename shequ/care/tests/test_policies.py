"""The rules as plain functions: who is a target, which policy is in force, what is owed."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from shequ.care.models import CareClass, Period, VisitPolicy
from shequ.care.policies import (
    PolicyBook,
    classify,
    fallback_policy,
    months_back,
    parse_month,
    period_bounds,
    required_visits,
)

TAGS = [
    "extreme_poverty",
    "incapacitated",
    "severe_disability",
    "living_alone",
    "disabled",
    "left_behind_child",
    "difficulty_child",
    "veteran",
]


def test_an_elder_of_80_is_special_difficulty_without_any_tag():
    assert classify(80, {}, lives_alone=False) == CareClass.SPECIAL_ELDERLY
    assert classify(79, {}, lives_alone=False) is None


def test_a_60_year_old_with_one_special_tag_is_special_difficulty():
    for tag in ("extreme_poverty", "incapacitated", "severe_disability", "living_alone"):
        assert classify(60, {tag: None}, lives_alone=False) == CareClass.SPECIAL_ELDERLY
    assert classify(59, {"living_alone": None}, lives_alone=True) is None


def test_grade_one_or_two_disability_is_severe_and_grade_three_is_not():
    assert classify(65, {"disabled": 2}, lives_alone=False) == CareClass.SPECIAL_ELDERLY
    assert classify(40, {"disabled": 1}, lives_alone=False) == CareClass.SEVERE_DISABILITY
    assert classify(40, {"disabled": 3}, lives_alone=False) is None
    assert classify(65, {"disabled": 3}, lives_alone=False) is None


def test_an_untagged_elder_alone_in_the_household_is_an_other_elder_living_alone():
    assert classify(70, {}, lives_alone=True) == CareClass.ELDERLY_ALONE


def test_children_classes_end_at_their_ages():
    assert classify(17, {"difficulty_child": None}, lives_alone=False) == CareClass.DIFFICULTY_CHILD
    assert classify(18, {"difficulty_child": None}, lives_alone=False) is None
    assert (
        classify(15, {"left_behind_child": None}, lives_alone=False) == CareClass.LEFT_BEHIND_CHILD
    )
    assert classify(16, {"left_behind_child": None}, lives_alone=False) is None


@given(
    age=st.integers(0, 110),
    tags=st.sets(st.sampled_from(TAGS)),
    grade=st.integers(1, 4),
    alone=st.booleans(),
)
def test_classes_follow_precedence(age, tags, grade, alone):
    held = {t: (grade if t == "disabled" else None) for t in tags}
    got = classify(age, held, lives_alone=alone)
    if age >= 80:
        assert got == CareClass.SPECIAL_ELDERLY
    if got == CareClass.ELDERLY_ALONE:
        assert age >= 60 and alone and "living_alone" not in tags
    if got in (CareClass.DIFFICULTY_CHILD, CareClass.LEFT_BEHIND_CHILD):
        assert age < 18
    if "veteran" in tags and len(tags) == 1 and age < 60:
        assert got is None


def test_periods_are_calendar_months_and_monday_weeks():
    assert period_bounds(date(2026, 2, 14), Period.MONTH) == (date(2026, 2, 1), date(2026, 2, 28))
    assert period_bounds(date(2026, 1, 1), Period.WEEK) == (date(2025, 12, 29), date(2026, 1, 4))


def test_required_visits_are_prorated_and_at_least_one():
    assert required_visits(31, 1, 31) == 1
    assert required_visits(3, 1, 31) == 1
    assert required_visits(31, 1, 7) == 4  # weekly policy over a full 31-day month
    assert required_visits(10, 1, 7) == 1
    assert required_visits(15, 2, 30) == 1
    assert required_visits(30, 2, 30) == 2


def _policy(pk, care_class, months, period, name):
    return VisitPolicy(
        pk=pk,
        care_class=care_class,
        name=name,
        months=months,
        period=period,
        min_visits=1,
        methods=["home"],
    )


def test_the_winter_policy_overrides_the_all_year_one_only_in_winter():
    book = PolicyBook(
        [
            _policy(1, "special_elderly", list(range(1, 13)), "month", "全年"),
            _policy(2, "special_elderly", [11, 12, 1, 2, 3], "week", "冬季"),
        ]
    )
    assert book.for_day("special_elderly", date(2026, 1, 15)).name == "冬季"
    assert book.for_day("special_elderly", date(2026, 11, 1)).name == "冬季"
    assert book.for_day("special_elderly", date(2026, 7, 15)).name == "全年"
    assert (
        book.for_day("severe_disability", date(2026, 7, 15)).name
        == fallback_policy("severe_disability").name
    )


def test_months_are_parsed_leniently_and_listed_oldest_first():
    assert parse_month("2026-03", date(2026, 5, 9)) == date(2026, 3, 1)
    assert parse_month("garbage", date(2026, 5, 9)) == date(2026, 5, 1)
    assert months_back(date(2026, 2, 1), 3) == [
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
