"""A disk cache of passage embeddings, so re-indexing identical text never re-embeds it."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np

from retrieval.embedders import TokenAwareEmbeddings


class CachedEmbeddings(TokenAwareEmbeddings):
    """Wrap an embedder; passages are looked up by (embedder, text) hash before being embedded.

    Queries are not cached: they are short, cheap and rarely repeat exactly.
    """

    def __init__(self, inner: TokenAwareEmbeddings, path: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.max_tokens = inner.max_tokens
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, v BLOB)")
        self.hits = 0
        self.misses = 0

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.name}\x00{text}".encode()).hexdigest()

    def _lookup(self, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            rows = self._db.execute(
                f"SELECT key, v FROM vectors WHERE key IN ({','.join('?' * len(part))})", part
            )
            found.update({k: np.frombuffer(v, dtype=np.float32) for k, v in rows})
        return found

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Return cached vectors where known, embed (and store) the rest."""
        keys = [self._key(t) for t in texts]
        found = self._lookup(keys)
        todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items())
        self.hits += len(texts) - len(todo)
        self.misses += len(todo)
        if todo:
            vectors = self.inner.embed_documents([t for _, t in todo])
            rows = [
                (k, np.asarray(v, dtype=np.float32).tobytes())
                for (k, _), v in zip(todo, vectors, strict=True)
            ]
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
            found.update({k: np.frombuffer(b, dtype=np.float32) for k, b in rows})
        return [found[k].tolist() for k in keys]

    def embed_query(self, text: str) -> list[float]:
        """Embed a query with the wrapped model."""
        return self.inner.embed_query(text)

    def count_tokens(self, text: str) -> int:
        """Count tokens with the wrapped model."""
        return self.inner.count_tokens(text)
