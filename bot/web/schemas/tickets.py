"""Tickets as the API returns them: the requester's view (``bot.web.views``), never agents'
notes, and the agents' full view with SLA due times and breach flags."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from bot.tickets.records import Channel, MessageKind, Priority, Status
from bot.web.schemas.base import ApiModel, Timestamp


class Message(ApiModel):
    """Something said on a ticket: an agent's reply, an internal note (agents only), a status
    change, or the employee's message."""

    id: int
    kind: MessageKind
    author: str
    text: str
    created_at: Timestamp


class MyTicketStatus(ApiModel):
    """What the employee who asked may see of a ticket, without its messages."""

    number: str = Field(description="SD-000123")
    status: Status
    subject: str
    summary: str
    category: str
    priority: Priority
    group: str = Field(description="the assignment group working on it")
    channel: Channel
    conversation_id: int | None
    created_at: Timestamp
    updated_at: Timestamp
    resolved_at: Timestamp | None
    resolution: str = Field(description="what fixed it, once resolved")


class MyTicket(MyTicketStatus):
    """The employee's ticket with the replies they may see (lists leave ``messages`` empty)."""

    messages: list[Message] = Field(description="replies, status changes, own messages")


class Ticket(ApiModel):
    """Everything about a ticket, for agents: transcript, sources, notes, SLA due times and
    whether they were missed (the queue leaves ``messages`` and ``transcript`` empty)."""

    number: str = Field(description="SD-000123")
    status: Status
    requester: str
    channel: Channel
    conversation_id: int | None
    subject: str
    summary: str
    transcript: str = Field(description="the conversation that led to the ticket")
    category: str
    priority: Priority
    group: str
    response_due: Timestamp = Field(description="first agent response due (SLA)")
    resolution_due: Timestamp = Field(description="resolution due (SLA)")
    created_at: Timestamp
    updated_at: Timestamp
    id: int
    thread_ref: str = Field(description="Slack CHANNEL:THREAD_TS; empty on the web")
    first_response_at: Timestamp | None
    resolved_at: Timestamp | None
    closed_at: Timestamp | None
    resolution: str
    reopened: int = Field(description="how many times it was reopened")
    sources: list[dict[str, Any]] = Field(description="the citations the bot had used")
    messages: list[Message] = Field(description="replies, notes, status changes, employee's")
    response_breached: bool = Field(description="the first response came (or is) late")
    resolution_breached: bool = Field(description="the resolution came (or is) late")
    breached: bool = Field(description="either SLA target was missed")
    conversation_link: str = Field(
        description="the Slack thread, or the agent's page of the web conversation"
    )


class ProposedArticle(ApiModel):
    """A knowledge-article draft made from a ticket, waiting in the admin's review queue."""

    id: int
    title: str
    status: str = Field(description="pending until an admin approves or rejects it")
    ticket: str = Field(description="the ticket number it came from")
