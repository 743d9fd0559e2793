"""Fakes that plug in through the same interfaces as the real components (unit tests only)."""

from __future__ import annotations

import hashlib

import numpy as np

from retrieval.embedders import TokenAwareEmbeddings


class HashEmbeddings(TokenAwareEmbeddings):
    """Deterministic bag-of-words embedder: texts sharing words get similar vectors."""

    def __init__(self, dim: int = 64, name: str = "hash") -> None:
        self.name = name
        self.dim = dim
        self.calls = 0

    def _vector(self, text: str) -> list[float]:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in text.lower().split():
            h = int(hashlib.md5(word.encode()).hexdigest(), 16)
            vec[h % self.dim] += 1.0
        norm = float(np.linalg.norm(vec)) or 1.0
        return (vec / norm).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages."""
        self.calls += len(texts)
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        """Embed a query."""
        return self._vector(text)

    def count_tokens(self, text: str) -> int:
        """One token per word."""
        return len(text.split())
