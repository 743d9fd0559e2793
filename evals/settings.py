"""Eval settings: where runs are recorded and where datasets are looked up by name."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_HISTORY = Path(__file__).resolve().parent / "history.jsonl"


class EvalSettings(BaseSettings):
    """What the eval commands read from ``SERVICEDESK_EVAL_*`` or ``.env``."""

    model_config = SettingsConfigDict(
        env_prefix="SERVICEDESK_EVAL_", env_file=".env", extra="ignore"
    )

    history: Path = Field(
        DEFAULT_HISTORY, description="the history file every eval run appends its figures to"
    )
    dirs: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="more folders to look up dataset names in, separated as in PATH",
    )

    @field_validator("dirs", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [p for p in value.split(os.pathsep) if p.strip()]
        return value
