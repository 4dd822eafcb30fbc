"""Telling people what happened to a ticket.

Senders are pluggable (SMS gateway, WeChat template messages…): a sender is any class with
``send(message)``, listed by dotted path in ``settings.TICKET_NOTIFY_SENDERS``. The
defaults log every message and write it to the database outbox (:class:`Notification`),
from which a gateway process delivers and marks ``sent_at``.

The outbox is written in the same transaction as the change (a sender with
``in_transaction = True``): a committed change always has its messages, a rolled-back one
has none, and intake takes the database's write lock once, not once per message. Every other
sender runs after commit; a failing one is logged and never undoes the change.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from shequ.tickets import clock
from shequ.tickets.models import Action, Audience, Notification, Ticket, TicketEvent
from shequ.tickets.prepared import PreparedInsert, execute_all

log = logging.getLogger(__name__)

DEFAULT_SENDERS = (
    "shequ.tickets.notify.LoggingSender",
    "shequ.tickets.notify.OutboxSender",
)


@dataclass(frozen=True)
class Message:
    ticket_id: int | None
    audience: str
    recipient: str  # shown to people: a unit's name or a masked phone number
    text: str
    phone_enc: str = ""  # for a gateway: the resident's encrypted number


class Sender(Protocol):
    def send(self, message: Message) -> None: ...


class LoggingSender:
    def send(self, message: Message) -> None:
        log.info("notify %s %s: %s", message.audience, message.recipient, message.text)


class OutboxSender:
    in_transaction = True

    def send(self, message: Message) -> None:
        self.send_many([message])

    def send_many(self, messages: list[Message]) -> None:
        Notification.objects.bulk_create(self._rows(messages))

    def prepare(self, messages: list[Message]) -> PreparedInsert:
        """The rows compiled ahead, for a ticket not inserted yet (see :class:`Outgoing`)."""
        return PreparedInsert(self._rows(messages))

    @staticmethod
    def _rows(messages: list[Message]) -> list[Notification]:
        now = clock.now()
        return [
            Notification(
                ticket_id=m.ticket_id,
                audience=m.audience,
                recipient=m.recipient[:100],
                phone_enc=m.phone_enc,
                text=m.text,
                created_at=now,
            )
            for m in messages
        ]


@cache
def _senders(paths: tuple[str, ...]) -> list[Sender]:
    return [import_string(path)() for path in paths]


def senders() -> list[Sender]:
    return _senders(tuple(getattr(settings, "TICKET_NOTIFY_SENDERS", DEFAULT_SENDERS)))


def queue(messages: list[Message]) -> None:
    """Hand ``messages`` to the senders: the transactional ones (the outbox) now, inside
    the caller's transaction; the others once it commits."""
    Outgoing(messages).send()


class Outgoing:
    """Messages about a ticket that intake is about to insert: the outbox rows are compiled
    when this is made, before the transaction, and written by :meth:`send` inside it, with
    the new ticket's id."""

    def __init__(self, messages: list[Message]) -> None:
        self.messages = messages
        transactional = [s for s in senders() if getattr(s, "in_transaction", False)]
        self.later = [s for s in senders() if not getattr(s, "in_transaction", False)]
        self.prepared = []
        self.now: list[Sender] = []
        for sender in transactional:
            if messages and hasattr(sender, "prepare"):
                self.prepared.append(sender.prepare(messages))
            else:
                self.now.append(sender)

    def send(
        self, ticket_id: int | None = None, *, with_rows: Sequence[PreparedInsert] = ()
    ) -> None:
        """Queue the messages (about ``ticket_id``, if given). ``with_rows``: other rows of
        the same change, written with the outbox's in one go (see ``execute_all``)."""
        messages = self.messages
        if ticket_id is not None and messages:
            messages = [replace(m, ticket_id=ticket_id) for m in messages]
            for rows in self.prepared:
                rows.set("ticket_id", ticket_id)
        execute_all([*with_rows, *(self.prepared if messages else [])])
        if not messages:
            return
        for sender in self.now:
            if hasattr(sender, "send_many"):
                sender.send_many(messages)
            else:
                for message in messages:
                    sender.send(message)
        if self.later:
            later = self.later
            transaction.on_commit(lambda: _deliver(later, messages))


def _deliver(to: list[Sender], messages: list[Message]) -> None:
    for message in messages:
        for sender in to:
            try:
                sender.send(message)
            except Exception:
                log.exception(
                    "sender %s failed for ticket %s", type(sender).__name__, message.ticket_id
                )


def _local(dt) -> str:
    return timezone.localtime(dt).strftime("%m月%d日%H:%M") if dt else "—"


def _residents(ticket: Ticket, text: str) -> list[Message]:
    """The resident and everybody whose report was merged into this ticket."""
    out = []
    for t in [ticket, *ticket.merged.all()]:
        if t.contact_phone_enc:
            out.append(
                Message(
                    t.pk,
                    Audience.RESIDENT,
                    t.contact_phone_mask,
                    text.replace("{number}", t.number),
                    t.contact_phone_enc,
                )
            )
    return out


def messages_for(ticket: Ticket, event: TicketEvent) -> list[Message]:
    """Who hears of ``event`` and what they read."""
    unit = ticket.assigned_unit.name if ticket.assigned_unit_id else ""
    brief = ticket.text[:30]
    if event.action == Action.DISPATCH:
        return [
            Message(
                ticket.pk,
                Audience.UNIT,
                unit,
                f"【接诉即办】新派诉求{ticket.number}：{brief}。请于"
                f"{_local(ticket.accept_due)}前签收，{_local(ticket.answer_due)}前办结。",
            )
        ]
    if event.action == Action.REOPEN:
        return [
            Message(
                ticket.pk,
                Audience.UNIT,
                unit,
                f"【接诉即办】诉求{ticket.number}居民不满意，已重办，请于"
                f"{_local(ticket.answer_due)}前重新办结。",
            )
        ]
    if event.action == Action.RETURN:
        return [
            Message(
                ticket.pk,
                Audience.DISPATCHER,
                ticket.admin_unit.name,
                f"【接诉即办】诉求{ticket.number}被退回：{event.note[:60]}。请重新派单。",
            )
        ]
    if event.action == Action.ESCALATE:
        text = f"【接诉即办】诉求{ticket.number}已督办：{event.note[:60]}。"
        found = [Message(ticket.pk, Audience.SUPERVISOR, ticket.admin_unit.name, text)]
        if unit:
            found.append(Message(ticket.pk, Audience.UNIT, unit, text))
        return found
    if event.action == Action.RESOLVE:
        reply = event.note[:60]  # the answer's opening words (resolve() puts them there)
        return _residents(
            ticket,
            f"【接诉即办】您反映的诉求{{number}}已答复：{reply}。"
            f"请通过受理时的跟踪链接查看并评价。",
        )
    return []


def ticket_changed(ticket: Ticket, event: TicketEvent) -> None:
    """Called by :func:`shequ.tickets.workflow.transition`, inside its transaction, with the
    changed ticket and its new event."""
    queue(messages_for(ticket, event))


def receipt(ticket: Ticket, follow_url: str) -> list[Message]:
    """The resident's receipt with the tracking number and the follow-up link, for intake
    to queue with the ticket."""
    if not ticket.contact_phone_enc:
        return []
    return [
        Message(
            ticket.pk,
            Audience.RESIDENT,
            ticket.contact_phone_mask,
            f"【接诉即办】您的诉求已受理，编号{ticket.number}。查看进度和评价：{follow_url}",
            ticket.contact_phone_enc,
        )
    ]
