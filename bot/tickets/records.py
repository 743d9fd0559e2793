"""The service desk's records, independent of storage: conversations, tickets, feedback, audit.

``TicketStore`` is the seam: ``bot.store.SqlStore`` implements it on SQLite or PostgreSQL; front
ends (web, Slack) and analytics use only this Protocol and these dataclasses.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol

Status = Literal["new", "open", "pending", "resolved", "closed"]
STATUSES: tuple[Status, ...] = ("new", "open", "pending", "resolved", "closed")
OPEN_STATUSES: tuple[Status, ...] = ("new", "open", "pending")
Priority = Literal["P1", "P2", "P3", "P4"]
PRIORITIES: tuple[Priority, ...] = ("P1", "P2", "P3", "P4")
Channel = Literal["web", "slack"]
Role = Literal["employee", "agent", "admin"]
ROLES: tuple[Role, ...] = ("employee", "agent", "admin")
FeedbackKind = Literal["helpful", "not_helpful", "resolved"]
MessageKind = Literal["reply", "note", "status", "employee"]
OutboxStatus = Literal["pending", "sending", "sent", "failed"]
OUTBOX_STATUSES: tuple[OutboxStatus, ...] = ("pending", "sending", "sent", "failed")


def utcnow() -> datetime:
    """Now, timezone-aware UTC (every stored time is UTC)."""
    return datetime.now(UTC)


def ticket_number(ticket_id: int) -> str:
    """The human number of ticket ``ticket_id``: ``SD-000123``."""
    return f"SD-{ticket_id:06d}"


class NotFound(LookupError):
    """The record does not exist (or the caller may not see it)."""


class InvalidChange(ValueError):
    """The change is not allowed (e.g. resolving without a resolution text)."""


@dataclass
class Account:
    """Someone who signs in (web) or is identified by Slack: a name, a role and groups."""

    username: str
    role: Role = "employee"
    display_name: str = ""
    email: str = ""
    groups: list[str] = field(default_factory=list)
    id: int = 0
    active: bool = True
    created_at: datetime = field(default_factory=utcnow)
    session_version: int = 0  # in the session cookie; bumped to revoke every existing session
    must_change_password: bool = False  # a seeded password: change it before anything else


@dataclass
class TurnRecord:
    """One stored message: the employee's question or the bot's answer (``Answer.to_dict()``)."""

    role: Literal["user", "assistant"]
    text: str
    answer: dict | None = None  # the full Answer for assistant turns: citations, version, latency
    id: int = 0
    created_at: datetime = field(default_factory=utcnow)


@dataclass
class Conversation:
    """A chat (web) or thread (Slack) with one employee."""

    channel: Channel
    user: str  # Account.username (web) or the Slack user id / e-mail
    thread_ref: str = ""  # Slack "CHANNEL:THREAD_TS"; empty on the web
    id: int = 0
    turns: list[TurnRecord] = field(default_factory=list)
    created_at: datetime = field(default_factory=utcnow)
    ticket_number: str | None = None  # set once escalated


@dataclass
class TicketDraft:
    """What the employee sees and edits before filing: the AI's suggestion."""

    subject: str
    summary: str
    category: str
    priority: Priority = "P3"
    group: str = ""
    language: str = "ko"


@dataclass
class TicketMessage:
    """Something said on a ticket: an agent reply (the employee sees it), a note (agents only),
    a status change, or an employee's message."""

    kind: MessageKind
    author: str
    text: str
    id: int = 0
    created_at: datetime = field(default_factory=utcnow)


