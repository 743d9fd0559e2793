"""A disk cache of passage embeddings, so re-indexing identical text never re-embeds it."""

from __future__ import annotations

import hashlib
import sqlite3
import time
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
        # Several processes may share one cache (a test run shares one between all its
        # subprocesses): WAL lets readers through, and a writer waits its turn for up to 30 s.
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        _use_wal(self._db)
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
            # One short write transaction per batch (another process may be writing the same
            # keys: same text, same vector, so the last write winning is fine).
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            found.update({k: np.frombuffer(b, dtype=np.float32) for k, b in rows})
        return [found[k].tolist() for k in keys]

    def embed_query(self, text: str) -> list[float]:
        """Embed a query with the wrapped model."""
        return self.inner.embed_query(text)

    def count_tokens(self, text: str) -> int:
        """Count tokens with the wrapped model."""
        return self.inner.count_tokens(text)


def _use_wal(db: sqlite3.Connection, patience_s: float = 30.0) -> None:
    """Switch ``db`` to WAL, waiting while another process holds the lock it needs.

    The switch skips SQLite's busy timeout: two processes opening a new cache at once would
    otherwise fail with "database is locked".
    """
    deadline = time.monotonic() + patience_s
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
