"""The state machine: every edge of the table is allowed to its parties, everything else is
refused with 409 and changes nothing; each change writes one event."""

from __future__ import annotations

import itertools

import pytest

from shequ.errors import Conflict, Forbidden, Invalid, NotFound
from shequ.tickets.models import (
    Assignment,
    ResponsibleUnit,
    Status,
    Ticket,
    TicketEvent,
    next_due,
)
from shequ.tickets.workflow import (
    DISPATCHER,
    HANDLER,
    RESIDENT,
    RESIDENT_ACTOR,
    SUPERVISOR,
    SYSTEM,
    SYSTEM_ACTOR,
    TRANSITIONS,
    transition,
)

pytestmark = pytest.mark.django_db

ALLOWED = [
    (source, target, party)
    for (source, target), edge in TRANSITIONS.items()
    for party in sorted(edge.parties)
]
FORBIDDEN = [pair for pair in itertools.product(Status, Status) if pair not in TRANSITIONS]


@pytest.fixture
def zjj():
    return ResponsibleUnit.objects.get(department__code="zjj")


@pytest.fixture
def waiting(file_ticket):
    """A ticket nobody has routed yet (no category): it waits for a dispatcher."""
    return file_ticket("楼下有人长期占用消防通道停放车辆", category=None)


def put_in(ticket: Ticket, status: Status, unit: ResponsibleUnit) -> Ticket:
    """Test set-up only: place the ticket in ``status`` assigned to ``unit``."""
    Ticket.objects.filter(pk=ticket.pk).update(
        status=status, assigned_unit=unit, assigned_code=unit.code
    )
    return Ticket.objects.get(pk=ticket.pk)


def actor_for(party: str, personas):
    return {
        DISPATCHER: personas["officer_a"],
        SUPERVISOR: personas["admin"],
        HANDLER: personas["handler"],
        RESIDENT: RESIDENT_ACTOR,
        SYSTEM: SYSTEM_ACTOR,
    }[party]


@pytest.mark.parametrize(
    "source,target,party", ALLOWED, ids=[f"{s}-{t}-by-{p}" for s, t, p in ALLOWED]
)
def test_every_edge_of_the_table_is_allowed_to_its_parties(
    waiting, personas, zjj, source, target, party
):
    ticket = put_in(waiting, source, zjj)
    before = ticket.events.count()

    moved = transition(
        ticket, target, actor=actor_for(party, personas), note="按规定办理", unit=zjj
    )

    assert moved.status == target
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.status == target
    # The deadline owed now follows the state: the overdue job reads only this column.
    assert stored.due_at == next_due(target, stored.accept_due, stored.answer_due)
    event = ticket.events.order_by("-id").first()
    assert ticket.events.count() == before + 1
    assert (event.from_status, event.to_status, event.note) == (source, target, "按规定办理")


@pytest.mark.parametrize("source,target", FORBIDDEN, ids=[f"{s}-{t}" for s, t in FORBIDDEN])
def test_every_other_pair_is_refused_with_a_conflict_and_changes_nothing(
    waiting, zjj, source, target
):
    from shequ.accounts.models import User

    root = User.objects.create_superuser("root", password="x")  # a party to everything
    ticket = put_in(waiting, source, zjj)
    events = TicketEvent.objects.count()

    with pytest.raises(Conflict) as error:
        transition(ticket, target, actor=root, note="试试", unit=zjj)

    assert error.value.status == 409 and error.value.code == "transition_not_allowed"
    assert Ticket.objects.get(pk=ticket.pk).status == source
    assert TicketEvent.objects.count() == events


@pytest.mark.parametrize("source,target", list(TRANSITIONS), ids=lambda v: str(v))
def test_a_read_only_leader_is_party_to_no_edge(waiting, personas, zjj, source, target):
    ticket = put_in(waiting, source, zjj)
    with pytest.raises(Forbidden):
        transition(ticket, target, actor=personas["leader"], note="试试", unit=zjj)
    assert Ticket.objects.get(pk=ticket.pk).status == source


def test_a_clerk_of_another_community_does_not_even_find_the_ticket(waiting, personas, zjj):
    with pytest.raises(NotFound):
        transition(waiting, Status.DISPATCHED, actor=personas["clerk_b"], unit=zjj)
    assert Ticket.objects.get(pk=waiting.pk).status == Status.SUBMITTED


def test_a_handler_of_another_department_does_not_find_it(waiting, personas, zjj):
    from shequ.accounts.models import Department, Role, User

    other = User.objects.create_user(
        "mz", role=Role.DEPARTMENT_HANDLER, department=Department.objects.get(code="mzj")
    )
    ticket = put_in(waiting, Status.DISPATCHED, zjj)
    with pytest.raises(NotFound):
        transition(ticket, Status.ACCEPTED, actor=other)
    transition(ticket, Status.ACCEPTED, actor=personas["handler"])


def test_a_stale_copy_cannot_overwrite_a_newer_state(waiting, personas, zjj):
    ticket = put_in(waiting, Status.DISPATCHED, zjj)
    stale = Ticket.objects.get(pk=ticket.pk)
    transition(ticket, Status.ACCEPTED, actor=personas["handler"])

    with pytest.raises(Conflict):
        transition(stale, Status.RETURNED, actor=personas["handler"], note="不归我们管")

    assert Ticket.objects.get(pk=ticket.pk).status == Status.ACCEPTED


def test_returning_needs_a_reason_and_goes_back_to_the_dispatcher(waiting, personas, zjj):
    ticket = transition(waiting, Status.DISPATCHED, actor=personas["officer_a"], unit=zjj)
    with pytest.raises(Invalid):
        transition(ticket, Status.RETURNED, actor=personas["handler"], note="  ")

    ticket = transition(
        ticket,
        Status.RETURNED,
        actor=personas["handler"],
        note="属于消防通道管理，应由应急部门处理",
    )

    assert ticket.status == Status.RETURNED and ticket.assigned_unit is None
    assignment = Assignment.objects.get(ticket=ticket)
    assert assignment.returned_at is not None and assignment.accepted_at is None


def test_the_first_unit_to_accept_stays_accountable(waiting, personas, zjj):
    ticket = transition(waiting, Status.DISPATCHED, actor=personas["officer_a"], unit=zjj)
    ticket = transition(ticket, Status.ACCEPTED, actor=personas["handler"])
    ticket = transition(ticket, Status.ESCALATED, actor=personas["admin"], note="督办")
    yjj = ResponsibleUnit.objects.get(department__code="yjj")
    ticket = transition(ticket, Status.DISPATCHED, actor=personas["admin"], unit=yjj)

    assert ticket.assigned_unit == yjj
    assert ticket.first_accepted_unit == zjj
    assert ticket.first_accepted_by == personas["handler"]
    # 首问负责: the first department still sees the ticket it handed on.
    assert Ticket.objects.in_scope(personas["handler"]).filter(pk=ticket.pk).exists()


def test_a_ticket_reopens_only_once(waiting, personas, zjj):
    ticket = put_in(waiting, Status.RESOLVED, zjj)
    ticket = transition(ticket, Status.REOPENED, actor=RESIDENT_ACTOR)
    assert ticket.reopen_count == 1
    ticket = put_in(ticket, Status.RESOLVED, zjj)

    with pytest.raises(Conflict) as error:
        transition(ticket, Status.REOPENED, actor=RESIDENT_ACTOR)
    assert error.value.code == "reopen_limit"
