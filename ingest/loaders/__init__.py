"""Format loaders: turn one knowledge-base file into articles, chosen by file suffix.

Every loader returns at least one :class:`~ingest.articles.Article` or raises
:class:`~ingest.articles.LoaderError` with a short reason for the admin (``empty: ...``,
``not valid UTF-8 text``, ``corrupt PDF: ...``, ``unreadable: ...``); no other exception escapes
for bad content. Size limits are the pipeline's job, not the loaders'.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ingest.articles import Article, LoaderError
from ingest.loaders import docx, faq, html, markdown, pdf, text
from ingest.loaders.faq import load_kb_jsonl

Loader = Callable[[Path], list[Article]]

_LOADERS: dict[str, Loader] = {
    **dict.fromkeys(markdown.SUFFIXES, markdown.load_markdown),
    **dict.fromkeys(html.SUFFIXES, html.load_html),
    **dict.fromkeys(pdf.SUFFIXES, pdf.load_pdf),
    **dict.fromkeys(docx.SUFFIXES, docx.load_docx),
    **dict.fromkeys(text.SUFFIXES, text.load_text),
    **dict.fromkeys(faq.SUFFIXES, faq.load_faq),
}

#: Lower-case suffixes (with the dot) that :func:`load_file` accepts.
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_LOADERS)

__all__ = ["SUPPORTED_SUFFIXES", "is_supported", "load_file", "load_kb_jsonl"]


def is_supported(path: Path) -> bool:
    """Tell whether ``path`` has a suffix some loader handles (case-insensitive)."""
    return path.suffix.lower() in _LOADERS


def load_file(path: Path) -> list[Article]:
    """Load ``path`` with the loader for its suffix; raise LoaderError if that fails."""
    path = Path(path)  # callers holding a str path get the same behaviour
    suffix = path.suffix.lower()
    loader = _LOADERS.get(suffix)
    if loader is None:
        raise LoaderError(f"unsupported file type {suffix or '(no extension)'}")
    # A directory named like a document would otherwise surface as an odd OS error per format.
    if path.is_dir():
        raise LoaderError("unreadable: is a directory")
    return loader(path)
