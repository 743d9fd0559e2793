"""The session and the employee's chat as the API returns them (``bot.web.chat``,
``bot.web.login``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from bot.tickets.records import Channel, FeedbackKind, Priority, Role
from bot.web.schemas.answers import Answer
from bot.web.schemas.base import ApiModel, Timestamp
from bot.web.schemas.tickets import Message, MyTicket, MyTicketStatus


class Account(ApiModel):
    """The public fields of an account (never a password hash)."""

    username: str
    role: Role
    display_name: str
    email: str
    groups: list[str] = Field(description="decide which restricted articles the user sees")


class Session(ApiModel):
    """Who is signed in; send ``csrf_token`` as the ``X-CSRF-Token`` header on writes."""

    account: Account
    csrf_token: str


class ConversationTurn(ApiModel):
    """One stored message: the employee's question or the bot's answer."""

    id: int
    role: Literal["user", "assistant"]
    text: str
    answer: dict[str, Any] | None = Field(
        description="an assistant turn's Answer as stored when it was given (see Answer)"
    )
    created_at: Timestamp


class Conversation(ApiModel):
    """A web chat with its turns."""

    id: int
    channel: Channel
    created_at: Timestamp
    ticket_number: str | None = Field(description="set once escalated")
    turns: list[ConversationTurn]


class ConversationSummary(Conversation):
    """A conversation in the list: ``turns`` left empty, the first question instead."""

    first_question: str = Field(description="the first 200 characters")


class Asked(ApiModel):
    """The answer to a question asked in a conversation, and the turn it was stored as."""

    answer: Answer
    turn_id: int = Field(description="the assistant turn; feedback refers to it")


class FeedbackSaved(ApiModel):
    """The recorded verdict."""

    id: int
    kind: FeedbackKind
    turn_id: int | None


class TicketDraft(ApiModel):
    """The ticket the AI suggests; the employee may edit every field before filing."""

    subject: str
    summary: str
    category: str
    priority: Priority
    group: str
    language: str = Field(description="ko or en")


class DraftChoices(ApiModel):
    """What the draft's fields may be changed to."""

    categories: list[str]
    priorities: list[Priority]
    groups: list[str]


class Draft(ApiModel):
    """What "Talk to a person" would file, with the key that makes filing it idempotent."""

    draft: TicketDraft
    idempotency_key: str = Field(description="send it back with the ticket")
    choices: DraftChoices


class AlreadyFiled(ApiModel):
    """The conversation already has a ticket: that one, instead of a draft."""

    ticket: MyTicket


class Updates(ApiModel):
    """What agents said or changed on the chat's ticket since the message asked after."""

    ticket: MyTicketStatus | None = Field(description="null while the chat has no ticket")
    messages: list[Message] = Field(description="new messages the employee may see")
