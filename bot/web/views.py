"""Tickets and messages as JSON: the requester's view (no internal notes) and the agent's."""

from __future__ import annotations

from datetime import datetime

from bot.tickets.casework import public_messages
from bot.tickets.records import Ticket, TicketMessage, utcnow


def message_dict(message: TicketMessage) -> dict:
    """One ticket message, JSON-ready."""
    return {
        "id": message.id,
        "kind": message.kind,
        "author": message.author,
        "text": message.text,
        "created_at": message.created_at.isoformat(),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def requester_ticket_dict(ticket: Ticket) -> dict:
    """What the employee who asked may see: status, summary, replies; never agents' notes."""
    return {
        "number": ticket.number,
        "status": ticket.status,
        "subject": ticket.subject,
        "summary": ticket.summary,
        "category": ticket.category,
        "priority": ticket.priority,
        "group": ticket.group,
        "channel": ticket.channel,
        "conversation_id": ticket.conversation_id,
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "resolved_at": _iso(ticket.resolved_at),
        "resolution": ticket.resolution,
        "messages": [message_dict(m) for m in public_messages(ticket)],
    }


def conversation_link(ticket: Ticket) -> str:
    """Where the ticket's conversation lives: its Slack thread, or the agent's page of the web
    chat (empty when the ticket was filed without one)."""
    if ticket.channel == "slack" and ":" in ticket.thread_ref:
        channel, thread_ts = ticket.thread_ref.split(":", 1)
        # Slack resolves this archive link to the thread in the viewer's workspace.
        return f"https://slack.com/archives/{channel}/p{thread_ts.replace('.', '')}"
    if ticket.conversation_id:
        return f"/agent/conversations/{ticket.conversation_id}"
    return ""


def agent_ticket_dict(ticket: Ticket, now: datetime | None = None) -> dict:
    """Everything about a ticket, for agents: transcript, sources, notes, SLA due and breaches."""
    data = ticket.to_dict(now or utcnow())
    data["breached"] = data["response_breached"] or data["resolution_breached"]
    data["conversation_link"] = conversation_link(ticket)
    return data
