"""The Slack bot on the desk's services: ``/slack/events`` in HTTP mode (Bolt's FastAPI adapter)
and, whenever a bot token is set, the notifier that takes agent replies to Slack threads;
``servicedesk serve`` installs it on the web app, ``servicedesk slack`` builds the same Bolt app
for Socket Mode."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool

from bot.insights.incidents import IncidentMonitor
from bot.settings import EVENTS_PATH, SlackSettings
from bot.slack.app import build_slack_app, web_client
from bot.slack.incidents import SlackIncidentAlert
from bot.slack.notifier import SlackNotifier
from bot.slack.services import SlackServices
from bot.wiring import Services


def slack_services(services: Services) -> SlackServices:
    """The desk's services the bot works through: the same ones the web app uses."""
    return SlackServices(
        services.conversations,
        services.escalation,
        services.store,
        services.desk,
        services.casework,
    )


def base_url(services: Services, settings: SlackSettings) -> str:
    """The absolute base of ticket and article links in Slack ("" when unknown)."""
    return settings.public_url or services.config.bot.public_url.rstrip("/")


def alert_ops_channel(
    monitor: IncidentMonitor | None, settings: SlackSettings, links: str = ""
) -> None:
    """Post ``monitor``'s incident alerts to the operations channel, when one is set (``links``:
    the base of the dashboard link in them)."""
    if monitor is not None and settings.enabled and settings.ops_channel:
        alert = SlackIncidentAlert(web_client(settings), settings.ops_channel, links)
        monitor.alerters.append(alert)


def bolt_app(services: Services, settings: SlackSettings) -> App:
    """The Bolt app answering over ``services``, incident alerts going to the ops channel."""
    alert_ops_channel(services.incidents, settings, base_url(services, settings))
    return build_slack_app(settings, slack_services(services))


def install_slack(app: FastAPI, services: Services, settings: SlackSettings) -> App | None:
    """Register the Slack notifier and, in HTTP mode, serve ``/slack/events``; the Bolt app, or
    None when Slack is off or runs in Socket Mode elsewhere (``SlackConfigError`` when HTTP mode
    lacks its signing secret)."""
    if not settings.enabled:
        return None
    links = base_url(services, settings)
    if settings.mode != "http":
        # `servicedesk slack` answers over Socket Mode; this process still delivers agent replies.
        alert_ops_channel(services.incidents, settings, links)
        services.notifiers.register("slack", SlackNotifier(web_client(settings), links))
        return None
    settings.require("http")
    bolt = bolt_app(services, settings)
    services.notifiers.register("slack", SlackNotifier(bolt.bot.client, bolt.bot.base_url))

    @app.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        # Bolt's FastAPI adapter, with dispatch (signature check, de-duplication, ack) moved off
        # the event loop: it waits for the listener's ack() and may touch the database.
        body = await request.body()
        response = await run_in_threadpool(bolt.dispatch, to_bolt_request(request, body))
        return to_starlette_response(response)

    return bolt
