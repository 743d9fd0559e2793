"""The same knowledge base against a real Chroma server (`chroma run`), in HTTP mode."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ingest.pipeline import Ingestor
from retrieval.retriever import HybridRetriever
from retrieval.schema import User
from tests.conftest import QUIET, free_port, make_kb

pytestmark = pytest.mark.integration


@pytest.fixture()
def chroma_server(tmp_path: Path):
    exe = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    port = free_port()
    proc = subprocess.Popen(
        [
            exe,
            "run",
            "--path",
            str(tmp_path / "server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).is_success:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("chroma server did not start")
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def test_ingest_and_search_through_a_chroma_server(tmp_path, chroma_server) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "mail.md").write_text(
        "---\nid: KB-MAIL\ntitle: 메일함 용량\n---\n메일함 용량이 50GB를 넘으면 보관 처리하세요.\n",
        encoding="utf-8",
    )
    kb = make_kb(
        tmp_path / "data", chroma_mode="http", chroma_host="127.0.0.1", chroma_port=chroma_server
    )
    report = Ingestor(kb, QUIET).run([folder])
    assert report.ok and report.added == ["KB-MAIL"]
    assert not (tmp_path / "data" / "index" / "chroma").exists()  # vectors live on the server
    hits = HybridRetriever(kb).search("메일 용량 초과", User(), 3)
    assert hits[0].article_id == "KB-MAIL" and hits[0].dense_score is not None
