"""Ingestion against real Chroma, the real embedder and the real BM25 index on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import Ingestor
from ingest.settings import IngestSettings
from retrieval.dense import EmbedderMismatch
from retrieval.schema import User
from tests.conftest import QUIET, make_kb
from tests.fakes import HashEmbeddings

pytestmark = pytest.mark.integration

VPN = """---
id: KB-VPN
title: VPN 접속 방법
tags: [vpn]
allowed_groups: []
---
# VPN 접속 방법

## 설치

GlobalProtect 클라이언트를 설치하고 vpn.hanbit.example 에 접속합니다.

## 오류

인증서 오류가 나면 IT 헬프데스크에 문의하세요.
"""
PRINTER = """---
id: KB-PRINT
title: Printer setup
---
## Adding a printer

Open Settings > Printers and choose FLOOR3-MFP.
"""
SERVER_ROOM = """---
id: KB-SERVER
title: 서버실 출입 절차
allowed_groups: [it-staff]
---
서버실 출입은 보안팀 승인 후 출입 카드로 합니다.
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    folder.mkdir()
    _write(folder, "vpn.md", VPN)
    _write(folder, "printer.md", PRINTER)
    _write(folder, "server.md", SERVER_ROOM)
    return folder


def _agree(kb) -> None:
    """The three stores hold exactly the same chunks."""
    truth = kb.catalog.chunk_ids()
    assert kb.dense.ids() == truth
    assert set(kb.keyword.chunk_ids) == truth


def test_reingest_of_unchanged_files_does_no_embedding_work(tmp_path, corpus) -> None:
    kb = make_kb(tmp_path / "data")
    first = Ingestor(kb, QUIET).run([corpus])
    assert sorted(first.added) == ["KB-PRINT", "KB-SERVER", "KB-VPN"] and first.ok
    misses = kb.embedder.misses
    second = Ingestor(kb, QUIET).run([corpus])
    assert second.added == [] and len(second.unchanged) == 3 and second.chunks_indexed == 0
    assert kb.embedder.misses == misses  # not one passage embedded again
    _agree(kb)


def test_changed_article_replaces_its_chunks(tmp_path, corpus) -> None:
    kb = make_kb(tmp_path / "data")
    Ingestor(kb, QUIET).run([corpus])
    _write(
        corpus,
        "vpn.md",
        VPN.replace("## 오류\n\n인증서 오류가 나면 IT 헬프데스크에 문의하세요.\n", ""),
    )
    report = Ingestor(kb, QUIET).run([corpus])
    assert report.updated == ["KB-VPN"]
    assert all("인증서" not in c.text for c in kb.catalog.chunks_of("KB-VPN"))
    hits = kb.keyword.search(["인증서"], 10)
    assert hits == []
    _agree(kb)


def test_prune_removes_articles_whose_files_are_gone(tmp_path, corpus) -> None:
    kb = make_kb(tmp_path / "data")
    Ingestor(kb, QUIET).run([corpus])
    (corpus / "printer.md").unlink()
    kept = Ingestor(kb, QUIET).run([corpus])
    assert kb.catalog.article("KB-PRINT") is not None and kept.pruned == []
    pruned = Ingestor(kb, QUIET).run([corpus], prune=True)
    assert pruned.pruned == ["KB-PRINT"]
    assert kb.catalog.article("KB-PRINT") is None
    _agree(kb)


def test_interrupted_run_is_repaired_by_the_next(tmp_path, corpus) -> None:
    kb = make_kb(tmp_path / "data")
    Ingestor(kb, QUIET).run([corpus])
    # Simulate a crash after the catalog was written but before Chroma got the chunks, and a
    # stray chunk left behind by an earlier crash.
    lost = sorted(c.chunk_id for c in kb.catalog.chunks_of("KB-VPN"))
    kb.dense.delete_ids(lost)
    entry = kb.catalog.article("KB-PRINT")
    stray = kb.catalog.chunks_of("KB-PRINT")[0]
    stray.article_id, stray.ordinal = "KB-GHOST", 0
    kb.dense.add(entry, [stray])
    report = Ingestor(kb, QUIET).run([corpus])
    assert report.repair.restored_chunks == len(lost)
    assert report.repair.removed_orphans == 1
    _agree(kb)


