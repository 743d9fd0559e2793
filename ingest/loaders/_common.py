"""Helpers shared by the format loaders: reading, decoding and metadata normalisation."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path

from ingest.articles import LoaderError

EMPTY = "empty: no text found"

_SPACES = re.compile(r"[ \t\f\v\u00a0\u200b]+")
_BLANK_RUNS = re.compile(r"\n{3,}")
_HEADING_LIKE = re.compile(r"^(#{1,6})(\s)")
_SCALARS = (str, int, float, dt.date)


def read_bytes(path: Path) -> bytes:
    """Read a file's bytes, turning OS errors into a reason the admin can act on."""
    try:
        return path.read_bytes()
    except OSError as exc:
        # strerror is the short form ("Permission denied"); str(exc) repeats the path.
        raise LoaderError(f"unreadable: {exc.strerror or exc}") from exc


def decode_utf8(data: bytes) -> str:
    """Decode UTF-8 (BOM allowed) and normalise line endings; refuse anything else."""
    try:
        # utf-8-sig drops the BOM that Windows editors (and Excel CSV exports) put in front.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoaderError(f"not valid UTF-8 text (byte {exc.start})") from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: Path) -> str:
    """Read a UTF-8 text file; raise LoaderError when it is unreadable, undecodable or blank."""
    text = decode_utf8(read_bytes(path))
    if not text.strip():
        raise LoaderError(EMPTY)
    return text


def require_bytes(path: Path) -> bytes:
    """Read a binary file, raising the common 'empty' error for a zero-byte file."""
    data = read_bytes(path)
    if not data.strip():
        raise LoaderError(EMPTY)
    return data


def collapse(text: str) -> str:
    """Collapse runs of whitespace into single spaces and trim the ends."""
    return " ".join(text.split())


def tidy_lines(text: str) -> str:
    """Trim each line, squeeze inner spaces and keep at most one blank line between blocks."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def escape_heading(line: str) -> str:
    """Escape a plain-text line that would otherwise read as a Markdown heading.

    Formats without real headings (PDF text, body paragraphs) can contain lines like
    "# of licences"; the chunker must not take those for section titles.
    """
    return _HEADING_LIKE.sub(r"\\\1\2", line)


def first_line(text: str) -> str:
    """Return the first non-empty line of ``text`` without Markdown heading marks."""
    for line in text.split("\n"):
        stripped = line.strip().lstrip("#").strip()
        if stripped:
            return stripped
    return ""


def split_list(value: object, field: str, seps: str = ",") -> list[str]:
    """Normalise a list-ish metadata value (list, or string split on ``seps``) to strings."""
    if value is None:
        return []
    if isinstance(value, str):
        items: Iterable[object] = re.split(f"[{re.escape(seps)}]", value)
    elif isinstance(value, (list, tuple)):
        items = value
    elif isinstance(value, (int, float)):
        # YAML reads "tags: 2024" as a number; it is still one tag.
        items = [value]
    else:
        raise LoaderError(f"bad metadata: {field} must be a list or a string")
    # A nested list is refused before str() sees it: YAML aliases nest lists nine deep in a few
    # lines ("billion laughs"), and printing one would take gigabytes.
    if any(not isinstance(item, _SCALARS) for item in items if item is not None):
        raise LoaderError(f"bad metadata: {field} must be a list of single values")
    return [str(item).strip() for item in items if item is not None and str(item).strip()]


def scalar(value: object, field: str) -> str:
    """Normalise a scalar metadata value to a string (YAML dates become ISO strings)."""
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (str, int, float)):
        return str(value).strip()
    raise LoaderError(f"bad metadata: {field} must be a single value")
