"""The catalog: the source of truth of what is indexed (articles, chunks, their keyword terms).

The dense (Chroma) and keyword (BM25) indexes are derived from it and repaired from it, which is
what keeps them in agreement after an interrupted run.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from retrieval.schema import ArticleEntry, Chunk

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
  article_id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT NOT NULL, lang TEXT NOT NULL,
  content_hash TEXT NOT NULL, tags TEXT NOT NULL, allowed_groups TEXT NOT NULL,
  owner TEXT NOT NULL, updated TEXT NOT NULL, chunk_count INTEGER NOT NULL,
  indexed_at TEXT NOT NULL, origin TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
  chunk_id TEXT PRIMARY KEY, article_id TEXT NOT NULL REFERENCES articles ON DELETE CASCADE,
  ordinal INTEGER NOT NULL, section TEXT NOT NULL, text TEXT NOT NULL, terms TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE TABLE IF NOT EXISTS unindexed (article_id TEXT PRIMARY KEY);
"""


class Catalog:
    """SQLite-backed record of indexed articles and chunks."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # One connection per thread: the web app reads from its worker threads while an ingest
        # may write, and SQLite in WAL mode serves concurrent connections safely.
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self._db.executescript(_SCHEMA)

    @property
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA busy_timeout=10000")
            self._local.db = db
            with self._guard:
                self._all.append(db)
        return db

    def close(self) -> None:
        """Close every connection this catalog opened."""
        with self._guard:
            for db in self._all:
                db.close()
            self._all.clear()
        self._local = threading.local()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def get_meta(self, key: str) -> str | None:
        """Read a catalog-wide setting (e.g. the embedder the index was built with)."""
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Write a catalog-wide setting."""
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        """A counter bumped by every change, so derived indexes can tell they are stale."""
        return int(self.get_meta("generation") or 0)

    def _bump(self, db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO meta VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE "
            "SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"
        )

    def content_hash(self, article_id: str) -> str | None:
        """Return the hash the article was indexed with, or None if it is not indexed."""
        row = self._db.execute(
            "SELECT content_hash FROM articles WHERE article_id=?", (article_id,)
        ).fetchone()
        return row[0] if row else None

    def is_indexed(self, article_id: str, content_hash: str) -> bool:
        """Whether the article is stored with this hash AND the dense index has caught up."""
        if self.content_hash(article_id) != content_hash:
            return False
        row = self._db.execute("SELECT 1 FROM unindexed WHERE article_id=?", (article_id,))
        return row.fetchone() is None

    def unindexed(self) -> set[str]:
        """Articles written to the catalog whose dense-index write has not succeeded yet."""
        return {r[0] for r in self._db.execute("SELECT article_id FROM unindexed")}

    def mark_indexed(self, article_ids: list[str]) -> None:
        """Record that the dense index now holds these articles as the catalog has them."""
        with self._tx() as db:
            db.executemany("DELETE FROM unindexed WHERE article_id=?", [(a,) for a in article_ids])

    def replace_article(
        self, entry: ArticleEntry, chunks: list[Chunk], terms: list[list[str]]
    ) -> None:
        """Store an article and its chunks, replacing any previous version, atomically."""
        self.replace_articles([(entry, chunks, terms)])

    def replace_articles(
        self, items: list[tuple[ArticleEntry, list[Chunk], list[list[str]]]]
    ) -> None:
        """Store several articles with their chunks in one transaction."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._tx() as db:
            for entry, chunks, terms in items:
                entry.chunk_count = len(chunks)
                entry.indexed_at = now
                db.execute("DELETE FROM chunks WHERE article_id=?", (entry.article_id,))
                # Not indexed until the dense index has it too (see mark_indexed).
                db.execute("INSERT OR IGNORE INTO unindexed VALUES (?)", (entry.article_id,))
                db.execute(
                    "INSERT OR REPLACE INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        entry.article_id,
                        entry.title,
                        entry.source,
                        entry.lang,
                        entry.content_hash,
                        json.dumps(entry.tags, ensure_ascii=False),
                        json.dumps(entry.allowed_groups, ensure_ascii=False),
                        entry.owner,
                        entry.updated,
                        entry.chunk_count,
                        entry.indexed_at,
                        entry.origin,
                    ),
                )
                db.executemany(
                    "INSERT INTO chunks VALUES (?,?,?,?,?,?)",
                    [
                        (
                            c.chunk_id,
                            c.article_id,
                            c.ordinal,
                            c.section,
                            c.text,
                            json.dumps(t, ensure_ascii=False),
                        )
                        for c, t in zip(chunks, terms, strict=True)
                    ],
                )
            self._bump(db)

    def delete_article(self, article_id: str) -> bool:
        """Remove an article and its chunks; return whether it existed."""
        with self._tx() as db:
            cur = db.execute("DELETE FROM articles WHERE article_id=?", (article_id,))
            db.execute("DELETE FROM chunks WHERE article_id=?", (article_id,))
            db.execute("DELETE FROM unindexed WHERE article_id=?", (article_id,))
            if cur.rowcount:
                self._bump(db)
        return bool(cur.rowcount)

    def articles(self) -> list[ArticleEntry]:
        """All indexed articles, ordered by id."""
        rows = self._db.execute("SELECT * FROM articles ORDER BY article_id").fetchall()
        return [_entry(r) for r in rows]

    def article(self, article_id: str) -> ArticleEntry | None:
        """One article's entry, or None."""
        row = self._db.execute(
            "SELECT * FROM articles WHERE article_id=?", (article_id,)
        ).fetchone()
        return _entry(row) if row else None

    def chunks_of(self, article_id: str) -> list[Chunk]:
        """An article's chunks in order."""
        title_row = self._db.execute(
            "SELECT title FROM articles WHERE article_id=?", (article_id,)
        ).fetchone()
        rows = self._db.execute(
            "SELECT article_id, ordinal, section, text FROM chunks WHERE article_id=? "
            "ORDER BY ordinal",
            (article_id,),
        ).fetchall()
        title = title_row[0] if title_row else ""
        return [Chunk(r[0], r[1], r[2], r[3], title) for r in rows]

    def chunks_by_id(self, chunk_ids: list[str]) -> dict[str, Chunk]:
        """Chunks for the given ids (missing ids are left out)."""
        out: dict[str, Chunk] = {}
        for i in range(0, len(chunk_ids), 500):
            part = chunk_ids[i : i + 500]
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
                "SELECT c.article_id, c.ordinal, c.section, c.text, a.title, c.chunk_id "
                f"FROM chunks c JOIN articles a USING(article_id) WHERE c.chunk_id IN ({marks})",
                part,
            ).fetchall()
            out.update({r[5]: Chunk(r[0], r[1], r[2], r[3], r[4]) for r in rows})
        return out

    def chunk_terms(self, chunk_ids: list[str]) -> dict[str, list[str]]:
        """Keyword terms of the given chunks."""
        marks = ",".join("?" * len(chunk_ids))
        rows = self._db.execute(
            f"SELECT chunk_id, terms FROM chunks WHERE chunk_id IN ({marks})", chunk_ids
        )
        return {cid: json.loads(raw) for cid, raw in rows}

    def chunk_ids(self) -> set[str]:
        """Every chunk id the catalog holds."""
        return {r[0] for r in self._db.execute("SELECT chunk_id FROM chunks")}

    def keyword_corpus(self) -> tuple[list[str], list[list[str]]]:
        """Chunk ids and their keyword terms, in a stable order, for building BM25."""
        ids: list[str] = []
        terms: list[list[str]] = []
        for chunk_id, raw in self._db.execute("SELECT chunk_id, terms FROM chunks ORDER BY rowid"):
            ids.append(chunk_id)
            terms.append(json.loads(raw))
        return ids, terms

    def counts(self) -> tuple[int, int]:
        """Number of articles and chunks."""
        a = self._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        c = self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return a, c


def _entry(row: tuple) -> ArticleEntry:
    return ArticleEntry(
        article_id=row[0],
        title=row[1],
        source=row[2],
        lang=row[3],
        content_hash=row[4],
        tags=json.loads(row[5]),
        allowed_groups=json.loads(row[6]),
        owner=row[7],
        updated=row[8],
        chunk_count=row[9],
        indexed_at=row[10],
        origin=row[11],
    )
