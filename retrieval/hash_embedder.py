"""A deterministic bag-of-words embedder: no model, same vector for the same words on every run.

For tests and demos that are not about ranking (``SERVICEDESK_EMBEDDER=hash``): texts that share
words get similar vectors, so search still finds the obvious article, in milliseconds.
"""

from __future__ import annotations

import hashlib

import numpy as np

from retrieval.embedding import TokenAwareEmbeddings


class HashEmbeddings(TokenAwareEmbeddings):
    """Each lower-cased word hashed into one of ``dim`` buckets; vectors have unit length."""

    def __init__(self, dim: int = 64, name: str = "hash") -> None:
        self.name = name
        self.dim = dim
        self.calls = 0  # passages embedded so far (tests check what the cache spared)

    def _vector(self, text: str) -> list[float]:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in text.lower().split():
            # md5, not hash(): Python salts str hashes per process.
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
