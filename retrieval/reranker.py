"""Optional cross-encoder rerank stage (off by default: no reranker ships offline)."""

from __future__ import annotations

import os
from dataclasses import replace

from retrieval.schema import Hit


class Reranker:
    """Re-order hits with a sentence-transformers ``CrossEncoder`` loaded by name or path."""

    def __init__(self, model: str, top_n: int = 20) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import CrossEncoder

        self.model = CrossEncoder(model)
        self.top_n = top_n

    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        """Score (query, snippet) pairs and sort the first ``top_n`` hits by that score."""
        head, tail = hits[: self.top_n], hits[self.top_n :]
        scores = self.model.predict([(query, f"{h.title}\n{h.snippet}") for h in head])
        scored = [replace(h, rerank_score=float(s)) for h, s in zip(head, scores, strict=True)]
        scored.sort(key=lambda h: -(h.rerank_score or 0.0))
        return scored + tail
