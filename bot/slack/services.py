"""The desk's services the Slack bot works through: the same ones the web app uses, so a rule
lives in one place whichever front end the employee writes from."""

from __future__ import annotations

from dataclasses import dataclass

from bot.desk.desk import Desk
from bot.tickets.casework import Casework
from bot.tickets.conversations import ConversationService
from bot.tickets.escalation import Escalation
from bot.tickets.records import TicketStore


@dataclass(frozen=True)
class SlackServices:
    """What the listeners and the responder call; the store is read here, written through the
    services (only Slack's delivery claims write it directly)."""

    conversations: ConversationService
    escalation: Escalation
    store: TicketStore
    desk: Desk
    casework: Casework
