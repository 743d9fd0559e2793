"""Load HTML pages: keep the main content, turn its structure into Markdown-like lines."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.dammit import EncodingDetector
from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

from ingest.articles import Article, LoaderError
from ingest.loaders._common import (
    EMPTY,
    collapse,
    decode_utf8,
    escape_heading,
    read_bytes,
    split_list,
)

SUFFIXES = (".html", ".htm")

# Page furniture and non-content: repeated on every page, it would drown the article in noise.
_DROP = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template")
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
# Elements that end the current line; everything else is inline and joins the running text.
_BLOCKS = frozenset(
    {
        "address",
        "article",
        "blockquote",
        "body",
        "br",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "hr",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
_SKIPPED_STRINGS = (Comment, Declaration, Doctype, ProcessingInstruction)


def load_html(path: Path) -> list[Article]:
    """Load one HTML page as a single article, metadata from ``<meta name="kb-*">`` tags."""
    soup = _parse(read_bytes(path))
    meta = _kb_meta(soup)
    page_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup.find_all(_DROP):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    text = "\n".join(_Renderer().render(root)).strip()
    if not text:
        raise LoaderError(EMPTY)
    first_h1 = root.find("h1")
    title = page_title or (collapse(first_h1.get_text(" ")) if first_h1 else "") or path.stem
    return [
        Article(
            article_id=meta.get("kb-id") or path.stem,
            title=title,
            text=text,
            source=str(path),
            lang=meta.get("kb-lang", "").lower(),
            tags=split_list(meta.get("kb-tags"), "kb-tags"),
            allowed_groups=split_list(meta.get("kb-groups"), "kb-groups"),
            owner=meta.get("kb-owner", ""),
            updated=meta.get("kb-updated", ""),
        )
    ]


def _decode(data: bytes) -> str:
    """Decode as UTF-8, or as the charset the page declares (legacy Korean pages use EUC-KR)."""
    try:
        return decode_utf8(data)
    except LoaderError:
        declared = EncodingDetector.find_declared_encoding(data, is_html=True)
        if not declared:
            raise
        try:
            return data.decode(declared)
        except (LookupError, UnicodeDecodeError) as exc:
            raise LoaderError(f"not valid UTF-8 text, nor valid {declared}") from exc


def _parse(data: bytes) -> BeautifulSoup:
    """Parse the page with lxml; an empty page is reported before parsing."""
    text = _decode(data)
    if not text.strip():
        raise LoaderError(EMPTY)
    try:
        return BeautifulSoup(text, "lxml")
    except MemoryError:
        raise  # the sandbox reports it as the memory limit, not as odd markup
    except Exception as exc:  # lxml/bs4 raise assorted types on odd markup
        raise LoaderError(f"corrupt HTML: {exc}") from exc


def _kb_meta(soup: BeautifulSoup) -> dict[str, str]:
    """Collect ``<meta name="kb-...">`` values, names compared case-insensitively."""
    meta: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        name = str(tag.get("name") or "").strip().lower()
        if name.startswith("kb-") and name not in meta:
            meta[name] = collapse(str(tag.get("content") or ""))
    return meta


class _Renderer:
    """Walk a DOM subtree in document order and emit Markdown-like lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._inline: list[str] = []
        self._prefix = ""

    def render(self, root: Tag) -> list[str]:
        """Return the lines for ``root``'s content."""
        self._walk(root)
        self._flush()
        return self.lines

    def _flush(self) -> None:
        """End the current line, prefixing it when it belongs to a list item."""
        text = collapse("".join(self._inline))
        self._inline.clear()
        if text:
            self.lines.append(self._prefix + (text if self._prefix else escape_heading(text)))
            # The "- " marks the item's first line only; nested blocks start fresh lines.
            self._prefix = ""

    def _walk(self, node: Tag) -> None:
        """Dispatch each child to the handler for its kind."""
        for child in node.children:
            if isinstance(child, _SKIPPED_STRINGS):
                continue
            if isinstance(child, NavigableString):
                self._inline.append(str(child))
            elif isinstance(child, Tag):
                self._element(child)

    def _element(self, tag: Tag) -> None:
        """Render one element: headings, list items, table rows, pre and generic blocks."""
        name = tag.name.lower()
        if name not in _BLOCKS and name not in _HEADINGS:
            self._walk(tag)
            return
        self._flush()
        if name in _HEADINGS:
            text = collapse(tag.get_text(" "))
            if text:
                self.lines.append(f"{'#' * _HEADINGS[name]} {text}")
        elif name == "tr":
            cells = tag.find_all(["td", "th"], recursive=False)
            texts = [collapse(cell.get_text(" ")) for cell in cells]
            row = " | ".join(text for text in texts if text)
            if row:
                self.lines.append(escape_heading(row))
        elif name == "pre":
            # Preformatted text (commands, config) keeps its line breaks.
            for line in tag.get_text().split("\n"):
                if line.strip():
                    self.lines.append(escape_heading(line.rstrip()))
        else:
            if name == "li":
                self._prefix = "- "
            self._walk(tag)
            self._flush()
            self._prefix = ""
