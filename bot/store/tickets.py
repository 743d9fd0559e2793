"""Tickets: filing (idempotent), the queue, changes, messages, resolving and reopening."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import Select, func, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot.store import records
from bot.store.base import StoreBase, one_of, required
from bot.store.columns import UtcDateTime
from bot.store.conversations import CHANNELS
from bot.store.outbox import queue_message
from bot.store.schema import AuditEventRow, ConversationRow, TicketMessageRow, TicketRow
from bot.tickets.records import (
    OPEN_STATUSES,
    PRIORITIES,
    STATUSES,
    Channel,
    InvalidChange,
    NotFound,
    Priority,
    Status,
    Ticket,
    TicketDraft,
    TicketMessage,
    TicketQuery,
    ticket_number,
)

MESSAGE_KINDS = ("reply", "note", "status", "employee")
NUMBER = re.compile(r"^SD-(\d+)$")


class TicketRecords(StoreBase):
    """The tickets part of the store."""

    def file_ticket(
        self,
        conversation_id: int | None,
        draft: TicketDraft,
        requester: str,
        channel: Channel,
        idempotency_key: str,
        transcript: str = "",
        sources: list[dict] | None = None,
        thread_ref: str = "",
    ) -> Ticket:
        """File a ticket from ``draft``; the same key, or a conversation that has a ticket already,
        returns the first ticket, never a second."""
        key = required(idempotency_key, "idempotency key")
        row = self._new_ticket(draft, requester, channel, key, transcript, sources, thread_ref)
        try:
            with self._write() as session:
                first = session.scalar(select(TicketRow).where(TicketRow.idempotency_key == key))
                if first is not None:
                    return records.ticket(first)
                conversation = self._conversation_of(session, conversation_id)
                if conversation is not None and conversation.ticket_number:
                    # Another tab filed one for this conversation (under its own key) while
                    # this request waited for the lock: that ticket is the one.
                    return records.ticket(self._ticket_row(session, conversation.ticket_number))
                row.conversation_id = conversation_id
                session.add(row)
                session.flush()
                if conversation is not None:
                    conversation.ticket_number = ticket_number(row.id)
        except IntegrityError:
            # Another request with the same key committed first: that ticket is the one.
            with self._read() as session:
                first = session.scalar(select(TicketRow).where(TicketRow.idempotency_key == key))
                if first is None:
                    raise
                return records.ticket(first)
        return records.ticket(row)

    def ticket(self, number: str) -> Ticket:
        """The ticket with its messages; NotFound for an unknown number."""
        with self._read() as session:
            return records.ticket(self._ticket_row(session, number), with_messages=True)

    def tickets(self, query: TicketQuery) -> list[Ticket]:
        """The queue: tickets matching ``query``, newest first (breaches judged as of now)."""
        with self._read() as session:
            rows = session.scalars(self._queue(query))
            return [records.ticket(r) for r in rows]

    def update_ticket(
        self,
        number: str,
        actor: str,
        *,
        status: Status | None = None,
        priority: Priority | None = None,
        group: str | None = None,
        category: str | None = None,
        deliver_to: tuple[Channel, ...] = (),
    ) -> Ticket:
        """Change status, priority, group or category; each change is audited.

        A new priority recomputes both due times from the ticket's creation. Resolving needs a
        resolution (``resolve``); a resolved or closed ticket comes back through ``reopen``.
        A new status is queued for the ticket's channel when that is one of ``deliver_to``.
        """
        actor = required(actor, "actor")
        with self._write() as session:
            row = self._ticket_row(session, number, lock=True)
            now = self._now()
            changes: list[tuple[str, str, str]] = []
            if priority is not None and priority != row.priority:
                changes.append(("priority", row.priority, one_of(priority, PRIORITIES, "priority")))
                row.priority = priority
                row.response_due, row.resolution_due = self._due(priority, row.created_at)
            if group is not None and group.strip() != row.group:
                changes.append(("group", row.group, required(group, "group")))
                row.group = group.strip()
            if category is not None and category.strip() != row.category:
                changes.append(("category", row.category, required(category, "category")))
                row.category = category.strip()
            if status is not None and status != row.status:
                _check_status_change(row.status, status)
                changes.append(("status", row.status, status))
                said = self._set_status(row, status, actor, now)
                queue_message(session, row, said, deliver_to, now)
            for field, before, after in changes:
                detail = {"before": before, "after": after}
                session.add(_audit(actor, f"ticket.{field}", number, detail, now))
            if changes:
                row.updated_at = now
            session.flush()
            return records.ticket(row, with_messages=True)

    def add_message(
        self, number: str, message: TicketMessage, deliver_to: tuple[Channel, ...] = ()
    ) -> TicketMessage:
        """Add a reply, note, status line or employee message to a ticket.

        The first reply sets the first-response time and moves a new ticket to open. The message
        is queued for the ticket's channel (outbox) when that is one of ``deliver_to``.
        """
        kind = one_of(message.kind, MESSAGE_KINDS, "message kind")
        author = required(message.author, "author")
        text = required(message.text, "message text")
        with self._write() as session:
            row = self._ticket_row(session, number, lock=True)
            now = self._now()
            added = TicketMessageRow(
                kind=kind, author=author, text=text, created_at=message.created_at
            )
            row.messages.append(added)
            if kind == "reply":
                row.first_response_at = row.first_response_at or message.created_at
                if row.status == "new":
                    self._set_status(row, "open", author, now)
            if kind in ("reply", "note"):
                session.add(_audit(author, f"ticket.{kind}", number, {"chars": len(text)}, now))
            row.updated_at = now
            queue_message(session, row, added, deliver_to, now)
            session.flush()
            return records.message(added)

    def resolve(
        self, number: str, actor: str, resolution: str, deliver_to: tuple[Channel, ...] = ()
    ) -> Ticket:
        """Resolve an open ticket with ``resolution`` (what fixed it; must not be empty); the new
        status is queued for the ticket's channel when that is one of ``deliver_to``."""
        actor = required(actor, "actor")
        resolution = required(resolution, "resolution")
        with self._write() as session:
            row = self._ticket_row(session, number, lock=True)
            if row.status not in OPEN_STATUSES:
                raise InvalidChange(f"{number} is already {row.status}")
            now = self._now()
            detail = {"before": row.status, "after": "resolved", "resolution": resolution}
            said = self._set_status(row, "resolved", actor, now)
            row.resolution, row.resolved_at, row.updated_at = resolution, now, now
            session.add(_audit(actor, "ticket.resolve", number, detail, now))
            queue_message(session, row, said, deliver_to, now)
            session.flush()
            return records.ticket(row, with_messages=True)

    def reopen(
        self, number: str, actor: str, reason: str = "", deliver_to: tuple[Channel, ...] = ()
    ) -> Ticket:
        """Reopen a resolved or closed ticket: open again, counted in ``reopened``; the new
        status is queued for the ticket's channel when that is one of ``deliver_to``."""
        actor = required(actor, "actor")
        with self._write() as session:
            row = self._ticket_row(session, number, lock=True)
            if row.status not in ("resolved", "closed"):
                raise InvalidChange(f"{number} is {row.status}: only resolved or closed reopen")
            now = self._now()
            detail = {"before": row.status, "after": "open", "reason": reason}
            said = self._set_status(row, "open", actor, now, reason)
            row.reopened += 1
            row.resolved_at = row.closed_at = None
            row.updated_at = now
            session.add(_audit(actor, "ticket.reopen", number, detail, now))
            queue_message(session, row, said, deliver_to, now)
            session.flush()
            return records.ticket(row, with_messages=True)

    # -- helpers

    def _due(self, priority: str, created_at: datetime) -> tuple[datetime, datetime]:
        response_h, resolution_h = self.sla_hours[priority]
        return created_at + timedelta(hours=response_h), created_at + timedelta(hours=resolution_h)

    def _new_ticket(self, draft, requester, channel, key, transcript, sources, thread_ref):
        """A validated, unsaved ticket row (InvalidChange on bad input, before any write)."""
        priority = one_of(draft.priority, PRIORITIES, "priority")
        now = self._now()
        response_due, resolution_due = self._due(priority, now)
        return TicketRow(
            idempotency_key=key,
            status="new",
            requester=required(requester, "requester"),
            channel=one_of(channel, CHANNELS, "channel"),
            thread_ref=thread_ref,
            subject=required(draft.subject, "subject"),
            summary=required(draft.summary, "summary"),
            transcript=transcript,
            category=(draft.category or "").strip() or "other",
            priority=priority,
            group=(draft.group or "").strip(),
            response_due=response_due,
            resolution_due=resolution_due,
            created_at=now,
            updated_at=now,
            sources=list(sources or []),
        )

    def _queue(self, query: TicketQuery) -> Select:
        q = select(TicketRow)
        if query.statuses:
            q = q.where(TicketRow.status.in_(query.statuses))
        if query.priority:
            q = q.where(TicketRow.priority == query.priority)
        if query.group:
            q = q.where(TicketRow.group == query.group)
        if query.requester:
            q = q.where(TicketRow.requester == query.requester)
        if query.breached is not None:
            late = _breached(literal(self._now(), UtcDateTime()))
            q = q.where(late if query.breached else ~late)
        return q.order_by(TicketRow.created_at.desc(), TicketRow.id.desc()).limit(query.limit)

    @staticmethod
    def _set_status(
        row: TicketRow, status: str, actor: str, now: datetime, note: str = ""
    ) -> TicketMessageRow:
        """Change the status, leaving a status message (returned)."""
        text = f"{row.status} → {status}" + (f": {note}" if note else "")
        said = TicketMessageRow(kind="status", author=actor, text=text, created_at=now)
        # Appended to the loaded collection, so the ticket handed back shows it.
        row.messages.append(said)
        row.status = status
        if status == "closed":
            row.closed_at = now
        return said

    @staticmethod
    def _conversation_of(session: Session, conversation_id: int | None):
        if conversation_id is None:
            return None
        conversation = session.get(ConversationRow, conversation_id, with_for_update=True)
        if conversation is None:
            raise NotFound(f"no conversation {conversation_id}")
        return conversation

    @staticmethod
    def _ticket_row(session: Session, number: str, lock: bool = False) -> TicketRow:
        match = NUMBER.match((number or "").strip().upper())
        row = None
        if match:
            options = [selectinload(TicketRow.messages)]
            row = session.get(
                TicketRow, int(match[1]), options=options, with_for_update=True if lock else None
            )
        if row is None:
            raise NotFound(f"no ticket {number!r}")
        return row


def _breached(now):
    """SQL: the response or the resolution came (or is still missing) after its due time."""
    answered = func.coalesce(TicketRow.first_response_at, now)
    done = func.coalesce(TicketRow.resolved_at, TicketRow.closed_at, now)
    return or_(answered > TicketRow.response_due, done > TicketRow.resolution_due)


def _check_status_change(before: str, after: str) -> None:
    """Refuse status changes that need their own verb or make no sense."""
    one_of(after, STATUSES, "status")
    if after == "resolved":
        raise InvalidChange("resolve a ticket with its resolution (resolve), not by status")
    if before in ("resolved", "closed") and after != "closed":
        raise InvalidChange(f"a {before} ticket comes back through reopen")
    if before == "closed":
        raise InvalidChange("the ticket is already closed")
    if after == "new":
        raise InvalidChange("a ticket cannot go back to new")


def _audit(actor: str, action: str, target: str, detail: dict, now: datetime) -> AuditEventRow:
    return AuditEventRow(actor=actor, action=action, target=target, detail=detail, created_at=now)
