"""``/helpdesk <question>``: acknowledged with a short note, answered in the asker's direct
messages (where their groups apply), in a thread they can follow up in."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.events import slack_to_plain
from bot.slack.runtime import SlackBot
from bot.slack.texts import say
from bot.text.language import detect_language

COMMAND = "/helpdesk"


def register(app: App, bot: SlackBot) -> None:
    """Answer ``/helpdesk``."""

    def acknowledge(ack, command: dict) -> None:
        text = slack_to_plain(command.get("text") or "")
        language = detect_language(text) if text else "ko"
        ack(say("command_ack" if text else "usage", language))

    def answer_command(command: dict, respond) -> None:
        text = slack_to_plain(command.get("text") or "")
        if text and not bot.responder.ask_privately(command["user_id"], text):
            respond(say("unavailable", detect_language(text)))  # never silent

    app.command(COMMAND)(ack=acknowledge, lazy=[answer_command])
