"""The one state machine of a ticket: the table of allowed transitions and the one function
that performs them.

``transition()`` is the only code that changes ``Ticket.status``. In one transaction it
reads the ticket afresh through the actor's scope (``SELECT … FOR UPDATE`` on PostgreSQL),
checks the edge and who may take it, writes the new state with a conditional
``UPDATE … WHERE status = <old>`` (so a concurrent change — another worker, another clerk —
makes it fail instead of overwriting), sets the deadline columns, appends the event row, and
queues the notifications for after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from shequ.accounts.models import Role
from shequ.accounts.scope import scope_code
from shequ.errors import Conflict, Forbidden, Invalid, NotFound
from shequ.tickets import clock, deadlines
from shequ.tickets.models import (
    Action,
    Assignment,
    ResponsibleUnit,
    Status,
    Ticket,
    TicketEvent,
    next_due,
)

# ------------------------------------------------------------------- parties

DISPATCHER = "dispatcher"  # district admin, street officer in whose territory it lies
HANDLER = "handler"  # a member of the unit it is assigned to
SUPERVISOR = "supervisor"  # district admin, street officer in whose territory it lies (督办)
RESIDENT = "resident"  # the resident, through the secret follow-up link
SYSTEM = "system"  # automatic dispatch and the overdue job


@dataclass(frozen=True)
class Party:
    """A non-user actor: the resident (by follow-up link) or the system."""

    kind: str
    label: str

    is_authenticated = False
    pk = None


SYSTEM_ACTOR = Party(SYSTEM, "系统")
RESIDENT_ACTOR = Party(RESIDENT, "居民")


@dataclass(frozen=True)
class Edge:
    action: Action
    parties: frozenset[str]
    note_required: bool = False


def _edge(action: Action, *parties: str, note_required: bool = False) -> Edge:
    return Edge(action, frozenset(parties), note_required)


S = Status
# The whole life of a ticket ((十三) 接诉即办). Anything not in this table is refused with 409.
TRANSITIONS: dict[tuple[Status, Status], Edge] = {
    # 派单: automatic at intake, or by a dispatcher; again after a return or under 督办.
    (S.SUBMITTED, S.DISPATCHED): _edge(Action.DISPATCH, DISPATCHER, SYSTEM),
    (S.RETURNED, S.DISPATCHED): _edge(Action.DISPATCH, DISPATCHER),
    (S.ESCALATED, S.DISPATCHED): _edge(Action.DISPATCH, SUPERVISOR),
    # 签收 by the assigned unit (also late, under 督办, and after 重办).
    (S.DISPATCHED, S.ACCEPTED): _edge(Action.ACCEPT, HANDLER),
    (S.REOPENED, S.ACCEPTED): _edge(Action.ACCEPT, HANDLER),
    (S.ESCALATED, S.ACCEPTED): _edge(Action.ACCEPT, HANDLER),
    # 退单: "not ours" — back to the dispatcher, with the reason.
    (S.DISPATCHED, S.RETURNED): _edge(Action.RETURN, HANDLER, note_required=True),
    # 答复 by the unit handling it.
    (S.ACCEPTED, S.RESOLVED): _edge(Action.RESOLVE, HANDLER),
    (S.ESCALATED, S.RESOLVED): _edge(Action.RESOLVE, HANDLER),
    # 办结: the resident is (basically) satisfied, or a callback / the dispatcher closes it.
    (S.RESOLVED, S.CLOSED): _edge(Action.CLOSE, RESIDENT, DISPATCHER, SYSTEM),
    # Invalid, withdrawn or merged into another ticket before anybody accepted it.
    (S.SUBMITTED, S.CLOSED): _edge(Action.CLOSE, DISPATCHER, note_required=True),
    (S.RETURNED, S.CLOSED): _edge(Action.CLOSE, DISPATCHER, note_required=True),
    (S.DISPATCHED, S.CLOSED): _edge(Action.CLOSE, DISPATCHER, note_required=True),
    # 重办: the resident is not satisfied — back to the same unit (once; see guard below).
    (S.RESOLVED, S.REOPENED): _edge(Action.REOPEN, RESIDENT, DISPATCHER),
    # 督办: overdue (the system) or ordered by a supervisor; a second "not satisfied".
    (S.SUBMITTED, S.ESCALATED): _edge(Action.ESCALATE, SUPERVISOR, SYSTEM, note_required=True),
    (S.DISPATCHED, S.ESCALATED): _edge(Action.ESCALATE, SUPERVISOR, SYSTEM, note_required=True),
    (S.RETURNED, S.ESCALATED): _edge(Action.ESCALATE, SUPERVISOR, SYSTEM, note_required=True),
    (S.ACCEPTED, S.ESCALATED): _edge(Action.ESCALATE, SUPERVISOR, SYSTEM, note_required=True),
    (S.REOPENED, S.ESCALATED): _edge(Action.ESCALATE, SUPERVISOR, SYSTEM, note_required=True),
    (S.RESOLVED, S.ESCALATED): _edge(
        Action.ESCALATE, RESIDENT, SUPERVISOR, SYSTEM, note_required=True
    ),
}

# Reopening is allowed once; a second "not satisfied" escalates (rating service decides).
MAX_REOPENS = 1

ACTION_TARGET: dict[Action, Status] = {
    Action.DISPATCH: S.DISPATCHED,
    Action.ACCEPT: S.ACCEPTED,
    Action.RETURN: S.RETURNED,
    Action.RESOLVE: S.RESOLVED,
    Action.CLOSE: S.CLOSED,
    Action.REOPEN: S.REOPENED,
    Action.ESCALATE: S.ESCALATED,
}


def allowed_actions(ticket: Ticket, actor: Any) -> list[Action]:
    """The actions ``actor`` may take on ``ticket`` now (for buttons; the service re-checks)."""
    found: list[Action] = []
    mine = parties_of(actor, ticket)
    for (source, _target), edge in TRANSITIONS.items():
        if source == ticket.status and edge.parties & mine and edge.action not in found:
            if edge.action == Action.REOPEN and ticket.reopen_count >= MAX_REOPENS:
                continue
            found.append(edge.action)
    return found


def parties_of(actor: Any, ticket: Ticket) -> set[str]:
    """What ``actor`` is to ``ticket``. Scope is not decided here: the ticket was read
    through ``in_scope(actor)``, so territory is already the actor's."""
    if isinstance(actor, Party):
        return {actor.kind}
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return set()
    found: set[str] = set()
    territory = scope_code(actor)
    in_territory = territory is not None and (
        ticket.unit_code.startswith(territory)
        or (bool(ticket.assigned_code) and ticket.assigned_code.startswith(territory))
    )
    if actor.is_superuser or (
        actor.role in (Role.DISTRICT_ADMIN, Role.STREET_OFFICER) and in_territory
    ):
        found |= {DISPATCHER, SUPERVISOR}
    if is_member(actor, ticket.assigned_unit):
        found.add(HANDLER)
    return found