def test_stale_keyword_index_is_rebuilt_on_open(tmp_path, corpus) -> None:
    kb = make_kb(tmp_path / "data")
    Ingestor(kb, QUIET).run([corpus])
    kb.catalog.delete_article("KB-PRINT")  # as if the process died before the BM25 rebuild
    kb.close()
    reopened = make_kb(tmp_path / "data")
    assert all(not c.startswith("KB-PRINT") for c in reopened.keyword.chunk_ids)


def test_bad_files_are_reported_and_the_rest_continue(tmp_path, corpus) -> None:
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (corpus / "empty.md").write_text("")
    (corpus / "tool.exe").write_bytes(b"MZ\x00\x01")
    (corpus / "huge.txt").write_text("x" * 200_000)
    kb = make_kb(tmp_path / "data")
    report = Ingestor(kb, IngestSettings(progress=False, max_file_mb=0.1)).run([corpus])
    reasons = {Path(f.path).name: f.reason for f in report.failures}
    assert set(reasons) == {"broken.pdf", "empty.md", "tool.exe", "huge.txt"}
    assert "corrupt" in reasons["broken.pdf"] and "empty" in reasons["empty.md"]
    assert "unsupported" in reasons["tool.exe"] and "too large" in reasons["huge.txt"]
    assert not report.ok
    assert len(report.added) == 3
    _agree(kb)


def test_duplicate_ids_across_files_are_refused(tmp_path, corpus) -> None:
    _write(corpus, "copy.md", VPN)
    kb = make_kb(tmp_path / "data")
    report = Ingestor(kb, QUIET).run([corpus])
    assert len(report.failures) == 1 and "duplicate article id" in report.failures[0].reason


def test_switching_embedder_without_reindex_is_refused(tmp_path, corpus) -> None:
    kb = make_kb(tmp_path / "data")
    Ingestor(kb, QUIET).run([corpus])
    kb.close()
    with pytest.raises(EmbedderMismatch, match="re-index"):
        make_kb(tmp_path / "data", embedder=HashEmbeddings())


def test_chunk_metadata_is_complete(tmp_path, corpus) -> None:
    kb = make_kb(tmp_path / "data")
    Ingestor(kb, QUIET).run([corpus])
    found = kb.dense.store.get(ids=["KB-VPN#0"], include=["metadatas"])["metadatas"][0]
    for key in (
        "article_id",
        "title",
        "section",
        "source",
        "lang",
        "tags",
        "allowed_groups",
        "updated",
        "content_hash",
    ):
        assert key in found
    assert found["section"] == "설치" and found["lang"] == "ko" and found["tags"] == "vpn"
    assert found["source"].endswith("vpn.md")


def test_restricted_article_is_invisible_without_its_group(tmp_path, corpus) -> None:
    from retrieval.retriever import HybridRetriever

    kb = make_kb(tmp_path / "data")
    Ingestor(kb, QUIET).run([corpus])
    retriever = HybridRetriever(kb)
    for mode in ("hybrid", "bm25_only", "dense_only"):
        public = retriever.search("서버실 출입 절차", User(), 10, mode=mode)
        staff = retriever.search(
            "서버실 출입 절차", User("u", frozenset({"it-staff"})), 10, mode=mode
        )
        assert "KB-SERVER" not in [h.article_id for h in public]
        assert staff[0].article_id == "KB-SERVER"


def test_searches_from_many_threads_while_ingesting(tmp_path, corpus) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from retrieval.retriever import HybridRetriever

    kb = make_kb(tmp_path / "data")
    Ingestor(kb, QUIET).run([corpus])
    retriever = HybridRetriever(kb)
    _write(corpus, "printer.md", PRINTER.replace("FLOOR3-MFP", "FLOOR4-MFP"))
    with ThreadPoolExecutor(4) as pool:
        searches = [pool.submit(retriever.search, "VPN 설치", User(), 3) for _ in range(24)]
        report = Ingestor(kb, QUIET).run([corpus])
        results = [f.result() for f in searches]
    assert report.updated == ["KB-PRINT"]
    assert all(r and r[0].article_id == "KB-VPN" for r in results)
