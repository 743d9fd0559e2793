"""What a knowledge admin does to the indexed articles: upload, delete, re-index, publish drafts.

Originals are kept on disk so a re-index can re-read them: uploads under ``<data_dir>/uploads/``
(an archive ``bundle.zip`` unpacks to ``uploads/bundle/``), approved drafts under
``<data_dir>/articles/<id>.md``; a deleted article's original moves to ``<data_dir>/deleted/`` so a
folder re-ingest does not bring it back. Every write holds one lock: two admins never ingest at
once. The retriever sees changes at once: every write ends with ``kb.refresh_keyword()`` (the
catalog's generation tells the keyword index it is stale) and Chroma is written directly.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

from bot.library.uploads import (
    UploadLimits,
    UploadRejected,
    disk_full,
    disk_full_error,
    free_disk_bytes,
    safe_name,
    unpack_zip,
)
from bot.tickets.records import ArticleDraft, NotFound
from ingest.articles import Article, LoaderError
from ingest.chunking import chunk_article
from ingest.pipeline import FileFailure, Ingestor, IngestReport, to_entry
from ingest.sandbox import LoaderSandbox
from ingest.settings import IngestSettings
from retrieval.knowledge_base import KnowledgeBase
from retrieval.schema import ArticleEntry

_SHOWN_IDS = 8


@dataclass
class FileResult:
    """What happened to one file: ``added``, ``updated``, ``unchanged``, ``reindexed`` or
    ``failed`` (with the reason)."""

    name: str  # as the admin knows it: "guide.md", "bundle.zip/vpn/setup.md", an article id
    status: str
    articles: list[str] = field(default_factory=list)
    reason: str = ""

    @property
    def ok(self) -> bool:
        """Whether the file was taken in."""
        return self.status != "failed"

    def line(self) -> str:
        """The one line shown to the admin (failures as :meth:`FileFailure.line`)."""
        if not self.ok:
            return FileFailure(self.name, self.reason).line()
        shown = ", ".join(self.articles[:_SHOWN_IDS])
        more = len(self.articles) - _SHOWN_IDS
        if more > 0:
            shown += f" (+{more} more)"
        return f"{self.status.upper()} {self.name}: {shown}"

    def to_dict(self) -> dict:
        """JSON-ready form, with the line."""
        return {**asdict(self), "ok": self.ok, "line": self.line()}


def matches(entry: ArticleEntry, query: str) -> bool:
    """Whether every word of ``query`` occurs in the article's id, title or tags."""
    haystack = " ".join([entry.article_id, entry.title, *entry.tags]).casefold()
    return all(word in haystack for word in query.casefold().split())


