"""`servicedesk slack`: the Slack bot over Socket Mode (no public URL needed); and the Slack part
of `servicedesk serve` (HTTP mode's /slack/events, agent replies to Slack threads)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer
import yaml

from bot.cli.common import config_or_exit, fail, services_or_exit
from bot.settings import EVENTS_PATH, SlackConfigError, SlackSettings

MANIFEST = Path(__file__).resolve().parents[1] / "slack" / "manifest.yml"


def slack_for_serve(settings: SlackSettings) -> SlackSettings | None:
    """What `serve` needs of Slack: None when no bot token is set; exit 2 when HTTP mode lacks
    its signing secret."""
    if not settings.enabled:
        return None
    if settings.mode == "http":
        try:
            settings.require("http")
        except SlackConfigError as err:
            fail(str(err))
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
        fail(str(err))


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

    from bot.slack.web import bolt_app

    config = config_or_exit()
    settings = config.slack
    if settings.mode == "http":
        fail(
            "SERVICEDESK_SLACK_MODE is http: Slack calls /slack/events on `servicedesk serve`; "
            "set it to socket to use this command"
        )
    try:
        settings.require("socket")
    except SlackConfigError as err:
        fail(str(err))
    app = bolt_app(services_or_exit(config), settings)
    typer.echo("Slack bot connected over Socket Mode; Ctrl-C stops it")
    SocketModeHandler(app, settings.app_token.get_secret_value()).start()
