"""The demo year: deterministic, every state, histories that follow the state machine."""

from __future__ import annotations

import pytest

from shequ.tickets import hotspots, rates
from shequ.tickets.demo import generate_demo_tickets
from shequ.tickets.models import Assignment, Rating, Status, Ticket, TicketEvent, next_due
from shequ.tickets.tests.conftest import beijing
from shequ.tickets.workflow import TRANSITIONS

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(units, personas, clock):
    for unit in units.values():
        unit.centre_lat, unit.centre_lon, unit.population = 42.90, 125.14, 3000
        unit.save()
    clock(beijing(2025, 12, 10, 10, 0))
    return generate_demo_tickets(seed=7, scale=2, days=120)


def test_the_demo_is_deterministic(demo):
    first = list(Ticket.objects.order_by("number").values_list("number", "status", "text"))
    Rating.objects.all().delete()
    Assignment.objects.all().delete()
    Ticket.objects.all().delete()  # events and answers go with them

    again = generate_demo_tickets(seed=7, scale=2, days=120)

    assert again.tickets == demo.tickets
    assert list(Ticket.objects.order_by("number").values_list("number", "status", "text")) == first


def test_the_demo_covers_every_state_and_follows_the_table(demo):
    assert demo.tickets > 200
    assert set(demo.by_status) >= {
        Status.CLOSED,
        Status.RESOLVED,
        Status.ACCEPTED,
        Status.DISPATCHED,
        Status.ESCALATED,
    }
    for source, target in (
        TicketEvent.objects.exclude(from_status="")
        .values_list("from_status", "to_status")
        .distinct()
    ):
        assert (source, target) in TRANSITIONS, (source, target)
    assert Ticket.objects.overdue().exists()
    for t in Ticket.objects.all():
        assert t.due_at == next_due(t.status, t.accept_due, t.answer_due)
    assert Rating.objects.filter(satisfaction="unsatisfied").exists()


def test_the_demo_has_rates_and_a_hotspot(demo, personas):
    rows = rates.monthly_rates(beijing(2025, 11, 1).date(), user=personas["admin"])
    assert rows and all(r.response_rate is not None for r in rows if r.dispatched)
    found = hotspots.hotspots(personas["admin"], weeks=2)
    assert {h.unit_name for h in found} & {name for name, _ in demo.hotspots}