def is_member(user: Any, unit: ResponsibleUnit | None) -> bool:
    """A department's handlers, or the officers and clerks of the street/community itself."""
    if unit is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    if unit.department_id:
        return user.role == Role.DEPARTMENT_HANDLER and user.department_id == unit.department_id
    return (
        user.role in (Role.STREET_OFFICER, Role.CLERK) and user.scope_unit_id == unit.admin_unit_id
    )


def actor_label(actor: Any) -> str:
    if isinstance(actor, Party):
        return actor.label
    return (actor.get_full_name() or actor.username)[:60]


# ---------------------------------------------------------------- transition


@dataclass
class Step:
    """A transition worked out and checked, not yet written: the columns it sets and its
    event. :func:`transition` writes it under a row lock; intake writes the automatic
    dispatch of a ticket it is inserting with the ticket itself."""

    ticket: Ticket
    source: str
    to: Status
    changes: dict[str, Any]
    event: TicketEvent
    previous_unit_id: int | None

    def apply(self) -> None:
        """Set the new values on the ticket object (not in the database)."""
        for name, value in self.changes.items():
            setattr(self.ticket, name, value)


def plan(
    current: Ticket,
    to: Status,
    *,
    actor: Any,
    note: str = "",
    unit: ResponsibleUnit | None = None,
    merged_into: Ticket | None = None,
    action: Action | None = None,
    now: datetime | None = None,
) -> Step:
    """The one place the transition table is applied: check that ``actor`` may move
    ``current`` to ``to`` and work out what changes. Raises :class:`Conflict`
    (``transition_not_allowed``, ``reopen_limit``), :class:`Forbidden` or :class:`Invalid`;
    writes nothing."""
    note = (note or "").strip()
    source, previous_unit_id = current.status, current.assigned_unit_id
    edge = TRANSITIONS.get((source, to))
    if edge is None:
        raise Conflict(
            f"诉求当前为“{current.get_status_display()}”，不能{_verb(to, action)}。",
            code="transition_not_allowed",
        )
    if not edge.parties & parties_of(actor, current):
        raise Forbidden(f"您不能对此诉求执行“{edge.action.label}”。")
    if edge.note_required and not note:
        raise Invalid(f"{edge.action.label}须写明原因。", field="note")
    if to == S.REOPENED and current.reopen_count >= MAX_REOPENS:
        raise Conflict("此诉求已重办过一次，再次不满意将转督办。", code="reopen_limit")
    if to == S.DISPATCHED and unit is None:
        raise Invalid("请选择承办单位。", field="unit")

    now = now or clock.now()
    changes = _effects(current, to, now=now, unit=unit, actor=actor, merged_into=merged_into)
    changes["status"] = to
    changes["updated_at"] = now
    changes["due_at"] = next_due(
        to,
        changes.get("accept_due", current.accept_due),
        changes.get("answer_due", current.answer_due),
    )
    if "assigned_unit" in changes:
        assigned = changes["assigned_unit"].pk if changes["assigned_unit"] else None
    else:
        assigned = current.assigned_unit_id
    event = TicketEvent(
        ticket=current,
        at=now,
        actor=None if isinstance(actor, Party) else actor,
        actor_label=actor_label(actor),
        action=action or edge.action,
        from_status=source,
        to_status=to,
        unit_id=assigned or previous_unit_id,
        note=note,
    )
    return Step(current, source, to, changes, event, previous_unit_id)


