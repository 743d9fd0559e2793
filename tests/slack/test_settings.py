"""Slack settings: validated at load, tokens demanded only when the bot starts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import SLACK_API_URL, SlackConfigError, SlackSettings

pytestmark = [pytest.mark.unit, pytest.mark.slack]


def settings(**values) -> SlackSettings:
    return SlackSettings(_env_file=None, **values)


def test_defaults_load_without_slack_and_point_at_slack() -> None:
    s = settings()
    assert s.api_url == SLACK_API_URL == "https://slack.com/api/"
    assert (s.mode, s.enabled, s.support_channels, s.group_mappings) == ("socket", False, [], {})


def test_the_api_url_gets_the_trailing_slash_slack_sdk_expects() -> None:
    assert settings(api_url="http://127.0.0.1:9999/api").api_url == "http://127.0.0.1:9999/api/"
    with pytest.raises(ValidationError, match="api_url"):
        settings(api_url="slack.com/api")


def test_settings_come_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("SERVICEDESK_SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SERVICEDESK_SLACK_MODE", "http")
    monkeypatch.setenv("SERVICEDESK_SLACK_SUPPORT_CHANNELS", "C0HELP, C0IT")
    monkeypatch.setenv("SERVICEDESK_SLACK_GROUP_MAPPINGS", '{"Kim@Corp.example": "hr, finance"}')
    s = SlackSettings(_env_file=None)
    assert s.enabled and s.mode == "http"
    assert s.support_channels == ["C0HELP", "C0IT"]
    assert s.group_mappings == {"kim@corp.example": ["hr", "finance"]}
    assert "xoxb-1" not in repr(s)  # secrets stay out of logs


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"bot_token": "xapp-wrong"}, "bot_token must start with xoxb-"),
        ({"app_token": "xoxb-wrong"}, "app_token must start with xapp-"),
        ({"mode": "webhook"}, "mode"),
        ({"support_channels": ["general"]}, "channel ids"),
        ({"group_mappings": {"it-staff": ["it"]}}, "e-mail, an @domain or a Slack user-group"),
        ({"group_mappings": "[1]"}, "JSON object"),
        ({"timeout": 0}, "timeout"),
        ({"public_url": "desk.example.com"}, "public_url"),
    ],
)
def test_wrong_values_are_refused_with_the_reason(values: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        settings(**values)


def test_group_mappings_accept_emails_domains_and_user_groups() -> None:
    s = settings(group_mappings={"@corp.example": ["staff"], "S0ITTEAM": ["it-staff"]})
    assert s.group_mappings == {"@corp.example": ["staff"], "S0ITTEAM": ["it-staff"]}


def test_starting_names_every_missing_token_for_the_mode() -> None:
    with pytest.raises(SlackConfigError) as socket:
        settings().require("socket")
    assert "SERVICEDESK_SLACK_BOT_TOKEN" in str(socket.value)
    assert "SERVICEDESK_SLACK_APP_TOKEN" in str(socket.value)
    with pytest.raises(SlackConfigError, match="SERVICEDESK_SLACK_SIGNING_SECRET"):
        settings(bot_token="xoxb-1").require("http")
    settings(bot_token="xoxb-1", app_token="xapp-1").require("socket")
    settings(bot_token="xoxb-1", signing_secret="s").require("http")
