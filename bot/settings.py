"""Settings of the conversation core (the Desk) and its front ends."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SAMPLE_KB = Path(__file__).resolve().parent.parent / "ingest" / "sample_kb"


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