def transition(
    ticket: Ticket,
    to: Status,
    *,
    actor: Any,
    note: str = "",
    unit: ResponsibleUnit | None = None,
    merged_into: Ticket | None = None,
    action: Action | None = None,
) -> Ticket:
    """Move ``ticket`` to ``to`` as ``actor``; the only writer of ``Ticket.status`` on an
    existing ticket.

    ``unit`` is required to dispatch. Raises :class:`NotFound` if the actor cannot see the
    ticket, :class:`Conflict` (``transition_not_allowed``, or ``stale`` when somebody else
    changed it meanwhile) if the edge is not in the table, :class:`Forbidden` if the actor is
    not a party to the edge, :class:`Invalid` if a required note or unit is missing. On any
    error nothing is written. Returns the ticket with its new values.
    """
    with transaction.atomic():
        current = _read_for_update(ticket.pk, actor)
        step = plan(
            current, to, actor=actor, note=note, unit=unit, merged_into=merged_into, action=action
        )
        # The claim: only the first of two concurrent writers finds the old status.
        updated = Ticket.objects.filter(pk=current.pk, status=step.source).update(**step.changes)
        if updated != 1:
            raise Conflict("诉求刚被他人处理，请刷新后再试。", code="stale")
        step.apply()
        step.event.save()
        record_assignment(current, to, step.previous_unit_id, now=step.event.at)
        from shequ.tickets import notify

        notify.ticket_changed(current, step.event)
    return current