class Library:
    """Admin operations on one knowledge base."""

    def __init__(
        self,
        kb: KnowledgeBase,
        limits: UploadLimits,
        ingest_settings: IngestSettings,
        free_bytes: Callable[[Path], int] = free_disk_bytes,
        sandbox: LoaderSandbox | None = None,
    ) -> None:
        """Work on ``kb``; files are read through ``sandbox`` (PDF, DOCX and HTML in a worker
        with limits), one of the library's own when none is given; :meth:`close` stops it."""
        self.kb = kb
        self.limits = limits
        self.ingest_settings = ingest_settings
        self.free_bytes = free_bytes  # a seam: tests play a full disk through it
        self.sandbox = (
            sandbox if sandbox is not None else LoaderSandbox.from_settings(ingest_settings)
        )
        root = kb.settings.data_dir
        self.uploads_dir = root / "uploads"
        self.articles_dir = root / "articles"
        self.deleted_dir = root / "deleted"
        self.lock = threading.Lock()

    def discard_staging(self) -> None:
        """Remove what a crash mid-upload left behind (call it before the web app serves: no
        upload is in flight then; other processes build a Library too and must not)."""
        shutil.rmtree(self.uploads_dir / ".staging", ignore_errors=True)

    def close(self) -> None:
        """Stop the reader process (a later upload starts a new one)."""
        self.sandbox.close()

    # -- reading -----------------------------------------------------------------------------

    def find(self, query: str = "") -> list[ArticleEntry]:
        """Indexed articles whose id, title or tags contain every word of ``query``."""
        return [e for e in self.kb.catalog.articles() if matches(e, query)]

    # -- uploads -----------------------------------------------------------------------------

    @contextmanager
    def staging(self) -> Iterator[Path]:
        """Make a scratch folder on the uploads' disk (moving into place is a rename)."""
        folder = self.uploads_dir / ".staging" / uuid.uuid4().hex
        folder.mkdir(parents=True)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def ingest_staged(self, staged: list[tuple[str, Path]]) -> list[FileResult]:
        """Ingest uploaded files (zips unpacked); one result per file, failures included."""
        results: list[FileResult] = []
        candidates: list[tuple[str, Path, Path]] = []  # shown name, staged file, final place
        for name, path in staged:
            if path.suffix.lower() != ".zip":
                candidates.append((name, path, self.uploads_dir / name))
                continue
            try:
                members = unpack_zip(
                    path, path.with_suffix(".unpacked"), self.limits, self.free_bytes
                )
            except UploadRejected as err:
                if err.status == 507:
                    raise
                results.append(FileResult(name, "failed", reason=err.reason))
                continue
            home = self.uploads_dir / safe_name(path.stem)
            candidates += [(f"{name}/{rel}", file, home / rel) for file, rel in members]
        with self.lock:
            ready = self._check(candidates, results)
            results += self._ingest(ready)
        return results

    def _check(self, candidates, results: list[FileResult]) -> list[tuple[str, Path, list[str]]]:
        """Load each file before its original replaces anything; move the good ones into place."""
        ready: list[tuple[str, Path, list[str]]] = []
        owner: dict[str, str] = {}
        for name, staged, final in candidates:
            try:
                ids = [a.article_id for a in self._load(staged)]
                clash = next((i for i in ids if i in owner), None)
                if clash:
                    raise LoaderError(f"duplicate article id {clash!r} (also in {owner[clash]})")
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, final)
            except LoaderError as err:
                results.append(FileResult(name, "failed", reason=str(err)))
                continue
            except OSError as err:
                if disk_full(err):
                    raise disk_full_error() from err
                reason = f"cannot keep the original: {err.strerror or err}"
                results.append(FileResult(name, "failed", reason=reason))
                continue
            owner.update(dict.fromkeys(ids, name))
            ready.append((name, final, ids))
        return ready

    def _ingest(self, ready: list[tuple[str, Path, list[str]]]) -> list[FileResult]:
        if not ready:
            return []
        ingestor = Ingestor(self.kb, self.ingest_settings, self.sandbox)
        report = ingestor.run([final for _, final, _ in ready])
        failed = {f.path: f.reason for f in report.failures}
        return [
            self._result(name, ids, failed.get(str(final)), report) for name, final, ids in ready
        ]

    @staticmethod
    def _result(name: str, ids: list[str], reason: str | None, report: IngestReport) -> FileResult:
        if reason is not None:
            return FileResult(name, "failed", reason=reason)
        for status in ("added", "updated"):
            if set(ids) & set(getattr(report, status)):
                return FileResult(name, status, ids)
        return FileResult(name, "unchanged", ids)

    def _load(self, path: Path) -> list[Article]:
        """Load one file with the pipeline's size limit and the sandbox's (LoaderError says why
        not)."""
        size_mb = path.stat().st_size / 1_048_576
        if size_mb > self.ingest_settings.max_file_mb:
            limit = self.ingest_settings.max_file_mb
            raise LoaderError(f"too large: {size_mb:.1f} MB, the limit is {limit:g} MB")
        return self.sandbox.load(path)

    # -- delete and re-index -----------------------------------------------------------------

    def delete(self, article_id: str) -> ArticleEntry:
        """Remove an article from every index (raise NotFound); retire its uploaded original."""
        with self.lock:
            entry = self.kb.catalog.article(article_id)
            if entry is None:
                raise NotFound(f"no article {article_id!r}")
            self.kb.delete(article_id)
            self.kb.refresh_keyword()
            self._retire(entry)
        return entry

    def _retire(self, entry: ArticleEntry) -> None:
        """Move an upload's original aside (kept, not lost) once no indexed article uses it."""
        origin = Path(entry.origin) if entry.origin else None
        if origin is None or not origin.is_file():
            return
        ours = (self.uploads_dir.resolve(), self.articles_dir.resolve())
        if not any(origin.is_relative_to(folder) for folder in ours):
            return  # e.g. the bundled sample KB: not ours to move
        if any(e.origin == entry.origin for e in self.kb.catalog.articles()):
            return
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        self.deleted_dir.mkdir(parents=True, exist_ok=True)
        os.replace(origin, self.deleted_dir / f"{stamp}-{origin.name}")

    def reindex(self, article_id: str) -> FileResult:
        """Re-read one article from its original and index it again, even if unchanged."""
        with self.lock:
            entry = self.kb.catalog.article(article_id)
            if entry is None:
                raise NotFound(f"no article {article_id!r}")
            result = self._reindex_file(entry.origin, {article_id}, article_id)
            self.kb.refresh_keyword()
        return result

    def reindex_all(self) -> list[FileResult]:
        """Re-read every indexed article from its original; failures keep the indexed version."""
        with self.lock:
            by_origin: dict[str, set[str]] = {}
            for entry in self.kb.catalog.articles():
                by_origin.setdefault(entry.origin, set()).add(entry.article_id)
            results = [
                self._reindex_file(origin, ids, Path(origin).name or ", ".join(sorted(ids)))
                for origin, ids in sorted(by_origin.items())
            ]
            self.kb.refresh_keyword()
        return results

    def _reindex_file(self, origin: str, ids: set[str], name: str) -> FileResult:
        kept = " (the indexed version is kept)"
        if not origin or not Path(origin).is_file():
            reason = f"the original file {origin or '(unknown)'} is gone; upload it again{kept}"
            return FileResult(name, "failed", reason=reason)
        try:
            articles = [a for a in self._load(Path(origin)) if a.article_id in ids]
        except LoaderError as err:
            return FileResult(name, "failed", reason=f"{err}{kept}")
        missing = ids - {a.article_id for a in articles}
        if missing:
            reason = f"the file no longer contains {', '.join(sorted(missing))}{kept}"
            return FileResult(name, "failed", reason=reason)
        s = self.kb.settings
        count = self.kb.embedder.count_tokens
        items = [
            (to_entry(a, Path(origin)), chunk_article(a, count, s.chunk_tokens, s.chunk_overlap))
            for a in articles
        ]
        try:
            self.kb.upsert_many(items)
        except Exception as err:  # an index write failing must not take the others down
            return FileResult(name, "failed", reason=f"indexing failed: {err}{kept}")
        return FileResult(name, "reindexed", sorted(ids))

    # -- drafts ------------------------------------------------------------------------------

    def publish(self, draft: ArticleDraft, title: str, body: str) -> FileResult:
        """Write an approved draft as ``articles/<id>.md`` and ingest it (searchable at once)."""
        with self.lock:
            article_id = self._draft_article_id(draft, title)
            path = self.articles_dir / f"{article_id}.md"
            meta = {
                "id": article_id,
                "title": title.strip(),
                "owner": draft.author,
                "updated": datetime.now(UTC).date().isoformat(),
                "tags": ["from-ticket"] if draft.ticket_number else [],
            }
            if draft.ticket_number:
                meta["ticket"] = draft.ticket_number
            front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
            self.articles_dir.mkdir(parents=True, exist_ok=True)
            scratch = path.with_name(f".{path.stem}.draft.md")  # hidden: folder ingests skip it
            scratch.write_text(f"---\n{front}---\n\n{body.strip()}\n", encoding="utf-8")
            try:
                self._load(scratch)  # a draft that does not load must not replace anything
            except LoaderError as err:
                scratch.unlink(missing_ok=True)
                return FileResult(title, "failed", reason=str(err))
            os.replace(scratch, path)
            results = self._ingest([(path.name, path, [article_id])])
        return results[0]

    def _draft_article_id(self, draft: ArticleDraft, title: str) -> str:
        """A stable, readable id that never takes over an article from elsewhere."""
        ticket = _slug(draft.ticket_number or "")
        base = _slug(title) or (f"kb-{ticket}" if ticket else f"draft-{draft.id}")
        mine = str((self.articles_dir / f"{base}.md").resolve())
        existing = self.kb.catalog.article(base)
        if existing is not None and existing.origin != mine:
            base = f"{base}-{draft.id}"
        return base


def _slug(text: str) -> str:
    """Lower-case ASCII words joined by ``-`` (Korean titles give ``""``), at most 60 chars."""
    words = "".join(c if c.isascii() and c.isalnum() else " " for c in text.lower()).split()
    return "-".join(words)[:60].strip("-")
