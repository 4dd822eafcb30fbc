"""The demo: deterministic, a year of visits with gaps, red and green on the rate page."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command

from shequ.care import rates
from shequ.care.demo import generate_demo_care
from shequ.care.models import CareTarget, ServiceOrder, Visit
from shequ.care.policies import months_back

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 20)


@pytest.fixture
def registry(people, workers, personas, units):
    """Twenty elders over the two grids of 泰安社区 and 仙城社区 (plus the shared people)."""
    from shequ.conftest import id_number
    from shequ.registry import services
    from shequ.registry.models import GridRole, Worker

    Worker.objects.create(name="赵敏", unit=units["community_b"], grid_role=GridRole.GRID_WORKER)
    for i in range(20):
        unit = ["220403001001001", "220403001001002", "220403002001"][i % 3]
        services.create_household(actor=personas["admin"], number=f"D-{i}", unit_code=unit)
        services.create_person(
            services.PersonInput(
                name=f"老人{i}",
                id_number=id_number(40 + i, date(1935 + i % 8, 1 + i % 12, 3)),
                unit_code=unit,
                household_number=f"D-{i}",
            ),
            actor=personas["admin"],
        )


def fingerprint():
    return sorted(Visit.objects.values_list("person_id", "visited_on", "method", "risk"))


def test_the_demo_is_deterministic(registry):
    first = generate_demo_care(7, today=TODAY)
    prints = fingerprint()
    call_command("load_demo_care", "--seed", "7", "--today", TODAY.isoformat(), "--reset")
    assert fingerprint() == prints
    assert first["visits"] == Visit.objects.count() > 200
    assert first["providers"] == 4


def test_the_demo_has_a_year_of_visits_with_gaps(registry):
    generate_demo_care(3, today=TODAY)
    assert Visit.objects.order_by("visited_on").first().visited_on <= date(2025, 3, 31)
    assert Visit.objects.order_by("visited_on").last().visited_on < TODAY
    assert CareTarget.objects.open().count() >= 20
    by_month = [rates.roll_up(rates.rate_counts(m)) for m in months_back(date(2026, 2, 1), 12)]
    shares = [counts["220403"][1] / counts["220403"][0] for counts in by_month]
    print(shares)
    assert all(0.5 < s <= 1.0 for s in shares) and min(shares) < 1.0
    # Red and green: some community-months reach 100%, some do not.
    community = [c[code] for c in by_month for code in ("220403001001", "220403002001")]
    assert {met == total for total, met in community} == {True, False}
    assert ServiceOrder.objects.count() == Visit.objects.exclude(needs=[]).count()


def test_it_refuses_to_run_twice(registry):
    generate_demo_care(1, today=TODAY)
    with pytest.raises(RuntimeError):
        generate_demo_care(1, today=TODAY)
