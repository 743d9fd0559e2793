"""Format loaders: turn one knowledge-base file into articles, chosen by file suffix.

Every loader returns at least one :class:`~ingest.articles.Article` or raises
:class:`~ingest.articles.LoaderError` with a short reason for the admin (``empty: ...``,
``not valid UTF-8 text``, ``corrupt PDF: ...``, ``unreadable: ...``); no other exception escapes
for bad content. Size limits are the pipeline's job, not the loaders', except what a zip-based
format (DOCX) expands to: its loader checks that against a :class:`ZipBudget` before opening it.
Limits on memory and time are :mod:`ingest.sandbox`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ingest.articles import Article, LoaderError
from ingest.loaders import docx, faq, html, markdown, pdf, text
from ingest.loaders.faq import load_kb_jsonl
from ingest.loaders.zip_budget import DEFAULT_BUDGET, ZipBudget

Loader = Callable[[Path], list[Article]]
ZipLoader = Callable[[Path, ZipBudget], list[Article]]

_LOADERS: dict[str, Loader] = {
    **dict.fromkeys(markdown.SUFFIXES, markdown.load_markdown),
    **dict.fromkeys(html.SUFFIXES, html.load_html),
    **dict.fromkeys(pdf.SUFFIXES, pdf.load_pdf),
    **dict.fromkeys(text.SUFFIXES, text.load_text),
    **dict.fromkeys(faq.SUFFIXES, faq.load_faq),
}
# Zip-based formats: their loaders take the budget their parts may expand to.
_ZIP_LOADERS: dict[str, ZipLoader] = dict.fromkeys(docx.SUFFIXES, docx.load_docx)

#: Lower-case suffixes (with the dot) that :func:`load_file` accepts.
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_LOADERS) | frozenset(_ZIP_LOADERS)

__all__ = ["SUPPORTED_SUFFIXES", "ZipBudget", "is_supported", "load_file", "load_kb_jsonl"]


def is_supported(path: Path) -> bool:
    """Tell whether ``path`` has a suffix some loader handles (case-insensitive)."""
    return path.suffix.lower() in SUPPORTED_SUFFIXES


def load_file(path: Path, budget: ZipBudget = DEFAULT_BUDGET) -> list[Article]:
    """Load ``path`` with the loader for its suffix; raise LoaderError if that fails.

    ``budget`` bounds what a zip-based document (DOCX) may expand to.
    """
    path = Path(path)  # callers holding a str path get the same behaviour
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoaderError(f"unsupported file type {suffix or '(no extension)'}")
    # A directory named like a document would otherwise surface as an odd OS error per format.
    if path.is_dir():
        raise LoaderError("unreadable: is a directory")
    if suffix in _ZIP_LOADERS:
        return _ZIP_LOADERS[suffix](path, budget)
    return _LOADERS[suffix](path)
