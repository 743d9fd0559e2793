"""Incident alerts in the Slack operations channel (``SERVICEDESK_SLACK_OPS_CHANNEL``)."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.insights.incidents import Incident
from bot.slack.mrkdwn import escape


def incident_text(incident: Incident, base_url: str = "") -> str:
    """The alert as Slack text: how many questions from how many people, when, the top article
    and the dashboard. Never the questions themselves (nor a title made from one): they may come
    from direct messages, carry personal data, mentions such as ``<!channel>`` or links."""
    window = f"{incident.first_seen:%H:%M}–{incident.last_seen:%H:%M} UTC"
    lines = [
        ":rotating_light: *Possible incident*",
        f"{incident.count} similar questions from {incident.users} people ({window})",
    ]
    if incident.article:
        lines.append(f"Top article: `{escape(incident.article).replace('`', '')}`")
    if base_url:
        lines.append(f"<{base_url.rstrip('/')}/admin|Admin dashboard> (the questions are there)")
    return "\n".join(lines)


class SlackIncidentAlert:
    """An alerter for :class:`bot.insights.incidents.IncidentMonitor`: ``chat.postMessage`` to a
    channel.

    Failures raise (``SlackApiError``); the monitor logs them, the alert stays recorded.
    """

    def __init__(self, client: WebClient, channel: str, base_url: str = ""):
        self.client = client
        self.channel = channel
        self.base_url = base_url

    def __call__(self, incident: Incident) -> None:
        """Post the alert."""
        text = incident_text(incident, self.base_url)
        block = {
            "type": "section",
            "block_id": "incident",
            "text": {"type": "mrkdwn", "text": text},
        }
        self.client.chat_postMessage(channel=self.channel, text=text, blocks=[block])
