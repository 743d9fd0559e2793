"""Incident alerts in the Slack operations channel (``SERVICEDESK_SLACK_OPS_CHANNEL``)."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.insights.incidents import Incident


def incident_text(incident: Incident, base_url: str = "") -> str:
    """The alert as Slack text: topic, how many from how many, when, examples, the dashboard."""
    window = f"{incident.first_seen:%H:%M}–{incident.last_seen:%H:%M} UTC"
    lines = [
        f":rotating_light: *Possible incident: {incident.title}*",
        f"{incident.count} similar questions from {incident.users} people ({window})",
        *(f"• {example}" for example in incident.examples),
    ]
    if incident.article:
        lines.append(f"Top article: {incident.article}")
    if base_url:
        lines.append(f"<{base_url.rstrip('/')}/admin|Admin dashboard>")
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
