"""Settings of the front ends (web for now)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SAMPLE_KB = Path(__file__).resolve().parent.parent / "ingest" / "sample_kb"


class BotSettings(BaseSettings):
    """Where the web app listens and what it accepts, from ``SERVICEDESK_*`` or ``.env``."""

    model_config = SettingsConfigDict(env_prefix="SERVICEDESK_", env_file=".env", extra="ignore")

    web_host: str = "127.0.0.1"
    web_port: int = Field(8000, ge=1, le=65535)
    max_question_chars: int = Field(2000, ge=10, le=100_000)
    sample_kb: Path = SAMPLE_KB
