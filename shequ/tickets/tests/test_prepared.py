"""Rows compiled before the transaction are the rows the ORM would write."""

import pytest

from shequ.tickets.models import Action, Status, Ticket, TicketEvent
from shequ.tickets.prepared import PreparedInsert

pytestmark = pytest.mark.django_db


def _event(ticket: Ticket, note: str) -> TicketEvent:
    return TicketEvent(
        ticket=ticket,
        at=ticket.created_at,
        actor_label="系统",
        action=Action.ESCALATE,
        from_status=Status.DISPATCHED,
        to_status=Status.DISPATCHED,
        note=note,
    )


def _copy(template: Ticket, number: str) -> Ticket:
    copy = Ticket.objects.get(pk=template.pk)
    copy.pk, copy.number, copy.idempotency_key = None, number, None
    copy._state.adding = True
    return copy


def test_prepared_rows_equal_what_save_writes(file_ticket):
    ticket = file_ticket()
    events = [_event(ticket, f"第{i}条备注") for i in range(2)]
    prepared = PreparedInsert(events)
    prepared.set("ticket_id", ticket.pk)
    prepared.execute()
    assert all(e.pk and not e._state.adding for e in events)
    twin = _event(ticket, "第0条备注")
    twin.save()
    fields = [f.attname for f in TicketEvent._meta.concrete_fields if f.attname != "id"]
    stored = TicketEvent.objects.filter(pk__in=[events[0].pk, twin.pk]).values(*fields)
    first, second = list(stored)
    assert first == second  # same values, field by field, as the ORM's own save


def test_a_new_ticket_gets_its_id_and_an_expression_is_refused(file_ticket):
    from django.db.models.functions import Now

    template = file_ticket()
    copy = _copy(template, "X" * 14)
    PreparedInsert([copy]).execute()
    assert copy.pk and Ticket.objects.get(pk=copy.pk).number == "X" * 14
    copy.pk, copy.number, copy.updated_at = None, "Y" * 14, Now()
    with pytest.raises(ValueError):
        PreparedInsert([copy])


def test_several_statements_go_in_one_trip_on_postgresql(file_ticket):
    import psycopg
    from django.db import connection

    from shequ.tickets.prepared import execute_all

    template = file_ticket()
    tickets = [_copy(template, "P" * 13 + str(i)) for i in range(2)]
    first = PreparedInsert(tickets)
    event = _event(template, "it's 100% 重要; DROP TABLE x")
    second = PreparedInsert([event])
    # How each statement was sent: on PostgreSQL inside psycopg's pipeline (queued, one
    # round trip for all three).
    sent = []

    def watch(execute, sql, params, many, context):
        if connection.vendor == "postgresql":
            status = connection.connection.pgconn.pipeline_status
            sent.append("queued" if status == psycopg.pq.PipelineStatus.ON else "sent alone")
        else:
            sent.append("in process")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        execute_all([first, second])
    expected = "queued" if connection.vendor == "postgresql" else "in process"
    assert sent == [expected] * 3
    assert all(t.pk and not t._state.adding for t in tickets) and event.pk
    assert tickets[0].pk != tickets[1].pk
    assert {t.number for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets])} == {
        "P" * 13 + "0",
        "P" * 13 + "1",
    }
    assert TicketEvent.objects.get(pk=event.pk).note == "it's 100% 重要; DROP TABLE x"


def test_a_row_with_its_own_id(file_ticket):
    from django.db import connection

    template = file_ticket()
    copy = _copy(template, "Q" * 14)
    prepared = PreparedInsert([copy], pk=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence('tickets_ticket', 'id'))")
            prepared.set("id", cursor.fetchone()[0])
    # On SQLite a NULL id is chosen by the database, as without the column.
    prepared.execute()
    assert Ticket.objects.get(pk=copy.pk).number == "Q" * 14


def test_values_taken_as_they_are_equal_what_the_fields_would_send(file_ticket):
    """The shortcut for plain values gives each column exactly what Django's own
    ``pre_save`` and ``get_db_prep_save`` give, for a ticket with every kind of column."""
    from django.db import connection

    ticket = file_ticket()
    ticket.lat, ticket.lon, ticket.classifier_confidence = 42.9, 125.1, 0.87
    prepared = PreparedInsert([ticket], pk=True)
    expected = [f.get_db_prep_save(f.pre_save(ticket, True), connection) for f in prepared.fields]
    assert [str(v) for v in prepared.rows[0]] == [str(v) for v in expected]
    assert [v is None for v in prepared.rows[0]] == [v is None for v in expected]
