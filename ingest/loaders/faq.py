"""Load FAQ tables (.csv, .jsonl) with one article per row, and the eval ``kb.jsonl`` format."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping
from pathlib import Path

from ingest.articles import Article, LoaderError
from ingest.loaders._common import read_text, scalar, split_list

SUFFIXES = (".csv", ".jsonl")

_REQUIRED = ("question", "answer")


def load_faq(path: Path) -> list[Article]:
    """Load a FAQ file by suffix: CSV, JSONL FAQ rows, or JSONL rows in kb.jsonl format."""
    if path.suffix.lower() == ".csv":
        return load_faq_csv(path)
    rows = _jsonl_rows(path)
    if _is_kb_row(rows[0][1]):
        return _kb_articles(path, rows)
    return _faq_articles(path, rows, list_seps="|,")


def load_faq_csv(path: Path) -> list[Article]:
    """Load a CSV FAQ: header row with question and answer columns; tags/groups split on "|"."""
    text = read_text(path)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        # Header names are matched loosely: "Question " and "ANSWER" are what people type.
        header = [(name or "").strip().lower() for name in reader.fieldnames or []]
        missing = [column for column in _REQUIRED if column not in header]
        if missing:
            raise LoaderError(f"missing required columns: {', '.join(missing)}")
        reader.fieldnames = header
        rows = list(enumerate(reader, 1))
    except csv.Error as exc:
        raise LoaderError(f"corrupt CSV: {exc}") from exc
    return _faq_articles(path, rows, list_seps="|")


def load_kb_jsonl(path: Path) -> list[Article]:
    """Load a ``kb.jsonl`` file: rows of {doc_id, title, text, lang, source, meta}."""
    rows = _jsonl_rows(path)
    if not _is_kb_row(rows[0][1]):
        raise LoaderError("not a kb.jsonl file: rows need doc_id and text")
    return _kb_articles(path, rows)


def _jsonl_rows(path: Path) -> list[tuple[int, dict[str, object]]]:
    """Parse JSON Lines into (line number, object) pairs, skipping blank lines."""
    rows: list[tuple[int, dict[str, object]]] = []
    for number, line in enumerate(read_text(path).split("\n"), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LoaderError(f"bad JSON on line {number}: {exc.msg}") from exc
        if not isinstance(row, dict):
            raise LoaderError(f"bad JSON on line {number}: not an object")
        rows.append((number, row))
    return rows


def _is_kb_row(row: Mapping[str, object]) -> bool:
    """Tell the eval kb.jsonl format (doc_id + text) from FAQ rows (question + answer)."""
    return "doc_id" in row and "text" in row


def _faq_articles(
    path: Path, rows: list[tuple[int, Mapping[str, object]]], list_seps: str
) -> list[Article]:
    """Build one article per FAQ row; rows without question or answer are skipped."""
    articles = _build(rows, lambda number, row: _faq_article(path, number, row, list_seps))
    if not articles:
        raise LoaderError("empty: no FAQ rows with both question and answer")
    return _unique(articles)


def _faq_article(
    path: Path, number: int, row: Mapping[str, object], list_seps: str
) -> Article | None:
    """Turn one FAQ row into an article, or None when question or answer is missing."""
    question = scalar(row.get("question"), "question")
    answer = scalar(row.get("answer"), "answer")
    if not question or not answer:
        return None
    # Without an id the row number keeps ids stable as long as rows are only appended.
    row_id = scalar(row.get("id"), "id") or f"{path.stem}-{number}"
    return Article(
        article_id=row_id,
        title=question,
        # The chunker prepends the title, so repeating the question here would double it.
        text=answer,
        source=f"{path}#{row_id}",
        lang=scalar(row.get("lang"), "lang").lower(),
        tags=split_list(row.get("tags"), "tags", list_seps),
        allowed_groups=split_list(row.get("allowed_groups"), "allowed_groups", list_seps),
        owner=scalar(row.get("owner"), "owner"),
        updated=scalar(row.get("updated"), "updated"),
    )


def _kb_articles(path: Path, rows: list[tuple[int, Mapping[str, object]]]) -> list[Article]:
    """Build one article per kb.jsonl row; rows without doc_id, or without title and text, are
    skipped (a title alone is kept: a section heading with no body can still be what is asked)."""
    articles = _build(rows, lambda _number, row: _kb_article(path, row))
    if not articles:
        raise LoaderError("empty: no kb.jsonl rows with a doc_id and a title or text")
    return _unique(articles)


def _kb_article(path: Path, row: Mapping[str, object]) -> Article | None:
    """Turn one kb.jsonl row into an article, or None when it has no id or no content."""
    doc_id = scalar(row.get("doc_id"), "doc_id")
    text = scalar(row.get("text"), "text")
    if not doc_id or not (text or scalar(row.get("title"), "title")):
        return None
    source = scalar(row.get("source"), "source")
    return Article(
        article_id=doc_id,
        title=scalar(row.get("title"), "title") or doc_id,
        text=text,
        # Non-URL sources in the eval set are labels, not something a user can open.
        source=source if _is_url(source) else f"{path}#{doc_id}",
        lang=scalar(row.get("lang"), "lang").lower(),
        tags=_meta_tags(row.get("meta")),
    )


def _build(
    rows: list[tuple[int, Mapping[str, object]]],
    make: Callable[[int, Mapping[str, object]], Article | None],
) -> list[Article]:
    """Apply ``make`` to every row, naming the row in any error so the admin can find it."""
    articles = []
    for number, row in rows:
        try:
            article = make(number, row)
        except LoaderError as exc:
            raise LoaderError(f"row {number}: {exc}") from exc
        if article is not None:
            articles.append(article)
    return articles


def _meta_tags(meta: object) -> list[str]:
    """Return ``meta["tags"]`` when it is a list of strings, else no tags."""
    if not isinstance(meta, Mapping):
        return []
    tags = meta.get("tags")
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        return []
    return [tag.strip() for tag in tags if tag.strip()]


def _is_url(value: str) -> bool:
    """Tell whether ``value`` is an http(s) URL."""
    return value.lower().startswith(("http://", "https://"))


def _unique(articles: list[Article]) -> list[Article]:
    """Refuse duplicate ids: in the index a later row would silently replace an earlier one."""
    seen: set[str] = set()
    for article in articles:
        if article.article_id in seen:
            raise LoaderError(f"duplicate id {article.article_id!r}")
        seen.add(article.article_id)
    return articles
