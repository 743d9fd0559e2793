"""The bot's listeners, one module per kind of thing Slack delivers."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners import actions, commands, messages, views
from bot.slack.runtime import SlackBot


def register_listeners(app: App, bot: SlackBot) -> None:
    """Attach every listener to ``app``."""
    messages.register(app, bot)
    commands.register(app, bot)
    actions.register(app, bot)
    views.register(app, bot)
