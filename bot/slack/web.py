"""The Slack bot inside the web app: ``/slack/events`` in HTTP mode (Bolt's FastAPI adapter) and,
whenever a bot token is set, the notifier that takes agent replies to Slack threads."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool

from bot.slack.app import SlackServices, build_slack_app, web_client
from bot.cli.slack import EVENTS_PATH
from bot.slack.notifier import SlackNotifier
from bot.slack.settings import SlackSettings


def install_slack(app: FastAPI, settings: SlackSettings) -> App | None:
    """Register the Slack notifier and, in HTTP mode, serve ``/slack/events``; the Bolt app (also
    ``app.state.slack``) or None when Slack is off or runs in Socket Mode elsewhere."""
    if not settings.enabled:
        return None
    base_url = settings.public_url or app.state.settings.public_url.rstrip("/")
    monitor = getattr(app.state, "incidents", None)
    if settings.ops_channel and monitor is not None:
        from bot.slack.incidents import SlackIncidentAlert

        alert = SlackIncidentAlert(web_client(settings), settings.ops_channel, base_url)
        monitor.alerters.append(alert)
    if settings.mode != "http":
        # `servicedesk slack` answers over Socket Mode; this process still delivers agent replies.
        app.state.notifiers.register("slack", SlackNotifier(web_client(settings), base_url))
        return None
    settings.require("http")
    services = SlackServices(
        app.state.conversations, app.state.escalation, app.state.store, app.state.desk
    )
    bolt = build_slack_app(settings, services)
    app.state.notifiers.register("slack", SlackNotifier(bolt.bot.client, bolt.bot.base_url))
    app.state.slack = bolt

    @app.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        # Bolt's FastAPI adapter, with dispatch (signature check, de-duplication, ack) moved off
        # the event loop: it waits for the listener's ack() and may touch the database.
        body = await request.body()
        response = await run_in_threadpool(bolt.dispatch, to_bolt_request(request, body))
        return to_starlette_response(response)

    return bolt
