"""Access control holds when the catalog and Chroma disagree (real Chroma, `hash` embedder).

The catalog is the truth about who may read an article. A Chroma write that fails after an ACL
change leaves the old chunks marked public there; search must still hide them, and the next
ingest must rewrite them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import Ingestor
from retrieval.dense import DenseIndex
from retrieval.embedders import make_embedder
from retrieval.knowledge_base import ACL_CACHE_SIZE, KnowledgeBase
from retrieval.retriever import HybridRetriever
from retrieval.schema import ArticleEntry, Chunk, User
from retrieval.settings import RetrievalSettings
from tests.conftest import QUIET

pytestmark = pytest.mark.integration

PUBLIC_VERSION = """---
id: KB-PAYROLL
title: 급여 명세서 조회
allowed_groups: []
---
급여 명세서는 인사 포털에서 조회합니다.
"""
RESTRICTED_VERSION = """---
id: KB-PAYROLL
title: 급여 명세서 조회
allowed_groups: [hr-staff]
---
급여 명세서는 인사 포털에서 조회합니다. 관리자 계정 비밀번호는 금고 시트에 있습니다.
"""
QUERY = "급여 명세서 인사 포털"
ANONYMOUS = User()
HR = User.with_groups("hana", ["hr-staff"])


class FailingDense:
    """The real dense index, except that writes raise while ``broken`` (Chroma down mid-run)."""

    def __init__(self, inner: DenseIndex) -> None:
        self.inner = inner
        self.broken = False

    def _check(self) -> None:
        if self.broken:
            raise ConnectionError("chroma is unreachable")

    def add(self, entry, chunks) -> None:
        self._check()
        self.inner.add(entry, chunks)

    def add_vectors(self, pairs, vectors) -> None:
        self._check()
        self.inner.add_vectors(pairs, vectors)

    def delete_articles(self, article_ids) -> None:
        self._check()
        self.inner.delete_articles(article_ids)

    def delete_article(self, article_id) -> None:
        self._check()
        self.inner.delete_article(article_id)

    def delete_ids(self, ids) -> None:
        self._check()
        self.inner.delete_ids(ids)

    def __getattr__(self, name: str):
        return getattr(self.inner, name)  # reads (search, ids, metadata) go straight through


def _kb(data_dir: Path) -> KnowledgeBase:
    """A knowledge base on the `hash` embedder: these tests are about ACLs, not ranking."""
    settings = RetrievalSettings(data_dir=data_dir, embedder="hash")
    return KnowledgeBase(settings, embedder=make_embedder("hash", 0, 16))


def _write(folder: Path, text: str) -> None:
    (folder / "payroll.md").write_text(text, encoding="utf-8")


@pytest.fixture()
def setup(tmp_path: Path):
    folder = tmp_path / "kb"
    folder.mkdir()
    _write(folder, PUBLIC_VERSION)
    kb = _kb(tmp_path / "data")
    dense = FailingDense(kb.dense)
    kb.dense = dense  # the seam: the knowledge base writes through its dense index
    first = Ingestor(kb, QUIET).run([folder])
    assert first.added == ["KB-PAYROLL"] and first.ok
    yield kb, dense, folder
    kb.close()


def _found(kb, user: User, mode="hybrid") -> list[str]:
    return [h.article_id for h in HybridRetriever(kb).search(QUERY, user, 5, mode=mode)]


def _restrict_with_chroma_down(kb, dense: FailingDense, folder: Path):
    assert _found(kb, ANONYMOUS) == ["KB-PAYROLL"]
    _write(folder, RESTRICTED_VERSION)
    dense.broken = True
    failed = Ingestor(kb, QUIET).run([folder])
    dense.broken = False
    assert not failed.ok and "KB-PAYROLL" not in failed.updated
    # Chroma still holds the old chunks, marked public; the catalog has the restricted text.
    stored = kb.dense.metadata()
    assert stored and all(meta["public"] for meta in stored.values())
    assert kb.catalog.article("KB-PAYROLL").allowed_groups == ["hr-staff"]
    return failed


def test_restricted_article_whose_chroma_write_failed_is_never_returned_anonymously(
    setup,
) -> None:
    kb, dense, folder = setup
    _restrict_with_chroma_down(kb, dense, folder)
    for mode in ("hybrid", "dense_only", "bm25_only"):
        assert _found(kb, ANONYMOUS, mode) == [], mode
    assert _found(kb, HR) == ["KB-PAYROLL"]


def test_next_ingest_reindexes_the_failed_article_instead_of_calling_it_unchanged(setup) -> None:
    kb, dense, folder = setup
    _restrict_with_chroma_down(kb, dense, folder)
    again = Ingestor(kb, QUIET).run([folder])
    assert again.ok
    assert "KB-PAYROLL" in again.updated and again.unchanged == []
    assert again.repair.reindexed == ["KB-PAYROLL"]
    stored = kb.dense.metadata()
    assert stored and all(not m["public"] and m.get("g:hr-staff") for m in stored.values())
    assert _found(kb, HR) == ["KB-PAYROLL"]
    assert _found(kb, ANONYMOUS) == []
    # Once repaired, a further run has nothing left to do.
    third = Ingestor(kb, QUIET).run([folder])
    assert third.unchanged == ["KB-PAYROLL"] and third.repair.reindexed == []


def test_repair_compares_groups_not_only_chunk_ids(tmp_path) -> None:
    kb = _kb(tmp_path / "data")
    entry = ArticleEntry("KB-A", "VPN", "a.md", "ko", "h1")
    chunks = [Chunk("KB-A", 0, "", "VPN 접속 방법", "VPN")]
    kb.upsert(entry, chunks)
    # Chroma holds the same ids but the groups of an older version (a write lost in between).
    kb.dense.delete_article("KB-A")
    kb.dense.add(ArticleEntry("KB-A", "VPN", "a.md", "ko", "h1", allowed_groups=["x"]), chunks)
    report = kb.repair()
    assert report.reindexed == ["KB-A"] and report.restored_chunks == 0
    assert all(m["public"] for m in kb.dense.metadata().values())
    kb.close()


def test_acl_mask_follows_the_catalog_generation_and_stays_bounded(tmp_path) -> None:
    kb = _kb(tmp_path / "data")
    chunks = [Chunk("KB-A", 0, "", "VPN 접속 방법", "VPN")]
    kb.upsert(ArticleEntry("KB-A", "VPN", "a.md", "ko", "h1"), chunks)
    assert kb.acl_mask(frozenset()).tolist() == [True]
    kb.upsert(ArticleEntry("KB-A", "VPN", "a.md", "ko", "h2", allowed_groups=["x"]), chunks)
    assert kb.acl_mask(frozenset()).tolist() == [False]
    assert kb.visible_articles(frozenset()) == frozenset()
    assert kb.acl_mask(frozenset({"x"})).tolist() == [True]
    for i in range(ACL_CACHE_SIZE * 2):
        kb.acl_mask(frozenset({f"group-{i}"}))
    assert len(kb._acl_cache) <= ACL_CACHE_SIZE
    kb.close()
