"""Possible duplicates: other reports of the same problem, shown to the dispatcher to merge.

Two tickets are possibly the same problem when they share the category (or the first has
none yet), were filed within :data:`WINDOW_DAYS` of each other, are not already merged, and
are at the same place: the same building, the same address, or points within
:data:`RADIUS_M` metres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Q

from shequ.tickets.models import Ticket
from shequ.tickets.services import distance_m

WINDOW_DAYS = 7
RADIUS_M = 200.0
_M_PER_DEGREE_LAT = 111_320.0


@dataclass(frozen=True)
class Duplicate:
    ticket: Ticket
    reason: str
    distance_m: float | None


def possible_duplicates(ticket: Ticket, *, user: Any, limit: int = 20) -> list[Duplicate]:
    """Tickets ``user`` can see that may report the same problem as ``ticket``, nearest
    first. One query."""
    window = timedelta(days=WINDOW_DAYS)
    place = Q()
    if ticket.building_id:
        place |= Q(building_id=ticket.building_id)
    if ticket.address:
        place |= Q(address=ticket.address)
    if ticket.lat is not None:
        dlat = RADIUS_M / _M_PER_DEGREE_LAT
        dlon = dlat / max(math.cos(math.radians(ticket.lat)), 0.01)
        place |= Q(
            lat__range=(ticket.lat - dlat, ticket.lat + dlat),
            lon__range=(ticket.lon - dlon, ticket.lon + dlon),
        )
    if not place:
        return []
    qs = (
        Ticket.objects.in_scope(user)
        .for_list()
        .filter(
            place,
            created_at__range=(ticket.created_at - window, ticket.created_at + window),
            merged_into__isnull=True,
        )
        .exclude(pk=ticket.pk)
    )
    if ticket.category_id:
        qs = qs.filter(category_id=ticket.category_id)
    found: list[Duplicate] = []
    for other in qs.order_by("-created_at")[: limit * 3]:
        d = None
        if ticket.lat is not None and other.lat is not None:
            d = distance_m(ticket.lat, ticket.lon, other.lat, other.lon)
        if ticket.building_id and other.building_id == ticket.building_id:
            reason = "同一楼栋"
        elif ticket.address and other.address == ticket.address:
            reason = "同一地址"
        elif d is not None and d <= RADIUS_M:
            reason = f"相距约{d:.0f}米"
        else:
            continue  # inside the bounding box but outside the circle
        found.append(Duplicate(other, reason, d))
    found.sort(key=lambda x: x.distance_m if x.distance_m is not None else 0.0)
    return found[:limit]
