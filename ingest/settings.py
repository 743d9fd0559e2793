"""Ingestion settings."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class IngestSettings(BaseSettings):
    """Limits on what ingestion accepts, from ``SERVICEDESK_*`` variables or ``.env``."""

    model_config = SettingsConfigDict(env_prefix="SERVICEDESK_", env_file=".env", extra="ignore")

    max_file_mb: float = Field(25.0, gt=0, description="files larger than this are refused")
    progress: bool = Field(True, description="progress bar (chunks/s) on long ingestions")