def _read_for_update(pk: int, actor: Any) -> Ticket:
    # The resident (by secret link) and the system act on any ticket; people within scope.
    qs = Ticket.objects.all() if isinstance(actor, Party) else Ticket.objects.in_scope(actor)
    if connection.features.has_select_for_update:
        # Lock the ticket row only: its category and unit are joined on nullable keys.
        qs = qs.select_for_update(of=("self",))
    current = qs.select_related("category__deadline_class", "assigned_unit").filter(pk=pk).first()
    if current is None:
        raise NotFound("诉求不存在或不在您的管辖范围内。")
    return current


def _effects(
    t: Ticket,
    to: Status,
    *,
    now: datetime,
    unit: ResponsibleUnit | None,
    actor: Any,
    merged_into: Ticket | None,
) -> dict[str, Any]:
    """The columns a transition sets besides ``status``: units, timestamps, deadlines."""
    dclass = t.category.deadline_class if t.category_id else None
    changes: dict[str, Any] = {}
    if to == S.DISPATCHED:
        answer = deadlines.answer_due(now, dclass)
        changes.update(
            assigned_unit=unit,
            assigned_code=unit.code,
            dispatched_at=now,
            accept_due=min(deadlines.accept_due(now, dclass), answer),
            answer_due=answer,
        )
    elif to == S.ACCEPTED:
        changes["accepted_at"] = now
        if t.first_accepted_unit_id is None:
            changes.update(
                first_accepted_unit=t.assigned_unit,
                first_accepted_by=None if isinstance(actor, Party) else actor,
            )
    elif to == S.RETURNED:
        # Back to the dispatcher, who must re-dispatch within the acceptance window.
        changes.update(
            assigned_unit=None, assigned_code="", accept_due=deadlines.accept_due(now, dclass)
        )
    elif to == S.RESOLVED:
        changes["resolved_at"] = now
    elif to == S.CLOSED:
        changes["closed_at"] = now
        if merged_into is not None:
            changes["merged_into"] = merged_into
    elif to == S.REOPENED:
        answer = deadlines.answer_due(now, dclass)
        changes.update(
            reopen_count=t.reopen_count + 1,
            dispatched_at=now,
            accept_due=min(deadlines.accept_due(now, dclass), answer),
            answer_due=answer,
        )
    elif to == S.ESCALATED:
        changes["escalated_at"] = now
    return changes


def record_assignment(
    t: Ticket, to: Status, previous_unit_id: int | None, *, now: datetime
) -> None:
    """Keep the dispatch ledger the response rate is computed from."""
    opened = new_assignment(t, to, now=now)
    if opened is not None:
        opened.save()
    elif to in (S.ACCEPTED, S.RETURNED) and previous_unit_id:
        pending = Assignment.objects.filter(
            ticket=t, unit_id=previous_unit_id, accepted_at__isnull=True, returned_at__isnull=True
        )
        pending.update(**{"accepted_at" if to == S.ACCEPTED else "returned_at": now})


def new_assignment(t: Ticket, to: Status, *, now: datetime) -> Assignment | None:
    """The ledger row a dispatch or reopen opens (unsaved), or None."""
    if to in (S.DISPATCHED, S.REOPENED) and t.assigned_unit_id:
        return Assignment(
            ticket=t,
            unit_id=t.assigned_unit_id,
            reopen=to == S.REOPENED,
            at=now,
            accept_due=t.accept_due,
        )
    return None


def _verb(to: Status, action: Action | None) -> str:
    if action is not None:
        return action.label
    for (_s, target), edge in TRANSITIONS.items():
        if target == to:
            return edge.action.label
    return f"改为“{to.label}”"
