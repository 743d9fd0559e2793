"""Settings of the Slack bot, from ``SERVICEDESK_SLACK_*`` or ``.env``.

Everything has a default so the web app and tests load without Slack; the tokens are required
only when the bot is started (:meth:`SlackSettings.require`).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SLACK_API_URL = "https://slack.com/api/"
Mode = Literal["socket", "http"]
_USERGROUP = re.compile(r"^S[A-Z0-9]{2,}$")
_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{2,}$")


class SlackConfigError(ValueError):
    """The Slack bot cannot start with this configuration (the message says what to set)."""


class SlackSettings(BaseSettings):
    """How the Slack bot connects and whom it answers with which groups."""

    model_config = SettingsConfigDict(
        env_prefix="SERVICEDESK_SLACK_", env_file=".env", extra="ignore"
    )

    bot_token: SecretStr = Field(SecretStr(""), description="bot token (xoxb-...)")
    app_token: SecretStr = Field(
        SecretStr(""), description="app-level token (xapp-...), Socket Mode"
    )
    signing_secret: SecretStr = Field(SecretStr(""), description="verifies HTTP requests")
    mode: Mode = Field("socket", description="socket: `servicedesk slack`; http: /slack/events")
    api_url: str = Field(SLACK_API_URL, description="Slack Web API base URL (a stand-in in tests)")
    support_channels: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="channel ids (comma-separated) the bot watches"
    )
    answer_top_level: bool = Field(
        False, description="answer top-level questions in the support channels"
    )
    group_mappings: dict[str, list[str]] = Field(
        default_factory=dict,
        description='JSON: e-mail, "@domain" or user-group id (S...) -> our groups',
    )
    public_url: str = Field("", description="absolute base of ticket and article links")
    timeout: float = Field(60.0, gt=0, le=600, description="seconds before 'taking too long'")
    user_cache_s: float = Field(3600.0, ge=0, description="how long users.info results are kept")
    ops_channel: str = Field(
        "", description="channel id (C...) that receives incident alerts; none when empty"
    )

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        value = value.strip()
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"api_url must be an http(s) URL, got {value!r}")
        return value if value.endswith("/") else value + "/"  # slack_sdk appends method names

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"public_url must be an absolute http(s) URL, got {value!r}")
        return value

    @field_validator("ops_channel")
    @classmethod
    def _ops_channel(cls, value: str) -> str:
        value = value.strip()
        if value and not _CHANNEL.match(value):
            raise ValueError(f"ops_channel takes a channel id like C0123ABC, not {value!r}")
        return value

    @field_validator("support_channels", mode="before")
    @classmethod
    def _channels(cls, value: object) -> list[str]:
        if isinstance(value, str):
            value = json.loads(value) if value.strip().startswith("[") else value.split(",")
        channels = [str(c).strip() for c in value or [] if str(c).strip()]  # type: ignore[union-attr]
        wrong = [c for c in channels if not _CHANNEL.match(c)]
        if wrong:
            raise ValueError(f"support_channels takes channel ids like C0123ABC, not {wrong}")
        return channels

    @field_validator("group_mappings", mode="before")
    @classmethod
    def _mappings(cls, value: object) -> dict[str, list[str]]:
        if isinstance(value, str):
            value = json.loads(value) if value.strip() else {}
        if not isinstance(value, dict):
            raise ValueError("group_mappings must be a JSON object")
        out: dict[str, list[str]] = {}
        for key, groups in value.items():
            key = str(key).strip()
            if not ("@" in key or _USERGROUP.match(key)):
                raise ValueError(
                    f"group_mappings key {key!r}: use an e-mail, an @domain or a Slack "
                    "user-group id (S...)"
                )
            names = groups.split(",") if isinstance(groups, str) else list(groups or [])
            out[key if _USERGROUP.match(key) else key.lower()] = [
                str(g).strip() for g in names if str(g).strip()
            ]
        return out

    @field_validator("bot_token", "app_token")
    @classmethod
    def _token_kind(cls, value: SecretStr, info) -> SecretStr:
        prefix = "xoxb-" if info.field_name == "bot_token" else "xapp-"
        secret = value.get_secret_value().strip()
        if secret and not secret.startswith(prefix):
            raise ValueError(f"{info.field_name} must start with {prefix}")
        return SecretStr(secret)

    @property
    def enabled(self) -> bool:
        """Whether a bot token is set (agent replies can reach Slack)."""
        return bool(self.bot_token.get_secret_value())

    def require(self, mode: Mode | None = None) -> None:
        """Raise :class:`SlackConfigError` naming every setting ``mode`` still lacks."""
        mode = mode or self.mode
        needed = {"bot_token": self.bot_token}
        if mode == "socket":
            needed["app_token"] = self.app_token
        else:
            needed["signing_secret"] = self.signing_secret
        missing = [
            f"SERVICEDESK_SLACK_{name.upper()}"
            for name, secret in needed.items()
            if not secret.get_secret_value()
        ]
        if missing:
            raise SlackConfigError(f"the Slack bot in {mode} mode needs {', '.join(missing)}")
