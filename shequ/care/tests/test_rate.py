"""The monthly visit rate on a known data set: arrivals, departures, methods, seasons."""

from __future__ import annotations

from datetime import date

import pytest

from shequ.care import rates
from shequ.care.models import CareTarget, VisitPolicy

pytestmark = pytest.mark.django_db
MARCH = date(2026, 3, 1)


def test_targets_count_in_a_month_their_interval_overlaps(march):
    counts = rates.roll_up(rates.rate_counts(MARCH))
    # A B C D E F in 太安街道, I in 仙城街道; G ended, H not started, K left on 1 March.
    assert counts["220403"] == (7, 3)
    assert counts["220403001"] == (6, 3)
    assert counts["220403002"] == (1, 0)
    assert counts["220403001001001"] == (4, 2)  # A met, B phone only, E met, F after leaving
    assert counts["220403001001002"] == (2, 1)  # C arrived 20th and was visited; D on 28th not


def test_the_missed_list_names_who_did_not_get_the_visits(march, personas, units):
    missed = rates.missed_targets(personas["admin"], units["district"], MARCH)
    assert [t.person.name for t in missed] == ["乙", "己", "丁", "壬"]
    d = next(t for t in missed if t.person.name == "丁")
    assert (d.days, d.required, d.visit_days) == (4, 1, 0)


def test_video_visits_count_for_classes_whose_policy_allows_them(march):
    everyone = rates.roll_up(rates.rate_counts(MARCH, classes=rates.CareClass.values))
    assert everyone["220403"] == (8, 4)  # J's video visit counts for the severely disabled


def test_the_table_shows_each_child_unit_and_the_total(march, personas, units):
    table = rates.rate_table(personas["officer_a"], units["street_a"], MARCH)
    assert [(r.name, r.targets, r.met) for r in table.rows] == [
        ("泰安社区", 6, 3),
        ("新苑社区", 0, 0),
    ]
    assert table.total.rate == 0.5 and not table.total.on_target
    assert table.rows[1].rate is None


def test_a_clerk_sees_only_her_communitys_targets(march, personas, units):
    table = rates.rate_table(personas["clerk_b"], units["district"], MARCH)
    assert (table.total.targets, table.total.met) == (1, 0)


def test_winter_weekly_policy_asks_a_visit_day_per_week_prorated(make):
    VisitPolicy.objects.filter(name="冬季每周探访").update(active=True)
    jan = [date(2026, 1, d) for d in (5, 12, 19)]
    make("冬一", "grid_a", date(2025, 6, 1), visits=[(d, "home") for d in jan])
    make(
        "冬二", "grid_a", date(2025, 6, 1), visits=[(d, "phone") for d in [*jan, date(2026, 1, 26)]]
    )
    make(
        "冬三", "grid_a", date(2025, 6, 1), visits=[(d, "home") for d in [*jan, date(2026, 1, 19)]]
    )
    make(
        "冬四",
        "grid_a",
        date(2025, 6, 1),
        date(2026, 1, 15),
        visits=[(date(2026, 1, 5), "home"), (date(2026, 1, 12), "home")],
    )
    by_name = {
        t.person.name: t for t in rates.annotate_month(CareTarget.objects.all(), date(2026, 1, 1))
    }
    assert (by_name["冬一"].required, by_name["冬一"].met) == (4, 0)
    assert (by_name["冬二"].visit_days, by_name["冬二"].met) == (4, 1)  # phone counts in winter
    assert (by_name["冬三"].visit_days, by_name["冬三"].met) == (3, 0)  # two visits, one day
    assert (by_name["冬四"].days, by_name["冬四"].required, by_name["冬四"].met) == (14, 2, 1)
    # In April the all-year monthly policy is back: one home visit is enough.
    april = {
        t.person.name: t for t in rates.annotate_month(CareTarget.objects.all(), date(2026, 4, 1))
    }
    assert april["冬一"].required == 1 and "冬四" not in april


def test_the_rate_is_a_fixed_number_of_queries(
    march, make, personas, units, django_assert_max_num_queries
):
    for i in range(20):
        make(f"多{i}", "grid_a", date(2025, 6, 1), visits=[(date(2026, 3, 3), "home")])
    with django_assert_max_num_queries(4):
        rates.rate_table(personas["admin"], units["district"], MARCH)
