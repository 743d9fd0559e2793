"""`servicedesk slack`: the Slack bot over Socket Mode (no public URL needed); and the Slack part
of `servicedesk serve` (HTTP mode's /slack/events, agent replies to Slack threads)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer
import yaml

from bot.slack.settings import SlackConfigError, SlackSettings

MANIFEST = Path(__file__).resolve().parents[1] / "slack" / "manifest.yml"
EVENTS_PATH = "/slack/events"


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def load_slack_settings() -> SlackSettings:
    """The Slack settings, or exit 2 with the reason."""
    from pydantic import ValidationError

    try:
        return SlackSettings()
    except (ValidationError, ValueError) as err:
        _fail(f"invalid Slack configuration:\n{err}")
        raise  # unreachable; keeps type checkers calm


def slack_for_serve() -> SlackSettings | None:
    """What `serve` needs of Slack: None when no bot token is set; exit 2 when HTTP mode lacks
    its signing secret."""
    settings = load_slack_settings()
    if not settings.enabled:
        return None
    if settings.mode == "http":
        try:
            settings.require("http")
        except SlackConfigError as err:
            _fail(str(err))
        typer.echo("Slack: answering events at /slack/events (HTTP mode)")
    else:
        typer.echo("Slack: agent replies go to Slack threads; run `servicedesk slack` to answer")
    return settings


slack_app = typer.Typer(
    help="The Slack bot: `servicedesk slack` runs it over Socket Mode.",
    invoke_without_command=True,
)


@slack_app.callback()
def slack_main(ctx: typer.Context) -> None:
    """Run the Slack bot in Socket Mode (SERVICEDESK_SLACK_BOT_TOKEN and _APP_TOKEN).

    Answers use the configured LLM endpoint (extractive while it is down); start the engine with
    `servicedesk serve` or `servicedesk llm serve`.
    """
    if ctx.invoked_subcommand is None:
        run_socket_mode()


@slack_app.command("manifest")
def slack_manifest(
    url: Annotated[
        str, typer.Option(help="HTTP mode: the public base URL (requests go to URL/slack/events)")
    ] = "",
) -> None:
    """Print the Slack app manifest (Socket Mode; HTTP mode with --url)."""
    try:
        typer.echo(manifest(url), nl=False)
    except ValueError as err:
        _fail(str(err))


def manifest(url: str = "") -> str:
    """The app manifest as YAML: as shipped, or for HTTP mode at ``url``."""
    text = MANIFEST.read_text(encoding="utf-8")
    if not url:
        return text
    if not re.match(r"^https://[^/\s]+", url):
        raise ValueError(f"--url must be the public https:// address of the app, not {url!r}")
    events = url.rstrip("/") + EVENTS_PATH
    data = yaml.safe_load(text)
    data["settings"]["socket_mode_enabled"] = False
    data["settings"]["event_subscriptions"]["request_url"] = events
    data["settings"]["interactivity"]["request_url"] = events
    for command in data["features"]["slash_commands"]:
        command["url"] = events
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def run_socket_mode() -> None:
    """Connect to Slack over Socket Mode and answer until stopped."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    settings = load_slack_settings()
    if settings.mode == "http":
        _fail(
            "SERVICEDESK_SLACK_MODE is http: Slack calls /slack/events on `servicedesk serve`; "
            "set it to socket to use this command"
        )
    try:
        settings.require("socket")
    except SlackConfigError as err:
        _fail(str(err))
    app = build_from_configuration(settings)
    typer.echo("Slack bot connected over Socket Mode; Ctrl-C stops it")
    SocketModeHandler(app, settings.app_token.get_secret_value()).start()


def build_from_configuration(settings: SlackSettings):
    """The Bolt app over the configured knowledge base, store, Desk and escalation."""
    from bot.cli.main import _open_kb, _settings
    from bot.tickets.conversations import ConversationService
    from bot.slack.app import SlackServices, build_slack_app
    from bot.store import open_store
    from bot.web.app import build_escalation
    from bot.wiring import build_desk
    from llm_server.cli import llm_settings

    rs, _, bs = _settings()
    kb = _open_kb(rs)
    store = open_store(bs, rs.data_dir)
    desk = build_desk(kb, bs, llm_settings())
    monitor = _incident_monitor(settings, store, kb.embedder, bs)
    services = SlackServices(
        ConversationService(desk, store, monitor),
        build_escalation(store, bs, desk, rs.data_dir),
        store,
        desk,
    )
    return build_slack_app(settings, services)


def _incident_monitor(settings: SlackSettings, store, embedder, bot_settings):
    """Spikes of similar questions, alerted to the operations channel when one is set."""
    from bot.insights.incidents import IncidentMonitor, IncidentRules
    from bot.slack.app import web_client
    from bot.slack.incidents import SlackIncidentAlert

    monitor = IncidentMonitor(store, embedder, IncidentRules.from_settings(bot_settings))
    if settings.ops_channel:
        base_url = settings.public_url or bot_settings.public_url.rstrip("/")
        monitor.alerters.append(
            SlackIncidentAlert(web_client(settings), settings.ops_channel, base_url)
        )
    return monitor
