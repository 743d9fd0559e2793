"""Ingestion settings."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class IngestSettings(BaseSettings):
    """Limits on what ingestion accepts, from ``SERVICEDESK_*`` variables or ``.env``."""

    model_config = SettingsConfigDict(env_prefix="SERVICEDESK_", env_file=".env", extra="ignore")

    max_file_mb: float = Field(25.0, gt=0, description="files larger than this are refused")
    max_unpacked_mb: float = Field(
        100.0,
        gt=0,
        description="a DOCX whose parts expand to more than this is refused before it is opened "
        "(zip bombs)",
    )
    loader_timeout_s: float = Field(
        30.0,
        gt=0,
        description="a PDF, DOCX or HTML file that takes longer to read is refused and its "
        "reader process stopped",
    )
    loader_memory_mb: int = Field(
        1024,
        ge=128,
        description="memory (address space) the process reading PDF, DOCX and HTML files may "
        "use; a file that needs more is refused",
    )
    loader_cpu_s: int = Field(
        30, ge=1, description="processor seconds reading one PDF, DOCX or HTML file may use"
    )
    progress: bool = Field(True, description="progress bar (chunks/s) on long ingestions")
