"""``SqlStore``: the TicketStore on SQLite or PostgreSQL, one class from its parts."""

from __future__ import annotations

from bot.store.accounts import AccountRecords
from bot.store.conversations import ConversationRecords
from bot.store.events import EventRecords
from bot.store.outbox import OutboxRecords
from bot.store.reviews import ReviewRecords
from bot.store.tickets import TicketRecords


class SqlStore(
    AccountRecords, ConversationRecords, TicketRecords, ReviewRecords, EventRecords, OutboxRecords
):
    """Everything the desk remembers, in one SQL database (``SqlStore(url, sla_hours)``).

    ``clock`` (default: now in UTC) stamps the times the store decides itself: tickets filed,
    changed, resolved; records handed in keep their own ``created_at``.
    """
