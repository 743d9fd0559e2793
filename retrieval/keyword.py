"""BM25 keyword index over chunk terms (Korean morphemes + English words), persisted on disk."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import bm25s
import numpy as np


class KeywordIndex:
    """A BM25 index of chunks; rebuilt whole from the catalog (fast: ~1.6 s per 100k chunks)."""

    def __init__(self, chunk_ids: list[str], retriever: bm25s.BM25 | None, generation: int):
        self.chunk_ids = chunk_ids
        self._retriever = retriever
        self.generation = generation
        self._position = {cid: i for i, cid in enumerate(chunk_ids)}

    @classmethod
    def build(cls, chunk_ids: list[str], terms: list[list[str]], generation: int) -> KeywordIndex:
        """Index the given chunks' terms."""
        if not chunk_ids:
            return cls([], None, generation)
        retriever = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
        retriever.index(terms, show_progress=False)
        return cls(chunk_ids, retriever, generation)

    def save(self, folder: Path) -> None:
        """Write the index to ``folder`` atomically (a half-written index is never loaded)."""
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self._retriever is not None:
            self._retriever.save(tmp, show_progress=False)
        (tmp / "chunks.json").write_text(
            json.dumps({"generation": self.generation, "chunk_ids": self.chunk_ids})
        )
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex | None:
        """Read an index written by :meth:`save`; None if there is none or it is unreadable."""
        try:
            info = json.loads((folder / "chunks.json").read_text())
            retriever = None
            if info["chunk_ids"]:
                retriever = bm25s.BM25.load(folder, show_progress=False, verbosity=0)
            return cls(info["chunk_ids"], retriever, int(info["generation"]))
        except (OSError, ValueError, KeyError):
            return None

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def search(
        self,
        query_terms: list[str],
        k: int,
        allowed: np.ndarray | None = None,
        expansion: list[str] | None = None,
        expansion_weight: float = 0.5,
    ) -> list[tuple[str, float]]:
        """Return up to ``k`` (chunk id, BM25 score) pairs with a positive score.

        ``allowed`` is a boolean mask over chunks (the ACL); masked chunks never appear.
        ``expansion`` terms (glossary equivalents) add their own BM25 score, down-weighted.
        """
        if self._retriever is None or not (query_terms or expansion):
            return []
        scores = (
            self._retriever.get_scores(query_terms)
            if query_terms
            else np.zeros(len(self.chunk_ids), dtype=np.float32)
        )
        if expansion:
            scores = scores + expansion_weight * self._retriever.get_scores(expansion)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.chunk_ids[i], float(scores[i])) for i in top if scores[i] > 0]
