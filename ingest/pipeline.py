"""The ingestion pipeline: files -> articles -> chunks -> catalog, Chroma and BM25.

Idempotent by content hash: unchanged articles cost a hash comparison, nothing more. Files are
read through a :class:`~ingest.sandbox.LoaderSandbox`: PDF, DOCX and HTML in a worker process with
memory, processor and time limits.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from ingest.articles import Article, LoaderError
from ingest.chunking import chunk_article
from ingest.sandbox import SANDBOXED_SUFFIXES, LoaderSandbox
from ingest.settings import IngestSettings
from retrieval.knowledge_base import KnowledgeBase, RepairReport
from retrieval.schema import ArticleEntry, Chunk


@dataclass
class FileFailure:
    """A file that could not be ingested, and why."""

    path: str
    reason: str

    def line(self) -> str:
        """The one-line report shown to the admin."""
        return f"FAILED {self.path}: {self.reason}"


@dataclass
class IngestReport:
    """What one ingestion run did."""

    files: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    failures: list[FileFailure] = field(default_factory=list)
    chunks_indexed: int = 0
    seconds: float = 0.0
    repair: RepairReport = field(default_factory=RepairReport)

    @property
    def ok(self) -> bool:
        """True when every file was ingested."""
        return not self.failures

    def summary(self) -> str:
        """One human line."""
        rate = self.chunks_indexed / self.seconds if self.seconds else 0.0
        return (
            f"{self.files} files: {len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.pruned)} pruned, "
            f"{len(self.failures)} failed; {self.chunks_indexed} chunks indexed in "
            f"{self.seconds:.1f}s ({rate:.1f} chunks/s)"
        )


# Articles are written in batches of about this many chunks: one embedding call, one Chroma write
# and one catalog transaction per batch instead of per article.
BATCH_CHUNKS = 64


def _batches(items: list, size: int) -> Iterator[list]:
    batch: list = []
    count = 0
    for item in items:
        batch.append(item)
        count += len(item[1])
        if count >= size:
            yield batch
            batch, count = [], 0
    if batch:
        yield batch


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Yield files under the given paths (folders recursively), skipping hidden ones."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if child.is_file() and not any(p.startswith(".") for p in rel.parts):
                    yield child
        else:
            yield path


def to_entry(article: Article, origin: Path) -> ArticleEntry:
    """Describe an article for the index."""
    return ArticleEntry(
        article_id=article.article_id,
        title=article.title,
        source=article.source,
        lang=article.lang,
        content_hash=article.content_hash,
        tags=list(article.tags),
        allowed_groups=list(article.allowed_groups),
        owner=article.owner,
        updated=article.updated,
        origin=str(origin),
    )


class Ingestor:
    """Runs ingestion against one knowledge base."""

    def __init__(
        self, kb: KnowledgeBase, settings: IngestSettings, sandbox: LoaderSandbox | None = None
    ) -> None:
        """Ingest into ``kb``; files are read through ``sandbox``, which the caller keeps open
        and closes, or through a sandbox of the run's own when none is given."""
        self.kb = kb
        self.settings = settings
        self.sandbox = sandbox

    def _reader(self) -> AbstractContextManager[LoaderSandbox]:
        """The given sandbox (left open), or one for this run (closed when the run has read)."""
        if self.sandbox is not None:
            return nullcontext(self.sandbox)
        return LoaderSandbox.from_settings(self.settings)

    def _load(self, path: Path, sandbox: LoaderSandbox) -> list[Article]:
        if not path.exists():
            raise LoaderError("not found")
        if path.is_file():
            size_mb = path.stat().st_size / 1_048_576
            if size_mb > self.settings.max_file_mb:
                raise LoaderError(
                    f"too large: {size_mb:.1f} MB, the limit is {self.settings.max_file_mb:g} MB"
                )
        return sandbox.load(path)

    def run(self, paths: list[Path], prune: bool = False) -> IngestReport:
        """Ingest files and folders; report per-file failures instead of stopping."""
        started = time.perf_counter()
        files = list(iter_files(paths))
        with self._reader() as sandbox:  # its worker ends before the embedding starts
            if any(path.suffix.lower() in SANDBOXED_SUFFIXES for path in files):
                sandbox.start()  # the worker imports the loaders while the index is checked
            report = IngestReport(repair=self.kb.repair())
            todo, loaded = self._collect(files, report, sandbox)
        self._index(todo, report)
        if prune:
            report.pruned = self._prune(loaded)
        self.kb.refresh_keyword()
        report.seconds = time.perf_counter() - started
        return report

    def _collect(
        self, files: list[Path], report: IngestReport, sandbox: LoaderSandbox
    ) -> tuple[list[tuple[ArticleEntry, list[Chunk], Path]], dict[str, set[str]]]:
        todo: list[tuple[ArticleEntry, list[Chunk], Path]] = []
        loaded: dict[str, set[str]] = {}
        owner_of: dict[str, Path] = {}
        s = self.kb.settings
        for path in files:
            report.files += 1
            origin = path.resolve()
            try:
                articles = self._load(path, sandbox)
                for article in articles:
                    if article.article_id in owner_of:
                        raise LoaderError(
                            f"duplicate article id {article.article_id!r} "
                            f"(also in {owner_of[article.article_id]})"
                        )
            except LoaderError as err:
                report.failures.append(FileFailure(str(path), str(err)))
                continue
            loaded[str(origin)] = {a.article_id for a in articles}
            for article in articles:
                owner_of[article.article_id] = path
                entry = to_entry(article, origin)
                known = self.kb.catalog.content_hash(article.article_id)
                if self.kb.catalog.is_indexed(article.article_id, entry.content_hash):
                    # Repair rewrote it in the dense index this run: not "unchanged".
                    repaired = article.article_id in report.repair.reindexed
                    (report.updated if repaired else report.unchanged).append(article.article_id)
                    continue
                (report.added if known is None else report.updated).append(article.article_id)
                chunks = chunk_article(
                    article, self.kb.embedder.count_tokens, s.chunk_tokens, s.chunk_overlap
                )
                todo.append((entry, chunks, path))
        return todo, loaded

    def _index(self, todo: list, report: IngestReport) -> None:
        total = sum(len(chunks) for _, chunks, _ in todo)
        show = self.settings.progress and total >= 50
        with tqdm(total=total, unit="chunk", disable=not show, desc="indexing") as bar:
            for batch in _batches(todo, BATCH_CHUNKS):
                try:
                    self.kb.upsert_many([(entry, chunks) for entry, chunks, _ in batch])
                    done = batch
                except Exception:
                    # Find the article that broke the batch; the others still get indexed.
                    done = [item for item in batch if self._index_one(item, report)]
                report.chunks_indexed += sum(len(chunks) for _, chunks, _ in done)
                bar.update(sum(len(chunks) for _, chunks, _ in batch))

    def _index_one(self, item: tuple, report: IngestReport) -> bool:
        entry, chunks, path = item
        try:
            self.kb.upsert(entry, chunks)
            return True
        except Exception as err:  # one bad article must not stop the run
            report.failures.append(FileFailure(str(path), f"indexing failed: {err}"))
            for bucket in (report.added, report.updated):
                if entry.article_id in bucket:
                    bucket.remove(entry.article_id)
            return False

    def _prune(self, loaded: dict[str, set[str]]) -> list[str]:
        """Delete articles whose file is gone, or whose file no longer yields them."""
        pruned = []
        for entry in self.kb.catalog.articles():
            origin = entry.origin
            gone = bool(origin) and not Path(origin).exists()
            dropped = origin in loaded and entry.article_id not in loaded[origin]
            if gone or dropped:
                self.kb.delete(entry.article_id)
                pruned.append(entry.article_id)
        return pruned
