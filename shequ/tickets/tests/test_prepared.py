"""Rows compiled before the transaction are the rows the ORM would write."""

import pytest

from shequ.tickets.models import Action, Status, Ticket, TicketEvent
from shequ.tickets.prepared import PreparedInsert

pytestmark = pytest.mark.django_db


def test_prepared_rows_equal_what_save_writes(file_ticket):
    ticket = file_ticket()
    events = [
        TicketEvent(
            ticket=ticket,
            at=ticket.created_at,
            actor_label="系统",
            action=Action.ESCALATE,
            from_status=Status.DISPATCHED,
            to_status=Status.DISPATCHED,
            note=f"第{i}条备注",
        )
        for i in range(2)
    ]
    prepared = PreparedInsert(events)
    prepared.set("ticket_id", ticket.pk)
    prepared.execute()
    assert all(e.pk and not e._state.adding for e in events)
    twin = TicketEvent(
        ticket=ticket,
        at=ticket.created_at,
        actor_label="系统",
        action=Action.ESCALATE,
        from_status=Status.DISPATCHED,
        to_status=Status.DISPATCHED,
        note="第0条备注",
    )
    twin.save()
    fields = [f.attname for f in TicketEvent._meta.concrete_fields if f.attname != "id"]
    stored = TicketEvent.objects.filter(pk__in=[events[0].pk, twin.pk]).values(*fields)
    first, second = list(stored)
    assert first == second  # same values, field by field, as the ORM's own save


def test_a_new_ticket_gets_its_id_and_an_expression_is_refused(file_ticket):
    from django.db.models.functions import Now

    template = file_ticket()
    copy = Ticket.objects.get(pk=template.pk)
    copy.pk, copy.number, copy.idempotency_key = None, "X" * 14, None
    copy._state.adding = True
    PreparedInsert([copy]).execute()
    assert copy.pk and Ticket.objects.get(pk=copy.pk).number == "X" * 14
    copy.pk, copy.number, copy.updated_at = None, "Y" * 14, Now()
    with pytest.raises(ValueError):
        PreparedInsert([copy])
