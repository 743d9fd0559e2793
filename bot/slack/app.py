"""The Bolt app: one Web API client (base URL from settings, 429s retried after Retry-After),
durable de-duplication of Slack's retries, and the listeners.

Nothing connects when the app is built: ``auth.test`` runs on the first request.
"""

from __future__ import annotations

import logging

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.settings import SlackSettings
from bot.slack.events import delivery_key
from bot.slack.identity import Identity
from bot.slack.listeners import register_listeners
from bot.slack.responder import ThreadResponder
from bot.slack.runtime import SlackBot
from bot.slack.services import SlackServices
from bot.tickets.records import TicketStore

log = logging.getLogger(__name__)
API_TIMEOUT_S = 30


def web_client(settings: SlackSettings) -> WebClient:
    """The Slack Web API client: the configured base URL, rate limits and resets retried."""
    return WebClient(
        token=settings.bot_token.get_secret_value() or None,
        base_url=settings.api_url,
        timeout=API_TIMEOUT_S,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),  # sleeps Retry-After, then retries
        ],
    )


def build_bot(settings: SlackSettings, services: SlackServices) -> SlackBot:
    """The bot's runtime parts around one Web API client."""
    client = web_client(settings)
    identity = Identity(client, settings.group_mappings, services.store, settings.user_cache_s)
    base_url = settings.public_url or services.desk.settings.public_url.rstrip("/")
    responder = ThreadResponder(client, services, identity, settings.timeout, base_url)
    return SlackBot(settings, services, client, identity, responder, base_url)


def build_slack_app(settings: SlackSettings, services: SlackServices) -> App:
    """The Bolt app with every listener, for Socket Mode or HTTP (``app.bot`` is its SlackBot)."""
    bot = build_bot(settings, services)
    app = App(
        client=bot.client,
        signing_secret=settings.signing_secret.get_secret_value(),
        name="servicedesk",
        token_verification_enabled=False,  # auth.test on the first request, not at build time
        process_before_response=False,  # ack first; the work runs in lazy listeners
    )
    app.use(_once_per_delivery(services.store))
    register_listeners(app, bot)
    app.bot = bot  # type: ignore[attr-defined]
    return app


def _once_per_delivery(store: TicketStore):
    """Global middleware: a delivery already claimed (Slack's retry, a redelivered envelope) is
    acknowledged and dropped, whichever worker handled the first one."""

    def once_per_delivery(body: dict, request, next):
        key = delivery_key(body)
        if key and not store.claim_event(key):
            retry = request.headers.get("x-slack-retry-num", [""])[0]
            log.info("duplicate delivery %s (retry %s) dropped", key, retry or "-")
            return BoltResponse(status=200, body="")
        return next()

    return once_per_delivery
