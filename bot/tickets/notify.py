"""Telling employees what agents do: one ``ReplyNotifier`` per channel (web needs none)."""

from __future__ import annotations

import logging

from bot.tickets.records import Channel, ReplyNotifier, Ticket, TicketMessage

log = logging.getLogger(__name__)


class Notifiers:
    """The notifiers of each channel; the Slack bot registers one for ``slack``.

    The web chat needs none: it polls the ticket's messages. A notifier that fails never undoes
    the agent's action (the message is already stored); the failure is logged.
    """

    def __init__(self) -> None:
        self._by_channel: dict[str, ReplyNotifier] = {}

    def register(self, channel: Channel, notifier: ReplyNotifier) -> None:
        """Deliver later messages of ``channel``'s tickets through ``notifier``."""
        self._by_channel[channel] = notifier

    def notifier(self, channel: str) -> ReplyNotifier | None:
        """The notifier registered for ``channel``, if any."""
        return self._by_channel.get(channel)

    def notify(self, ticket: Ticket, message: TicketMessage) -> bool:
        """Pass an agent's reply or a status change on; return whether a notifier took it."""
        if message.kind == "note":
            return False  # internal notes never leave the agent console
        notifier = self._by_channel.get(ticket.channel)
        if notifier is None:
            return False
        try:
            notifier.notify(ticket, message)
        except Exception:  # a channel being down must not fail the agent's action
            log.exception("could not notify %s about %s", ticket.channel, ticket.number)
            return False
        return True
