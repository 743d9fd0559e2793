"""What every listener receives: the settings, the services, the Web API client and the helpers
built on it. The listeners import this module, never the app that registers them."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot.settings import SlackSettings
from bot.slack.identity import Identity
from bot.slack.responder import ThreadResponder
from bot.slack.services import SlackServices


@dataclass
class SlackBot:
    """Everything the listeners need: settings, services, the client and the helpers on it."""

    settings: SlackSettings
    services: SlackServices
    client: WebClient
    identity: Identity
    responder: ThreadResponder
    base_url: str  # absolute base of ticket and article links ("" when unknown)

    @property
    def groups(self) -> dict[str, str]:
        """Ticket categories and the assignment group of each."""
        return dict(self.services.escalation.settings.assignment_groups)
