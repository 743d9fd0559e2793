"""Agent replies and status changes from the web console, posted into the ticket's Slack thread."""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from bot.slack.blocks import agent_reply, status_change
from bot.slack.events import parse_thread_ref
from bot.text.language import detect_language
from bot.tickets.records import Ticket, TicketMessage

log = logging.getLogger(__name__)


class SlackNotifier:
    """A ``ReplyNotifier`` for Slack tickets: ``chat.postMessage`` into their thread.

    Failures raise (``SlackApiError``): ``Notifiers`` logs them without undoing the agent's action.
    """

    def __init__(self, client: WebClient, base_url: str = ""):
        self.client = client
        self.base_url = base_url

    def notify(self, ticket: Ticket, message: TicketMessage) -> None:
        """Post an agent's reply or the ticket's new status into the employee's thread."""
        where = parse_thread_ref(ticket.thread_ref)
        if where is None:
            log.warning(
                "%s has no Slack thread (%r); nothing posted", ticket.number, ticket.thread_ref
            )
            return
        language = detect_language(f"{ticket.subject}\n{ticket.summary}")
        if message.kind == "reply":
            post = agent_reply(ticket, message, language, self.base_url)
        elif message.kind == "status":
            post = status_change(ticket, language, self.base_url)
        else:
            return  # notes stay with the agents; the employee wrote their own messages
        channel, thread_ts = where
        self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, **post.kwargs())
