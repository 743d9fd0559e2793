"""Load Word (.docx) documents with python-docx, keeping headings, lists and tables.

A DOCX is a zip: its central directory is checked against a :class:`ZipBudget` before python-docx
opens it, so a decompression bomb is refused without being expanded.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
from docx.document import Document
from docx.table import Table
from docx.text.paragraph import Paragraph

from ingest.articles import Article, LoaderError
from ingest.loaders._common import EMPTY, collapse, escape_heading, require_bytes
from ingest.loaders.zip_budget import DEFAULT_BUDGET, ZipBudget, check_zip

SUFFIXES = (".docx",)

_HEADING_STYLE = re.compile(r"^heading\s*(\d+)$", re.IGNORECASE)


def load_docx(path: Path, budget: ZipBudget = DEFAULT_BUDGET) -> list[Article]:
    """Load a .docx file as one article; Word headings become Markdown headings.

    A file whose parts would expand past ``budget`` is refused before it is opened.
    """
    data = require_bytes(path)
    check_zip(io.BytesIO(data), budget, "DOCX")
    try:
        document = docx.Document(io.BytesIO(data))
        lines = _body_lines(document)
        core_title = collapse(document.core_properties.title or "")
    except MemoryError:
        raise  # the sandbox reports it as the memory limit, not as a damaged file
    except Exception as exc:  # zipfile, lxml and python-docx each raise their own
        raise LoaderError(f"corrupt DOCX: {_reason(exc)}") from exc
    text = "\n".join(lines).strip()
    if not text:
        raise LoaderError(EMPTY)
    title = core_title or _first_heading(lines) or path.stem
    return [Article(article_id=path.stem, title=title, text=text, source=str(path))]


def _body_lines(document: Document) -> list[str]:
    """Render body paragraphs and tables in document order as Markdown-like lines."""
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            line = _paragraph_line(block)
            if line:
                lines.append(line)
        elif isinstance(block, Table):
            lines.extend(_table_lines(block))
    return lines


def _paragraph_line(paragraph: Paragraph) -> str:
    """Return one paragraph as a heading, list item or plain line ("" when blank)."""
    text = collapse(paragraph.text)
    if not text:
        return ""
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    level = _heading_level(style)
    if level:
        return f"{'#' * level} {text}"
    if _is_list_item(paragraph, style):
        return f"- {text}"
    return escape_heading(text)


def _heading_level(style: str) -> int:
    """Map "Title" to 1 and "Heading N" to N (Markdown stops at 6); 0 for other styles."""
    if style.strip().lower() == "title":
        return 1
    match = _HEADING_STYLE.match(style.strip())
    return min(int(match.group(1)), 6) if match else 0


def _is_list_item(paragraph: Paragraph, style: str) -> bool:
    """Tell list items by their "List ..." style or by Word numbering on a plain paragraph."""
    name = style.strip().lower()
    if name.startswith("list") and not name.startswith("list continue"):
        return True
    properties = paragraph._p.pPr  # python-docx exposes numbering only here
    return properties is not None and properties.numPr is not None


def _table_lines(table: Table) -> list[str]:
    """Flatten a table row by row, cells joined by " | " (merged cells counted once)."""
    lines: list[str] = []
    for row in table.rows:
        texts: list[str] = []
        previous = None
        for cell in row.cells:
            # A horizontally merged cell is returned once per grid column it spans.
            if cell._tc is previous:
                continue
            previous = cell._tc
            text = collapse(cell.text)
            if text:
                texts.append(text)
        if texts:
            lines.append(escape_heading(" | ".join(texts)))
    return lines


def _first_heading(lines: list[str]) -> str:
    """Return the text of the first heading line, or ``""``."""
    for line in lines:
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return ""


def _reason(exc: Exception) -> str:
    """Return a short reason for a python-docx failure."""
    return str(exc).strip().strip('"') or type(exc).__name__
