"""The visit → 接诉即办 link (SPEC capability 3: "a finding that needs action becomes a request").

Tickets are created through the tickets app's intake service and read through its scoped
queries, never by writing or reading its tables directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.urls import reverse

from shequ.care.models import Visit
from shequ.registry.models import Person


@dataclass
class TicketRef:
    id: int
    at: datetime
    title: str
    detail: str
    url: str


def open_ticket_for_visit(visit: Visit, issue: str, *, actor: Any) -> tuple[int, str]:
    """File ``issue`` found on ``visit`` as a grid-patrol (网格巡查) request at the person's
    home; returns the ticket's id and number. A repeat of a request already filed returns
    that one.

    Runs inside the visit's transaction: if intake refuses (a DomainError), the visit is not
    written either.
    """
    from shequ.tickets import services as tickets
    from shequ.tickets.models import Channel

    person = visit.person
    household = person.household
    result = tickets.intake(
        tickets.IntakeInput(
            text=f"巡访发现：{issue}",
            channel=Channel.GRID_PATROL,
            name=person.name,
            address=household.address if household else "",
            unit_code=person.unit.code,
            building_id=household.building_id if household else None,
        ),
        actor=actor,
    )
    return result.ticket.pk, result.ticket.number


def tickets_for_person(person: Person, user: Any) -> list[TicketRef]:
    """The tickets opened from this person's visits that ``user`` may see, for the timeline."""
    from shequ.tickets.queries import visible

    ids = person.care_visits.filter(ticket__isnull=False).values("ticket_id")
    return [
        TicketRef(
            id=t.pk,
            at=t.created_at,
            title=f"接诉即办 {t.number}：{t.get_status_display()}",
            detail=t.text[:120],
            url=reverse("tickets:detail", args=[t.pk]),
        )
        for t in visible(user).filter(pk__in=ids).order_by("-created_at")
    ]
