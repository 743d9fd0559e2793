"""The knowledge base on disk: catalog (truth) + dense index + keyword index, kept in agreement."""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from retrieval.catalog import Catalog
from retrieval.dense import DenseIndex, connect_chroma, matches
from retrieval.embedders import TokenAwareEmbeddings, make_embedder
from retrieval.embedding_cache import CachedEmbeddings
from retrieval.keyword import KeywordIndex
from retrieval.schema import ArticleEntry, Chunk
from retrieval.settings import RetrievalSettings
from retrieval.terms import terms_many


@dataclass
class RepairReport:
    """What :meth:`KnowledgeBase.repair` had to fix."""

    removed_orphans: int = 0
    restored_chunks: int = 0
    keyword_rebuilt: bool = False
    reindexed: list[str] = field(default_factory=list)  # articles written to Chroma again


# Distinct group sets whose ACL mask is kept; each mask is one byte per chunk.
ACL_CACHE_SIZE = 64


@dataclass(frozen=True)
class _Acl:
    visible: frozenset[str]  # article ids a user in the groups may see
    mask: np.ndarray  # the same over the keyword index's chunks


class KnowledgeBase:
    """Owns the three stores. Write order: catalog first, then the derived indexes.

    A crash between the steps leaves the catalog right and the derived indexes behind; the next
    :meth:`repair` (run at the start of every ingest) brings them back in line.
    """

    def __init__(
        self,
        settings: RetrievalSettings,
        embedder: TokenAwareEmbeddings | None = None,
        chroma_client=None,
        index_dir: Path | None = None,
    ) -> None:
        self.settings = settings
        self.index_dir = index_dir or settings.index_dir
        inner = embedder or make_embedder(
            settings.embedder, settings.embed_threads, settings.embed_batch_size
        )
        # The cache outlives any one index (evaluation builds throwaway ones), so it sits apart.
        self.embedder = CachedEmbeddings(inner, settings.embedding_cache_path)
        self.catalog = Catalog(self.index_dir / "catalog.sqlite3")
        client = chroma_client or connect_chroma(
            settings.chroma_mode,
            self.index_dir / "chroma",
            settings.chroma_host,
            settings.chroma_port,
        )
        self.dense = DenseIndex(client, settings.collection, self.embedder)
        self.catalog.set_meta("embedder", self.embedder.name)
        self._keyword: KeywordIndex | None = None
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="terms")
        # Keyed on (catalog generation, groups): a mask never outlives the catalog it was read
        # from, and the LRU bound keeps many distinct group sets from growing it without limit.
        self._acl_cache: OrderedDict[tuple[int, frozenset[str]], _Acl] = OrderedDict()
        self._acl_lock = threading.Lock()

    # -- writing -------------------------------------------------------------------------

    def upsert(self, entry: ArticleEntry, chunks: list[Chunk]) -> None:
        """Index (or re-index) one article with its chunks."""
        self.upsert_many([(entry, chunks)])

    def upsert_many(self, items: list[tuple[ArticleEntry, list[Chunk]]]) -> None:
        """Index several articles in one write per store (per-call costs dominate otherwise)."""
        texts = [c.indexed_text for _, chunks in items for c in chunks]
        # Morphological analysis runs beside the embedder (which releases the GIL), so keyword
        # terms cost almost no wall time.
        pending = self._pool.submit(terms_many, texts)
        vectors = self.embedder.embed_documents(texts)
        terms = iter(pending.result())
        self.catalog.replace_articles(
            [(entry, chunks, [next(terms) for _ in chunks]) for entry, chunks in items]
        )
        ids = [entry.article_id for entry, _ in items]
        self.dense.delete_articles(ids)
        self.dense.add_vectors([(entry, c) for entry, chunks in items for c in chunks], vectors)
        # Only now is the catalog entry "indexed": a failed Chroma write leaves it marked, so
        # the next ingest repairs it instead of calling it unchanged.
        self.catalog.mark_indexed(ids)

    def delete(self, article_id: str) -> bool:
        """Remove an article from every index; return whether it was there."""
        existed = self.catalog.delete_article(article_id)
        self.dense.delete_article(article_id)
        return existed

    def refresh_keyword(self, force: bool = False) -> bool:
        """Rebuild and save the keyword index if the catalog changed; return whether it did."""
        with self._lock:
            generation = self.catalog.generation
            folder = self.index_dir / "keyword"
            if self._keyword is None and not force:
                self._keyword = KeywordIndex.load(folder)
            if not force and self._keyword is not None and self._keyword.generation == generation:
                return False
            ids, terms = self.catalog.keyword_corpus()
            self._keyword = KeywordIndex.build(ids, terms, generation)
            self._keyword.save(folder)
            with self._acl_lock:
                self._acl_cache.clear()
            return True

    def repair(self) -> RepairReport:
        """Make the dense and keyword indexes agree with the catalog again.

        Compares ids, content hashes and groups, so chunks whose Chroma write failed after an
        ACL change (still marked public there) are rewritten, not just missing ones restored.
        """
        report = RepairReport()
        truth = self.catalog.chunk_ids()
        stored = self.dense.metadata()
        orphans = sorted(stored.keys() - truth)
        if orphans:
            self.dense.delete_ids(orphans)
            report.removed_orphans = len(orphans)
        missing = truth - stored.keys()
        report.restored_chunks = len(missing)
        stale = self.catalog.unindexed() | {cid.rsplit("#", 1)[0] for cid in missing}
        entries = {e.article_id: e for e in self.catalog.articles()}
        for cid, meta in stored.items():
            entry = entries.get(cid.rsplit("#", 1)[0])
            if cid in truth and entry is not None and not matches(meta, entry):
                stale.add(entry.article_id)
        for article_id in sorted(stale):
            if (entry := entries.get(article_id)) is not None:
                self.dense.delete_article(article_id)
                self.dense.add(entry, self.catalog.chunks_of(article_id))
            self.catalog.mark_indexed([article_id])
        report.reindexed = sorted(a for a in stale if a in entries)
        report.keyword_rebuilt = self.refresh_keyword()
        return report

    # -- reading -------------------------------------------------------------------------

    @property
    def keyword(self) -> KeywordIndex:
        """The keyword index, loaded or rebuilt on first use if it is stale."""
        if self._keyword is None or self._keyword.generation != self.catalog.generation:
            self.refresh_keyword()
        assert self._keyword is not None
        return self._keyword

    def acl_mask(self, groups: frozenset[str]) -> np.ndarray:
        """Boolean mask over keyword-index chunks that a user in ``groups`` may see."""
        return self._acl(groups).mask

    def visible_articles(self, groups: frozenset[str]) -> frozenset[str]:
        """Ids of the articles a user in ``groups`` may see, as the catalog says now."""
        return self._acl(groups).visible

    def _acl(self, groups: frozenset[str]) -> _Acl:
        keyword = self.keyword
        key = (keyword.generation, groups)
        with self._acl_lock:
            acl = self._acl_cache.get(key)
            if acl is not None and len(acl.mask) == len(keyword.chunk_ids):
                self._acl_cache.move_to_end(key)
                return acl
        visible = frozenset(a.article_id for a in self.catalog.articles() if a.visible_to(groups))
        mask = np.fromiter(
            (cid.rsplit("#", 1)[0] in visible for cid in keyword.chunk_ids),
            dtype=bool,
            count=len(keyword.chunk_ids),
        )
        acl = _Acl(visible, mask)
        with self._acl_lock:
            self._acl_cache[key] = acl
            self._acl_cache.move_to_end(key)
            while len(self._acl_cache) > ACL_CACHE_SIZE:
                self._acl_cache.popitem(last=False)
        return acl

    def close(self) -> None:
        """Release the catalog and the worker thread."""
        self._pool.shutdown(wait=True)
        self.catalog.close()
