"""Hybrid search: dense + keyword, fused per article, ACL-filtered, optionally reranked."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal, Protocol

from retrieval.confidence import ConfidenceModel, Evidence
from retrieval.fusion import best_per_article, convex, weighted_rrf
from retrieval.glossary import DEFAULT, Glossary, load_glossary
from retrieval.knowledge_base import KnowledgeBase
from retrieval.reranker import Reranker
from retrieval.schema import Hit, User
from retrieval.terms import terms

Mode = Literal["hybrid", "dense_only", "bm25_only"]
_SNIPPET_CHARS = 320


class Retriever(Protocol):
    """What the rest of the product needs from retrieval."""

    def search(self, query: str, user: User | None = None, k: int = 5) -> list[Hit]:
        """Return the best articles for ``query`` that ``user`` may see, best first."""


@dataclass
class SearchTimings:
    """Milliseconds spent per stage of the last search."""

    stages: dict[str, float] = field(default_factory=dict)


class HybridRetriever:
    """The default :class:`Retriever` over a :class:`KnowledgeBase`."""

    def __init__(
        self,
        kb: KnowledgeBase,
        mode: Mode = "hybrid",
        confidence: ConfidenceModel | None = None,
        reranker: Reranker | None = None,
    ) -> None:
        self.kb = kb
        self.mode = mode
        self.confidence = confidence or ConfidenceModel()
        self.reranker = reranker
        self.last_timings = SearchTimings()
        source = kb.settings.glossary
        self.glossary: Glossary | None = None
        if source != "none":
            self.glossary = load_glossary(str(DEFAULT if source == "builtin" else source))

    def _weights(self, mode: Mode) -> dict[str, float]:
        s = self.kb.settings
        if mode == "dense_only":
            return {"dense": 1.0, "keyword": 0.0}
        if mode == "bm25_only":
            return {"dense": 0.0, "keyword": 1.0}
        return {"dense": s.dense_weight, "keyword": s.keyword_weight}

    def search(
        self, query: str, user: User | None = None, k: int = 5, mode: Mode | None = None
    ) -> list[Hit]:
        """Return up to ``k`` article hits for ``query`` visible to ``user`` (None: public only)."""
        query = query.strip()
        if not query:
            return []
        groups = (user or User()).groups
        weights = self._weights(mode or self.mode)
        n = self.kb.settings.candidates
        clock = _Clock()
        q_terms = terms(query)
        clock.lap("terms")
        dense = []
        if weights["dense"] > 0:
            vector = self.kb.embedder.embed_query(query)
            clock.lap("embed")
            dense = self.kb.dense.search(vector, n, groups)
            clock.lap("dense")
        keyword = []
        if weights["keyword"] > 0:
            expansion = self.glossary.expand(q_terms) if self.glossary else []
            keyword = self.kb.keyword.search(
                q_terms, n, self.kb.acl_mask(groups), expansion, self.kb.settings.glossary_weight
            )
            clock.lap("keyword")
        # Whatever Chroma's metadata or the BM25 mask said, the catalog's current groups decide:
        # a failed Chroma write after an ACL change must not leak the article.
        visible = self.kb.visible_articles(groups)
        dense = [hit for hit in dense if hit[0].rsplit("#", 1)[0] in visible]
        keyword = [hit for hit in keyword if hit[0].rsplit("#", 1)[0] in visible]
        hits = self._fuse(q_terms, dense, keyword, weights, k, groups)
        clock.lap("fuse")
        if self.reranker is not None and hits:
            hits = self.reranker.rerank(query, hits)
            clock.lap("rerank")
        self.last_timings = SearchTimings(clock.stages)
        return hits

    def _fuse(self, q_terms, dense, keyword, weights, k, groups) -> list[Hit]:
        article_of = {cid: cid.rsplit("#", 1)[0] for cid, *_ in dense}
        article_of.update({cid: cid.rsplit("#", 1)[0] for cid, _ in keyword})
        dense_best = best_per_article(((c, s) for c, s, _ in dense), article_of)
        kw_best = best_per_article(keyword, article_of)
        ranked = self._rank(dense_best, kw_best, weights)[:k]
        # Per article: (rank, best chunk id, score) in each ranker's own list.
        d_info = {a: (rank, c, s) for rank, (a, c, s) in enumerate(dense_best, start=1)}
        k_info = {a: (rank, c, s) for rank, (a, c, s) in enumerate(kw_best, start=1)}
        chosen = {a: _snippet_chunk(d_info.get(a), k_info.get(a)) for a, _ in ranked}
        chunks = self.kb.catalog.chunks_by_id(list(chosen.values()))
        kw_terms = self.kb.catalog.chunk_terms([k_info[a][1] for a, _ in ranked if a in k_info])
        hits = []
        for article_id, score in ranked:
            entry = self.kb.catalog.article(article_id)
            chunk = chunks.get(chosen[article_id])
            if entry is None or chunk is None or not entry.visible_to(groups):
                continue  # deleted or restricted between the index read and now
            d, kw = d_info.get(article_id), k_info.get(article_id)
            evidence = Evidence(
                cosine=d[2] if d else 0.0,
                coverage=_coverage(q_terms, kw_terms.get(kw[1], ()) if kw else ()),
                dense_rank=d[0] if d else None,
                keyword_rank=kw[0] if kw else None,
            )
            hits.append(
                Hit(
                    article_id=article_id,
                    title=entry.title,
                    section=chunk.section,
                    snippet=_snippet(chunk.text),
                    text=chunk.text,
                    source=entry.source,
                    lang=entry.lang,
                    chunk_id=chunk.chunk_id,
                    dense_score=d[2] if d else None,
                    keyword_score=kw[2] if kw else None,
                    fused_score=score,
                    confidence=self.confidence(evidence),
                    tags=entry.tags,
                    allowed_groups=entry.allowed_groups,
                )
            )
        return hits

    def _rank(self, dense_best, kw_best, weights) -> list[tuple[str, float]]:
        """Fuse the two per-article lists; best first."""
        if self.kb.settings.fusion == "rrf":
            fused = weighted_rrf(
                {"dense": [a for a, _, _ in dense_best], "keyword": [a for a, _, _ in kw_best]},
                weights,
                self.kb.settings.rrf_k,
            )
        else:
            fused = convex(
                {
                    "dense": {a: s for a, _, s in dense_best},
                    "keyword": {a: s for a, _, s in kw_best},
                },
                weights,
            )
        return sorted(fused.items(), key=lambda kv: -kv[1])


def _snippet_chunk(dense: tuple | None, keyword: tuple | None) -> str:
    """The chunk to show: the keyword one when BM25 ranked the article higher, else dense's."""
    if keyword and (dense is None or keyword[0] < dense[0]):
        return keyword[1]
    return (dense or keyword)[1]


def _coverage(query_terms: list[str], chunk_terms) -> float:
    """Share of the query's distinct terms that the chunk contains."""
    wanted = set(query_terms)
    return len(wanted & set(chunk_terms)) / len(wanted) if wanted else 0.0


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SNIPPET_CHARS else text[: _SNIPPET_CHARS - 1].rstrip() + "…"


class _Clock:
    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.stages[name] = (now - self._t) * 1000
        self._t = now
