"""Overdue tickets escalate by themselves, once, whichever worker gets there first."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from shequ.tickets import services, tasks
from shequ.tickets.models import Action, Status, Ticket, TicketEvent
from shequ.tickets.tests.conftest import beijing

pytestmark = pytest.mark.django_db


def escalations(ticket):
    return TicketEvent.objects.filter(ticket=ticket, action=Action.ESCALATE).count()


def test_a_ticket_not_accepted_in_time_escalates(file_ticket, clock):
    ticket = file_ticket(category="property")  # Tue 10:00, accept by 12:00
    clock(beijing(2025, 9, 2, 11, 59))
    assert services.escalate_overdue() == 0

    clock(beijing(2025, 9, 2, 12, 1))
    assert services.escalate_overdue() == 1

    ticket.refresh_from_db()
    assert ticket.status == Status.ESCALATED and ticket.escalated_at == beijing(2025, 9, 2, 12, 1)
    event = ticket.events.last()
    assert event.actor is None and event.actor_label == "系统" and "签收" in event.note


def test_an_accepted_ticket_past_its_answer_deadline_escalates(file_ticket, clock, personas):
    ticket = services.accept(file_ticket(category="property"), actor=personas["handler"])
    clock(beijing(2025, 9, 11, 10, 1))  # 7 working days after Tue 2 Sep 10:00

    assert services.escalate_overdue() == 1
    assert Ticket.objects.get(pk=ticket.pk).status == Status.ESCALATED


def test_a_second_run_escalates_nothing_again(file_ticket, clock):
    ticket = file_ticket(category="property")
    clock(beijing(2025, 9, 3, 9, 0))

    assert services.escalate_overdue() == 1
    assert services.escalate_overdue() == 0
    assert escalations(ticket) == 1


def test_a_late_worker_with_the_same_list_escalates_nothing(file_ticket, clock):
    ticket = file_ticket(category="property")
    clock(beijing(2025, 9, 3, 9, 0))
    # Both workers read the overdue list before either escalated.
    seen_by_second = list(Ticket.objects.overdue().values_list("pk", flat=True))

    assert services.escalate_overdue() == 1
    assert services.escalate_overdue(candidates=seen_by_second) == 0
    assert escalations(ticket) == 1


def test_tickets_already_answered_are_not_overdue(file_ticket, clock, personas):
    ticket = services.accept(file_ticket(category="property"), actor=personas["handler"])
    services.resolve(ticket, actor=personas["handler"], text="已联系物业公司，电梯已修复")
    clock(beijing(2025, 12, 1, 9, 0))
    assert services.escalate_overdue() == 0


def test_the_command_escalates_for_a_timer(file_ticket, clock, capsys):
    file_ticket(category="property")
    clock(beijing(2025, 9, 3, 9, 0))
    call_command("escalate_overdue")
    assert "escalated=1" in capsys.readouterr().out


def test_the_task_escalates_and_queues_its_next_run(file_ticket, clock):
    from django_tasks_db.models import DBTaskResult

    file_ticket(category="property")
    clock(beijing(2025, 9, 3, 9, 0))

    assert tasks.escalate_overdue.call() == 1
    queued = DBTaskResult.objects.get(task_path=tasks.escalate_overdue.module_path)
    assert queued.run_after == beijing(2025, 9, 3, 9, 5)
    # Scheduling again while a run waits adds nothing.
    assert tasks.schedule() is False
    assert DBTaskResult.objects.count() == 1


def test_the_command_starts_the_task_chain_once(db, clock, capsys):
    call_command("escalate_overdue", "--schedule")
    call_command("escalate_overdue", "--schedule")
    out = capsys.readouterr().out
    assert "已排入" in out and "已在队列中" in out
    assert tasks.pending_runs() == 1
