"""The tables: accounts, conversations and turns, tickets and their messages, feedback, audit."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import JSON, ForeignKey, Index, MetaData, String, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.store.columns import UtcDateTime
from bot.tickets.records import utcnow

# Stable constraint names: Alembic needs them to alter tables (SQLite batch mode included).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Every table of the desk's records."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict] = {datetime: UtcDateTime(), dict: JSON(), list: JSON()}


class AccountRow(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    groups: Mapped[list] = mapped_column(default=list)
    password_hash: Mapped[str | None] = mapped_column(String(512))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Carried in the session cookie: bumping it signs out every existing session of the account.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # A seeded demo password: the account is sent to the change-password page until it changes.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())


class ConversationRow(Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_channel_thread", "channel", "thread_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    # "user" is a reserved word in PostgreSQL: the column is called username.
    user: Mapped[str] = mapped_column("username", String(200), index=True)
    thread_ref: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ticket_number: Mapped[str | None] = mapped_column(String(32))
    turns: Mapped[list[TurnRow]] = relationship(order_by="TurnRow.id")


class TurnRow(Base):
    __tablename__ = "turns"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    answer: Mapped[dict | None] = mapped_column()
    # Indexed (0004): the incident signal reads the last minutes' questions every few seconds.
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class TicketRow(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    requester: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    thread_ref: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(Text)
    transcript: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(64))
    priority: Mapped[str] = mapped_column(String(4))
    group: Mapped[str] = mapped_column("assignment_group", String(200), default="", index=True)
    response_due: Mapped[datetime] = mapped_column()
    resolution_due: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime] = mapped_column()
    first_response_at: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    resolution: Mapped[str] = mapped_column(Text, default="")
    reopened: Mapped[int] = mapped_column(default=0)
    sources: Mapped[list] = mapped_column(default=list)
    messages: Mapped[list[TicketMessageRow]] = relationship(order_by="TicketMessageRow.id")


class TicketMessageRow(Base):
    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedbackRow(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    turn_id: Mapped[int | None] = mapped_column(ForeignKey("turns.id"))
    user: Mapped[str] = mapped_column("username", String(200))
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AuditEventRow(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(200), index=True)
    detail: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ArticleDraftRow(Base):
    __tablename__ = "article_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    ticket_number: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    article_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessedEventRow(Base):
    """A delivery already handled (a Slack event, click or submission): retries find it here."""

    __tablename__ = "processed_events"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class OutboxRow(Base):
    """A ticket message on its way to the employee's channel, committed with the message."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("ticket_messages.id"), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    snapshot: Mapped[dict] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    claim: Mapped[str] = mapped_column(String(64), default="")
    lease_until: Mapped[datetime | None] = mapped_column()
    next_attempt_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
