"""`servicedesk slack` and its manifest: refuse to start without tokens, print a usable manifest."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli.main import app
from bot.cli.slack import MANIFEST

pytestmark = [pytest.mark.unit, pytest.mark.slack]

SLACK_ENV = {
    k: ""
    for k in (
        "SERVICEDESK_SLACK_BOT_TOKEN",
        "SERVICEDESK_SLACK_APP_TOKEN",
        "SERVICEDESK_SLACK_SIGNING_SECRET",
    )
}
# Scopes each Web API method the bot calls needs (a new call must add its scope here and to the
# manifest, or this test fails).
SCOPES = {
    "chat_postMessage": {"chat:write"},
    "chat_update": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "views_open": set(),
    "views_update": set(),
    "users_info": {"users:read", "users:read.email"},
    "usergroups_users_list": {"usergroups:read"},
    "conversations_open": {"im:write"},
    "reactions_add": {"reactions:write"},
}
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
}


def run(*args: str, **env: str):
    return CliRunner().invoke(app, list(args), env={**SLACK_ENV, **env})


def test_slack_refuses_to_start_without_its_tokens() -> None:
    done = run("slack")
    assert done.exit_code == 2
    assert "SERVICEDESK_SLACK_BOT_TOKEN" in done.output
    assert "SERVICEDESK_SLACK_APP_TOKEN" in done.output


def test_slack_in_http_mode_points_at_serve() -> None:
    done = run("slack", SERVICEDESK_SLACK_MODE="http", SERVICEDESK_SLACK_BOT_TOKEN="xoxb-1")
    assert done.exit_code == 2 and "/slack/events" in done.output


def test_a_wrong_setting_is_named() -> None:
    done = run("slack", SERVICEDESK_SLACK_BOT_TOKEN="xapp-not-a-bot-token")
    assert done.exit_code == 2 and "bot_token must start with xoxb-" in done.output


def test_the_manifest_declares_the_command_events_and_interactivity() -> None:
    manifest = yaml.safe_load(run("slack", "manifest").output)
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/helpdesk"]
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == set(EVENT_SCOPES)
    assert settings["interactivity"]["is_enabled"] and settings["socket_mode_enabled"]


def test_the_manifest_grants_every_scope_the_code_needs() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    granted = set(manifest["oauth_config"]["scopes"]["bot"])
    source = "\n".join(p.read_text() for p in Path(MANIFEST.parent).rglob("*.py"))
    called = set(re.findall(r"client\.([a-z]+_[A-Za-z_]+)\(", source))
    assert called, "no Web API calls found: the pattern is out of date"
    unknown = called - set(SCOPES)
    assert not unknown, f"add the scopes of {unknown} to SCOPES and the manifest"
    needed = set().union(*(SCOPES[m] for m in called)) | set(EVENT_SCOPES.values()) | {"commands"}
    assert needed <= granted, f"missing from the manifest: {needed - granted}"


def test_the_http_manifest_sends_everything_to_slack_events() -> None:
    done = run("slack", "manifest", "--url", "https://desk.example.com/")
    manifest = yaml.safe_load(done.output)
    events = "https://desk.example.com/slack/events"
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["request_url"] == events
    assert settings["interactivity"]["request_url"] == events
    assert manifest["features"]["slash_commands"][0]["url"] == events
    assert settings["socket_mode_enabled"] is False
    refused = run("slack", "manifest", "--url", "http://desk.example.com")
    assert refused.exit_code == 2 and "https://" in refused.output
