"""Rows to the domain's dataclasses (bot.tickets.records), every time aware UTC.

A row just written still holds the value handed in (maybe naive, maybe another zone) until it is
read again: converting here makes what a write returns match what a later read returns.
"""

from __future__ import annotations

from bot.store.columns import as_utc
from bot.store.schema import (
    AccountRow,
    ArticleDraftRow,
    AuditEventRow,
    ConversationRow,
    FeedbackRow,
    TicketMessageRow,
    TicketRow,
    TurnRow,
)
from bot.tickets.records import (
    Account,
    ArticleDraft,
    AuditEvent,
    Conversation,
    Feedback,
    Ticket,
    TicketMessage,
    TurnRecord,
    ticket_number,
)


def account(row: AccountRow) -> Account:
    """The account without its password hash."""
    return Account(
        username=row.username,
        role=row.role,  # type: ignore[arg-type]
        display_name=row.display_name,
        email=row.email,
        groups=list(row.groups or []),
        id=row.id,
        active=row.active,
        created_at=as_utc(row.created_at),
        session_version=row.session_version or 0,
        must_change_password=bool(row.must_change_password),
    )


def turn(row: TurnRow) -> TurnRecord:
    """One stored turn, its answer JSON as it was saved."""
    return TurnRecord(
        role=row.role,  # type: ignore[arg-type]
        text=row.text,
        answer=row.answer,
        id=row.id,
        created_at=as_utc(row.created_at),
    )


def conversation(row: ConversationRow, with_turns: bool = True) -> Conversation:
    """The conversation, with its turns in order when loaded."""
    return Conversation(
        channel=row.channel,  # type: ignore[arg-type]
        user=row.user,
        thread_ref=row.thread_ref,
        id=row.id,
        turns=[turn(t) for t in row.turns] if with_turns else [],
        created_at=as_utc(row.created_at),
        ticket_number=row.ticket_number,
    )


def message(row: TicketMessageRow) -> TicketMessage:
    """One message on a ticket."""
    return TicketMessage(
        kind=row.kind,  # type: ignore[arg-type]
        author=row.author,
        text=row.text,
        id=row.id,
        created_at=as_utc(row.created_at),
    )


def ticket(row: TicketRow, with_messages: bool = False) -> Ticket:
    """The ticket; its messages only when asked (the queue does not need them)."""
    return Ticket(
        number=ticket_number(row.id),
        status=row.status,  # type: ignore[arg-type]
        requester=row.requester,
        channel=row.channel,  # type: ignore[arg-type]
        conversation_id=row.conversation_id,
        subject=row.subject,
        summary=row.summary,
        transcript=row.transcript,
        category=row.category,
        priority=row.priority,  # type: ignore[arg-type]
        group=row.group,
        response_due=as_utc(row.response_due),
        resolution_due=as_utc(row.resolution_due),
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        id=row.id,
        thread_ref=row.thread_ref,
        first_response_at=as_utc(row.first_response_at),
        resolved_at=as_utc(row.resolved_at),
        closed_at=as_utc(row.closed_at),
        resolution=row.resolution,
        reopened=row.reopened,
        sources=list(row.sources or []),
        messages=[message(m) for m in row.messages] if with_messages else [],
    )


def feedback(row: FeedbackRow) -> Feedback:
    """One verdict."""
    return Feedback(
        conversation_id=row.conversation_id,
        user=row.user,
        kind=row.kind,  # type: ignore[arg-type]
        turn_id=row.turn_id,
        channel=row.channel,  # type: ignore[arg-type]
        id=row.id,
        created_at=as_utc(row.created_at),
    )


def audit_event(row: AuditEventRow) -> AuditEvent:
    """One audited action."""
    return AuditEvent(
        actor=row.actor,
        action=row.action,
        target=row.target,
        detail=dict(row.detail or {}),
        id=row.id,
        created_at=as_utc(row.created_at),
    )


def draft(row: ArticleDraftRow) -> ArticleDraft:
    """One proposed article."""
    return ArticleDraft(
        title=row.title,
        body=row.body,
        author=row.author,
        ticket_number=row.ticket_number,
        status=row.status,  # type: ignore[arg-type]
        article_id=row.article_id,
        id=row.id,
        created_at=as_utc(row.created_at),
    )