@dataclass
class Ticket:
    """An ITIL incident/request escalated from a conversation."""

    number: str
    status: Status
    requester: str
    channel: Channel
    conversation_id: int | None
    subject: str
    summary: str
    transcript: str
    category: str
    priority: Priority
    group: str
    response_due: datetime
    resolution_due: datetime
    created_at: datetime
    updated_at: datetime
    id: int = 0
    thread_ref: str = ""
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    resolution: str = ""
    reopened: int = 0
    sources: list[dict] = field(default_factory=list)  # citations the bot used
    messages: list[TicketMessage] = field(default_factory=list)

    def response_breached(self, now: datetime | None = None) -> bool:
        """Whether the first agent response came (or is still missing) after its due time."""
        answered = self.first_response_at or now or utcnow()
        return answered > self.response_due

    def resolution_breached(self, now: datetime | None = None) -> bool:
        """Whether resolution came (or is still missing) after its due time."""
        done = self.resolved_at or self.closed_at or now or utcnow()
        return done > self.resolution_due

    def breached(self, now: datetime | None = None) -> bool:
        """Whether either SLA target was missed."""
        return self.response_breached(now) or self.resolution_breached(now)

    def to_dict(self, now: datetime | None = None) -> dict:
        """JSON-ready form, with the breach flags."""
        data = asdict(self)
        for key, value in list(data.items()):
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        data["messages"] = [
            {**asdict(m), "created_at": m.created_at.isoformat()} for m in self.messages
        ]
        data["response_breached"] = self.response_breached(now)
        data["resolution_breached"] = self.resolution_breached(now)
        return data


@dataclass
class TicketQuery:
    """Filters of the agent's queue (``None``/empty means any)."""

    statuses: tuple[Status, ...] = ()
    priority: Priority | None = None
    group: str | None = None
    breached: bool | None = None
    requester: str | None = None
    limit: int = 200


@dataclass
class Feedback:
    """An employee's verdict on an answer (or the whole conversation, for ``resolved``)."""

    conversation_id: int
    user: str
    kind: FeedbackKind
    turn_id: int | None = None
    channel: Channel = "web"
    id: int = 0
    created_at: datetime = field(default_factory=utcnow)


@dataclass
class AuditEvent:
    """An agent's or admin's action, kept for accountability."""

    actor: str
    action: str  # e.g. ticket.status, ticket.reply, article.delete, user.add, draft.approve
    target: str  # e.g. SD-000123, an article id, a username
    detail: dict = field(default_factory=dict)
    id: int = 0
    created_at: datetime = field(default_factory=utcnow)


@dataclass
class ArticleDraft:
    """A knowledge article proposed from a ticket's resolution, waiting for an admin."""

    title: str
    body: str
    author: str
    ticket_number: str | None = None
    status: Literal["pending", "approved", "rejected"] = "pending"
    article_id: str | None = None  # set when approved and ingested
    id: int = 0
    created_at: datetime = field(default_factory=utcnow)


@dataclass
class OutboxItem:
    """A ticket message on its way to the employee's channel (the outbox).

    Committed in the transaction that stores the message, so a reply is never kept without it;
    the worker claims it (``claim``, with a lease), delivers it through the channel's notifier,
    retries with backoff and marks it ``failed`` after the last attempt.
    """

    ticket_number: str
    message_id: int
    channel: Channel
    snapshot: dict = field(default_factory=dict)  # the ticket's status and resolution when said
    status: OutboxStatus = "pending"
    attempts: int = 0  # claims so far (each claim is one attempt)
    last_error: str = ""
    claim: str = ""  # the token of the claim that holds it ("" when none)
    id: int = 0
    created_at: datetime = field(default_factory=utcnow)
    next_attempt_at: datetime = field(default_factory=utcnow)
    sent_at: datetime | None = None


@dataclass
class QuestionAsked:
    """An employee's question as the incident signal reads it: who asked, when, and the top
    article of its answer (when there is one yet)."""

    turn_id: int
    text: str
    user: str
    at: datetime
    article: str = ""
    conversation_id: int = 0


