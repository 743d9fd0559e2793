"""Shared fixtures: real knowledge bases in temporary folders."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bot.settings import SAMPLE_KB
from ingest.pipeline import Ingestor
from ingest.settings import IngestSettings
from retrieval.knowledge_base import KnowledgeBase
from retrieval.settings import RetrievalSettings

QUIET = IngestSettings(progress=False)


def make_kb(data_dir: Path, embedder=None, **overrides) -> KnowledgeBase:
    """Open a knowledge base under ``data_dir`` with the given settings overrides."""
    return KnowledgeBase(RetrievalSettings(data_dir=data_dir, **overrides), embedder=embedder)


@pytest.fixture(scope="session")
def sample_kb(tmp_path_factory) -> Iterator[KnowledgeBase]:
    """The bundled sample KB, ingested once per test session with the real default embedder."""
    kb = make_kb(tmp_path_factory.mktemp("sample"))
    report = Ingestor(kb, QUIET).run([SAMPLE_KB])
    assert report.ok, [f.line() for f in report.failures]
    yield kb
    kb.close()
