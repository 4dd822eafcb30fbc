"""A finding that needs action becomes a 接诉即办 request, through the tickets service."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shequ.care.models import Visit
from shequ.care.services import VisitInput, record_visit
from shequ.care.tests.conftest import at
from shequ.errors import Invalid

pytestmark = pytest.mark.django_db


class HeatingClassifier:
    """Files anything about 暖气 under 供暖, sure of itself (like the tickets tests' fake)."""

    def predict(self, text):
        from types import SimpleNamespace

        return SimpleNamespace(label="heating", confidence=0.97, auto="暖气" in text)


@pytest.fixture(autouse=True)
def tickets_clock(now):
    from shequ.tickets import clock, routing

    routing.set_classifier(HeatingClassifier())
    with clock.frozen(at(2026, 3, 15)):
        yield
    routing.set_classifier(None)


def test_an_issue_found_on_a_visit_becomes_a_ticket_linked_to_it(care, personas):
    outcome = record_visit(
        VisitInput(
            person_id=care["wang"].pk,
            heating_ok=False,
            issue="家中暖气不热，室温只有十二度，老人独居",
        ),
        actor=personas["grid_a"],
    )
    visit = Visit.objects.get(pk=outcome.visit.pk)
    assert visit.ticket_id == outcome.ticket_id and outcome.ticket_number
    ticket = visit.ticket
    assert (ticket.channel, ticket.unit_code) == ("grid_patrol", "220403001001001")
    assert "暖气不热" in ticket.text and ticket.created_by == personas["grid_a"]
    assert ticket.category.code == "heating"


def test_the_ticket_shows_in_the_persons_care_record(care, personas, login):
    outcome = record_visit(
        VisitInput(person_id=care["wang"].pk, issue="楼道暖气管漏水，需要维修"),
        actor=personas["grid_a"],
    )
    response = login(personas["clerk_a"]).get(reverse("care:record", args=[care["wang"].pk]))
    tickets = [i for i in response.context["timeline"] if i.kind == "ticket"]
    assert len(tickets) == 1 and outcome.ticket_number in tickets[0].title
    assert tickets[0].url == reverse("tickets:detail", args=[outcome.ticket_id])


def test_the_phone_form_files_the_issue_and_says_so(care, personas, login):
    response = login(personas["grid_a"]).post(
        reverse("care:visit", args=[care["wang"].pk]),
        {
            "method": "home",
            "met": "self",
            "living": "good",
            "health": "fair",
            "risk": "medium",
            "issue": "暖气片不热，请供热公司上门查看",
        },
        follow=True,
    )
    assert "已生成接诉即办工单" in response.content.decode()
    assert Visit.objects.get().ticket is not None


def test_when_the_tickets_service_refuses_nothing_is_written(care, personas, monkeypatch):
    from shequ.tickets import services as tickets
    from shequ.tickets.models import Ticket

    def refuse(data, *, actor):
        raise Invalid("受理渠道暂停。")

    monkeypatch.setattr(tickets, "intake", refuse)
    with pytest.raises(Invalid, match="受理渠道暂停"):
        record_visit(
            VisitInput(person_id=care["wang"].pk, needs=["meal"], issue="暖气不热，需要上门查看"),
            actor=personas["grid_a"],
        )
    assert not Visit.objects.exists() and not Ticket.objects.exists()
    assert not care["target_wang"].orders.exists()