class TicketStore(Protocol):
    """Everything the desk remembers. Every method is one transaction."""

    # accounts
    def add_account(self, account: Account, password_hash: str | None) -> Account: ...
    def account(self, username: str) -> Account | None: ...
    def password_hash(self, username: str) -> str | None: ...
    def set_password_hash(self, username: str, password_hash: str) -> None: ...
    def update_account(  # raises NotFound
        self,
        username: str,
        *,
        role: str | None = None,
        display_name: str | None = None,
        email: str | None = None,
        groups: list[str] | None = None,
        active: bool | None = None,
        must_change_password: bool | None = None,
    ) -> Account: ...
    def revoke_sessions(self, username: str) -> Account: ...  # raises NotFound
    def delete_account(self, username: str) -> None: ...  # raises NotFound
    def accounts(self) -> list[Account]: ...

    # conversations
    def start_conversation(
        self, channel: Channel, user: str, thread_ref: str = ""
    ) -> Conversation: ...
    def conversation(self, conversation_id: int) -> Conversation: ...  # raises NotFound
    def conversation_by_thread(self, channel: Channel, thread_ref: str) -> Conversation | None: ...
    def add_turn(self, conversation_id: int, turn: TurnRecord) -> TurnRecord: ...
    def conversations(
        self, user: str | None = None, since: datetime | None = None, limit: int = 1000
    ) -> list[Conversation]: ...
    def questions_since(self, since: datetime, limit: int = 2000) -> list[QuestionAsked]: ...

    # tickets
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
    ) -> Ticket: ...  # the same key, or a conversation with a ticket: the first ticket again
    def ticket(self, number: str) -> Ticket: ...  # with messages; raises NotFound
    def tickets(self, query: TicketQuery) -> list[Ticket]: ...
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
    ) -> Ticket: ...  # priority change recomputes due times; audited
    # deliver_to: the channels with a notifier; a message for a ticket of one of them (the reply,
    # the new status) gets an outbox row in the same transaction
    def add_message(
        self, number: str, message: TicketMessage, deliver_to: tuple[Channel, ...] = ()
    ) -> TicketMessage: ...
    def resolve(
        self, number: str, actor: str, resolution: str, deliver_to: tuple[Channel, ...] = ()
    ) -> Ticket: ...
    def reopen(
        self, number: str, actor: str, reason: str = "", deliver_to: tuple[Channel, ...] = ()
    ) -> Ticket: ...

    # feedback, audit, drafts
    def add_feedback(self, feedback: Feedback) -> Feedback: ...
    def replace_feedback(self, feedback: Feedback) -> Feedback: ...
    def feedback(self, since: datetime | None = None) -> list[Feedback]: ...
    def audit(self, event: AuditEvent) -> None: ...
    def audit_events(self, limit: int = 200) -> list[AuditEvent]: ...
    def add_draft(self, draft: ArticleDraft) -> ArticleDraft: ...
    def drafts(self, status: str | None = "pending") -> list[ArticleDraft]: ...
    def set_draft_status(
        self, draft_id: int, status: str, actor: str, article_id: str | None = None
    ) -> ArticleDraft: ...

    # deliveries (Slack events, clicks, submissions): retries are recognised across workers
    def claim_event(self, key: str) -> bool: ...  # True the first time ``key`` is claimed

    # the outbox (bot.tickets.notify.Outbox): claimed with a lease, one claim holder at a time
    def claim_outbox(
        self, claim: str, channels: tuple[Channel, ...], limit: int = 1, lease_s: float = 120.0
    ) -> list[OutboxItem]: ...  # due items, each now held by ``claim`` until the lease ends
    def outbox_sent(self, item_id: int, claim: str) -> bool: ...  # False: not held by claim
    def outbox_retry(
        self, item_id: int, claim: str, error: str, at: datetime | None
    ) -> bool: ...  # try again at ``at``; None: failed for good (audited)
    def outbox_counts(self) -> dict[str, int]: ...  # items per status, every status named
    def outbox(self, status: OutboxStatus | None = None, limit: int = 100) -> list[OutboxItem]: ...

    # retention (bot.worker): how many rows went
    def forget_events(self, before: datetime) -> int: ...
    def forget_outbox(self, before: datetime) -> int: ...  # delivered items only
    def forget_audit_detail(self, before: datetime) -> int: ...  # keeps who, what, when


class ReplyNotifier(Protocol):
    """Delivers what an agent says on a ticket back to the employee's channel.

    The web chat needs none (it reads the ticket's messages); the Slack bot posts into the
    ticket's thread. ``bot.tickets.notify`` keeps one notifier per channel.
    """

    def notify(self, ticket: Ticket, message: TicketMessage) -> None: ...
