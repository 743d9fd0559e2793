"""Load PDF documents with pypdf, one ``## Page N`` section per page."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import DependencyError, PyPdfError

from ingest.articles import Article, LoaderError
from ingest.loaders._common import EMPTY, escape_heading, first_line, require_bytes, tidy_lines

SUFFIXES = (".pdf",)

_MAX_TITLE = 200
# Word's PDF export puts this in front of the file name when the document has no title.
_WORD_PREFIX = "Microsoft Word - "


def load_pdf(path: Path) -> list[Article]:
    """Load a PDF as one article whose pages become ``## Page N`` sections (N from 1)."""
    reader = _open(require_bytes(path))
    try:
        pages = [_page_text(reader, index) for index in range(len(reader.pages))]
        meta_title = _meta_title(reader)
    except (LoaderError, MemoryError):
        raise  # MemoryError: the sandbox reports the memory limit, not a damaged file
    except Exception as exc:  # pypdf raises many types on damaged files
        raise LoaderError(f"corrupt PDF: {_reason(exc)}") from exc
    # Empty pages (scans, separators) are skipped, but the numbering stays the real page number
    # so a cited "Page 7" is the page the reader finds in the PDF.
    sections = [f"## Page {number}\n{text}" for number, text in enumerate(pages, 1) if text]
    if not sections:
        raise LoaderError(f"{EMPTY} (scanned PDF without a text layer?)")
    text = "\n\n".join(sections)
    first = next(page for page in pages if page)
    title = meta_title or first_line(first)[:_MAX_TITLE].rstrip() or path.stem
    return [Article(article_id=path.stem, title=title, text=text, source=str(path))]


def _open(data: bytes) -> PdfReader:
    """Open the PDF, unlocking it only when it has an empty user password."""
    try:
        reader = PdfReader(io.BytesIO(data))
    except MemoryError:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files
        raise LoaderError(f"corrupt PDF: {_reason(exc)}") from exc
    if reader.is_encrypted:
        # Owner-password-only PDFs (print/copy restrictions) open in any viewer with the empty
        # password; anything that really needs a password cannot be indexed.
        try:
            unlocked = reader.decrypt("")
        except DependencyError as exc:
            raise LoaderError("encrypted PDF (AES needs the 'cryptography' package)") from exc
        except Exception as exc:  # damaged encryption dictionaries
            raise LoaderError(f"encrypted PDF: {_reason(exc)}") from exc
        if not unlocked:
            raise LoaderError("encrypted PDF")
    return reader


def _page_text(reader: PdfReader, index: int) -> str:
    """Return the tidied text of one page, lines that look like headings escaped."""
    raw = reader.pages[index].extract_text() or ""
    return "\n".join(escape_heading(line) for line in tidy_lines(raw).split("\n")).strip()


def _meta_title(reader: PdfReader) -> str:
    """Return the document-info /Title, ignoring blanks and Word's file-name placeholder."""
    try:
        title = reader.metadata.title if reader.metadata else None
    except (PyPdfError, KeyError, TypeError, ValueError, AttributeError):
        # A broken info dictionary must not cost us the text; fall back to the first line.
        return ""
    title = " ".join(str(title or "").split())
    # "Microsoft Word - draft3.docx" names a file, not the content; the first line does better.
    return "" if title.startswith(_WORD_PREFIX) else title


def _reason(exc: Exception) -> str:
    """Return a short reason for a pypdf failure (some exceptions carry no message)."""
    return str(exc).strip() or type(exc).__name__
