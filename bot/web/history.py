"""The employee's earlier conversations, listed beside the chat so they can be resumed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.tickets.records import Conversation, NotFound, TicketStore

TITLE_CHARS = 80


@dataclass(frozen=True)
class ConversationSummary:
    """One line of the list: the first question as title, when, and the ticket if escalated."""

    id: int
    title: str
    created_at: datetime
    ticket_number: str | None = None
    ticket_status: str | None = None


def title_of(conversation: Conversation) -> str:
    """Return the conversation's first question on one line, shortened ("" when none)."""
    first = next((t.text for t in conversation.turns if t.role == "user"), "")
    line = " ".join(first.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"


def recent_conversations(
    store: TicketStore, username: str, limit: int = 20
) -> list[ConversationSummary]:
    """Return ``username``'s latest conversations that have a question, newest first."""
    found = store.conversations(user=username, limit=limit * 2)  # a few may be empty
    asked = [(c, title) for c in found if (title := title_of(c))][:limit]
    summaries = []
    for conversation, title in asked:
        number = conversation.ticket_number
        summaries.append(
            ConversationSummary(
                conversation.id, title, conversation.created_at, number, _status(store, number)
            )
        )
    return summaries


def _status(store: TicketStore, number: str | None) -> str | None:
    if not number:
        return None
    try:
        return store.ticket(number).status
    except NotFound:  # a ticket removed behind the store's back: show the chat without it
        return None
