"""Load plain-text articles."""

from __future__ import annotations

from pathlib import Path

from ingest.articles import Article
from ingest.loaders._common import first_line, read_text, tidy_lines

SUFFIXES = (".txt",)

# A first line longer than this is a paragraph, not a title; cut it so listings stay readable.
_MAX_TITLE = 200


def load_text(path: Path) -> list[Article]:
    """Load a .txt file as one article titled by its first non-empty line."""
    text = tidy_lines(read_text(path))
    title = first_line(text)[:_MAX_TITLE].rstrip() or path.stem
    return [Article(article_id=path.stem, title=title, text=text, source=str(path))]
