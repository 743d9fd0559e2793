"""The outbox: ticket messages for channels that need delivery (Slack), committed in the
transaction that stores the message, then claimed, delivered and marked by the worker.

A claim is a conditional UPDATE (due, not held by a live lease) guarded by ``SELECT ... FOR
UPDATE SKIP LOCKED`` on PostgreSQL (two workers pass over each other's rows instead of waiting);
on SQLite every writer holds the database's write lock from its first statement, so the same
UPDATE is already serialised. Each claim has its own token: a worker whose lease ran out can no
longer mark the row, so two workers never both report one row delivered. A ticket's items go in
order: one waits while an earlier one of its ticket is pending or being sent (a reply that
failed is not overtaken by the next one in the employee's thread).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, and_, cast, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot.store.base import StoreBase, one_of, required
from bot.store.columns import as_utc
from bot.store.schema import AuditEventRow, OutboxRow, TicketMessageRow, TicketRow
from bot.tickets.records import OUTBOX_STATUSES, Channel, OutboxItem, ticket_number

FAILED_ACTION = "outbox.failed"
ACTOR = "outbox"
MAX_ERROR = 1000  # characters of a delivery error kept


def queue_message(
    session: Session,
    ticket: TicketRow,
    message: TicketMessageRow,
    deliver_to: tuple[Channel, ...],
    now: datetime,
) -> None:
    """Add an outbox row for ``message`` when ``ticket``'s channel is one of ``deliver_to`` (in
    the caller's transaction: the message and its delivery are committed together)."""
    if ticket.channel not in deliver_to:
        return
    session.flush()  # the message's id
    snapshot = {"status": ticket.status, "resolution": ticket.resolution}
    session.add(
        OutboxRow(
            ticket_id=ticket.id,
            message_id=message.id,
            channel=ticket.channel,
            snapshot=snapshot,
            status="pending",
            attempts=0,
            last_error="",
            claim="",
            next_attempt_at=now,
            created_at=now,
        )
    )


class OutboxRecords(StoreBase):
    """The outbox part of the store."""

    def claim_outbox(
        self, claim: str, channels: tuple[Channel, ...], limit: int = 1, lease_s: float = 120.0
    ) -> list[OutboxItem]:
        """Hold up to ``limit`` due items of ``channels`` for ``claim`` until the lease ends
        (each claim counts as an attempt); oldest due first."""
        claim = required(claim, "claim")
        if not channels or limit < 1:
            return []
        now = self._now()
        due = _due(now)
        with self._write() as session:
            candidates = session.scalars(
                select(OutboxRow.id)
                .where(due, OutboxRow.channel.in_(channels), ~_behind_an_earlier_one())
                .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)  # nothing on SQLite: see the module docstring
            ).all()
            held = []
            for item_id in candidates:
                taken = session.execute(
                    update(OutboxRow)
                    .where(OutboxRow.id == item_id, due)
                    .values(
                        status="sending",
                        claim=claim,
                        lease_until=now + timedelta(seconds=lease_s),
                        attempts=OutboxRow.attempts + 1,
                    )
                    .execution_options(synchronize_session=False)
                )
                if taken.rowcount == 1:
                    held.append(item_id)
            rows = session.scalars(
                select(OutboxRow).where(OutboxRow.id.in_(held)).order_by(OutboxRow.id)
            )
            return [outbox_item(r) for r in rows]

    def outbox_sent(self, item_id: int, claim: str) -> bool:
        """Mark the item delivered; False when ``claim`` no longer holds it."""
        with self._write() as session:
            row = self._held(session, item_id, claim)
            if row is None:
                return False
            row.status, row.sent_at, row.lease_until, row.last_error = "sent", self._now(), None, ""
            return True

    def outbox_retry(self, item_id: int, claim: str, error: str, at: datetime | None) -> bool:
        """Record a failed attempt: try again at ``at``, or (None) give up, marking the item
        failed and auditing it; False when ``claim`` no longer holds it."""
        with self._write() as session:
            row = self._held(session, item_id, claim)
            if row is None:
                return False
            row.last_error, row.lease_until = (error or "unknown error")[:MAX_ERROR], None
            if at is not None:
                row.status, row.next_attempt_at = "pending", at
                return True
            row.status = "failed"
            detail = {
                "channel": row.channel,
                "message_id": row.message_id,
                "attempts": row.attempts,
                "error": row.last_error,
            }
            audit = {"actor": ACTOR, "action": FAILED_ACTION, "created_at": self._now()}
            session.add(AuditEventRow(**audit, target=ticket_number(row.ticket_id), detail=detail))
            return True

    def outbox_counts(self) -> dict[str, int]:
        """How many items are in each status (every status named, 0 when none)."""
        query = select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
        with self._read() as session:
            found = dict(session.execute(query).tuples().all())
        return {status: int(found.get(status, 0)) for status in OUTBOX_STATUSES}

    def outbox(self, status: str | None = None, limit: int = 100) -> list[OutboxItem]:
        """The items in ``status`` (any when None), newest first."""
        query = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
        if status is not None:
            query = query.where(OutboxRow.status == one_of(status, OUTBOX_STATUSES, "status"))
        with self._read() as session:
            return [outbox_item(r) for r in session.scalars(query)]

    def forget_outbox(self, before: datetime) -> int:
        """Drop items delivered before ``before`` (failed ones stay for the admins); how many."""
        done = and_(OutboxRow.status == "sent", OutboxRow.sent_at < before)
        with self._write() as session:
            return session.execute(delete(OutboxRow).where(done)).rowcount or 0

    def forget_audit_detail(self, before: datetime) -> int:
        """Empty the detail of audit events older than ``before`` (who did what to which record,
        and when, stay); how many were emptied."""
        old = and_(AuditEventRow.created_at < before, cast(AuditEventRow.detail, String) != "{}")
        with self._write() as session:
            emptied = session.execute(
                update(AuditEventRow)
                .where(old)
                .values(detail={})
                .execution_options(synchronize_session=False)
            )
            return emptied.rowcount or 0

    def _held(self, session: Session, item_id: int, claim: str) -> OutboxRow | None:
        row = session.get(OutboxRow, item_id, with_for_update=True)
        if row is None or row.status != "sending" or row.claim != required(claim, "claim"):
            return None
        return row


def _behind_an_earlier_one():
    """SQL: an earlier item of the same ticket is still pending or being sent."""
    earlier = aliased(OutboxRow)
    return exists().where(
        earlier.ticket_id == OutboxRow.ticket_id,
        earlier.id < OutboxRow.id,
        earlier.status.in_(("pending", "sending")),
    )


def _due(now: datetime):
    """SQL: pending and due, or claimed by a worker whose lease ran out (it died mid-way)."""
    pending = and_(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now)
    abandoned = and_(OutboxRow.status == "sending", OutboxRow.lease_until < now)
    return or_(pending, abandoned)


def outbox_item(row: OutboxRow) -> OutboxItem:
    """One outbox row as the domain's :class:`OutboxItem`."""
    return OutboxItem(
        ticket_number=ticket_number(row.ticket_id),
        message_id=row.message_id,
        channel=row.channel,  # type: ignore[arg-type]
        snapshot=dict(row.snapshot or {}),
        status=row.status,  # type: ignore[arg-type]
        attempts=row.attempts,
        last_error=row.last_error,
        claim=row.claim,
        id=row.id,
        created_at=as_utc(row.created_at),
        next_attempt_at=as_utc(row.next_attempt_at),
        sent_at=as_utc(row.sent_at),
    )
