"""Reads for the pages and the API: the lists people work from, always inside their scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from django.db import connections
from django.db.models import Count, Q

from shequ.accounts.models import Role
from shequ.core.workdays import SHANGHAI
from shequ.tickets import clock, refdata
from shequ.tickets.models import (
    OPEN_STATES,
    ResponsibleUnit,
    Status,
    Ticket,
    TicketQuerySet,
    overdue_at,
    overdue_q,
    prefix_q,
)

# What each working list shows.
QUEUE_STATES = (Status.SUBMITTED, Status.RETURNED, Status.ESCALATED)
INBOX_STATES = (Status.DISPATCHED, Status.ACCEPTED, Status.REOPENED, Status.ESCALATED)


@dataclass
class TicketFilter:
    """Filters shared by the pages and the API; empty values do not filter."""

    status: str | None = None
    category: str | None = None  # catalogue code
    unit: int | None = None  # assigned responsible unit id
    area: str | None = None  # admin-unit code: the subtree the request is located in
    created_from: date | None = None
    created_to: date | None = None  # inclusive, a Beijing calendar day
    overdue: bool | None = None
    number: str | None = None

    def apply(self, qs: TicketQuerySet) -> TicketQuerySet:
        if self.status:
            qs = qs.filter(status=self.status)
        if self.category:
            # By id, not by a join on the code: the planner can then walk the
            # (category, created_at) index in list order.
            category_id = refdata.snapshot().category_id(self.category)
            qs = qs.filter(category_id=category_id) if category_id else qs.none()
        if self.unit:
            qs = qs.filter(assigned_unit_id=self.unit)
        if self.area and self.area.isdigit():
            qs = qs.filter(prefix_q("unit_code", self.area))
        if self.created_from:
            qs = qs.filter(created_at__gte=_start_of(self.created_from))
        if self.created_to:
            qs = qs.filter(created_at__lt=_start_of(self.created_to + timedelta(days=1)))
        if self.overdue is True:
            qs = qs.overdue()
        elif self.overdue is False:
            qs = qs.exclude(overdue_q(clock.now()))
        if self.number:
            qs = qs.filter(number=self.number.strip().upper())
        return qs

    @property
    def ordering(self) -> tuple[str, ...]:
        """Newest first; an overdue list by deadline, longest overdue first (as the
        supervisor's page), which is also the order of the index that finds them."""
        return ("due_at", "id") if self.overdue else ("-created_at", "-id")


# The columns of a list row (TicketItem's, before names are looked up).
LIST_FIELDS = (
    "id",
    "number",
    "status",
    "channel",
    "text",
    "address",
    "unit_code",
    "assigned_unit",
    "lat",
    "lon",
    "contact_name_mask",
    "contact_phone_mask",
    "created_at",
    "accept_due",
    "answer_due",
    "reopen_count",
    "classifier_label",
    "classifier_confidence",
    "category",
    "admin_unit",
)
_TIMES = ("created_at", "accept_due", "answer_due")


def page_rows(qs: TicketQuerySet, start: int, stop: int) -> list[dict[str, Any]]:
    """Rows ``start:stop`` of ``qs`` (scoped, filtered, ordered) as plain dicts keyed by
    column, with ``overdue``; times are UTC text as JSON writes them
    (``2026-11-28T10:00:00.123Z``).

    The ids come through the ORM, the one place for scope and filters; the values by id
    through one plain statement, with the times read as UTC text.
    Measured on a million tickets, a ``values()`` query of these twenty columns cost four
    times the database's own work in compiling and converting, on every list request."""
    ids = list(qs.values_list("pk", flat=True)[start:stop])
    if not ids:
        return []
    conn = connections[qs.db]
    columns = [Ticket._meta.get_field(name).column for name in LIST_FIELDS]
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(_rows_sql(conn.vendor, 0), [ids])
        else:
            cursor.execute(_rows_sql(conn.vendor, len(ids)), ids)
        found = {row[0]: dict(zip(columns, row, strict=True)) for row in cursor.fetchall()}
    now = utc_text(clock.now())
    rows = []
    for pk in ids:
        row = found.get(pk)
        if row is None:  # deleted between the two statements
            continue
        # Texts of one format compare as the times they name.
        row["overdue"] = overdue_at(row["status"], row["accept_due"], row["answer_due"], now)
        for name in _TIMES:
            row[name] = json_time(row[name])
        rows.append(row)
    return rows


@cache
def _rows_sql(vendor: str, count: int) -> str:
    meta = Ticket._meta
    quote = connections["default"].ops.quote_name
    columns = []
    for name in LIST_FIELDS:
        column = quote(meta.get_field(name).column)
        # Times read as UTC text skip the driver's datetime parsing (on PostgreSQL a third
        # of a list request's time went there): SQLite stores them as that text already.
        if name in _TIMES:
            if vendor == "postgresql":
                column = f"CAST({column} AT TIME ZONE 'UTC' AS TEXT)"
            else:
                column = f"CAST({column} AS TEXT)"
        columns.append(column)
    # One array parameter on PostgreSQL: one statement whatever the page's size, prepared
    # once per connection.
    where = "= ANY(%s::bigint[])" if vendor == "postgresql" else f"IN ({', '.join(['%s'] * count)})"
    return "SELECT {} FROM {} WHERE {} {}".format(
        ", ".join(columns), quote(meta.db_table), quote(meta.pk.column), where
    )


def utc_text(value: datetime) -> str:
    """An aware time as naive UTC text, ``2026-11-28 10:00:00[.123456]``, as Django stores it
    in SQLite and as the list reads its times from either database (PostgreSQL's text drops
    trailing zeros of the fraction, ``.1``); these texts compare as the times they name."""
    return str(value.astimezone(UTC).replace(tzinfo=None))


def json_time(text: str | None) -> str | None:
    """:func:`utc_text` as Django's JSON encoder writes a UTC time: ``…T10:00:00.123Z``, and
    ``…T10:00:00Z`` for a whole second."""
    if text is None:
        return None
    if len(text) <= 19:
        return f"{text[:10]}T{text[11:19]}Z"
    return f"{text[:10]}T{text[11:19]}.{text[20:23]:0<3}Z"


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def units_of(user: Any) -> list[ResponsibleUnit]:
    """The responsible units ``user`` works for: her department, or her own street/community."""
    if not getattr(user, "is_authenticated", False):
        return []
    if user.role == Role.DEPARTMENT_HANDLER and user.department_id:
        return list(ResponsibleUnit.objects.filter(department_id=user.department_id))
    if user.role in (Role.STREET_OFFICER, Role.CLERK) and user.scope_unit_id:
        return list(ResponsibleUnit.objects.filter(admin_unit_id=user.scope_unit_id))
    return []


def visible(user: Any) -> TicketQuerySet:
    return Ticket.objects.in_scope(user).for_list()


def dispatch_queue(user: Any) -> TicketQuerySet:
    """派单队列: waiting for a dispatcher (new, returned) or a supervisor (督办)."""
    return visible(user).filter(status__in=QUEUE_STATES)


def inbox(user: Any) -> TicketQuerySet:
    """The handler's inbox: what is assigned to her unit and not yet answered."""
    units = units_of(user)
    if not units:
        return Ticket.objects.none()
    return visible(user).filter(assigned_unit__in=units, status__in=INBOX_STATES)


def overdue_list(user: Any) -> TicketQuerySet:
    """The supervisor's list: overdue now, and what is already under 督办."""
    return visible(user).filter(overdue_q(clock.now()) | Q(status=Status.ESCALATED))


def summary(user: Any) -> dict[str, int]:
    """Counts for the index page, in two queries."""
    qs = Ticket.objects.in_scope(user)
    by_status = dict(
        qs.filter(status__in=OPEN_STATES)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {
        "queue": sum(by_status.get(s, 0) for s in QUEUE_STATES),
        "open": sum(by_status.values()),
        "overdue": qs.overdue().count(),
        "escalated": by_status.get(Status.ESCALATED, 0),
    }
