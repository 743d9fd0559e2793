"""The unit of knowledge: an article, as every loader produces it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_LATIN = re.compile(r"[A-Za-z]")


class LoaderError(Exception):
    """A file could not be turned into articles; the message is the reason shown to the admin."""


@dataclass
class Article:
    """One knowledge article, format-independent.

    ``text`` is Markdown-like: lines starting with ``#`` are headings, which the chunker uses to
    keep the section path. Loaders of formats without headings (PDF) insert their own.
    """

    article_id: str
    title: str
    text: str
    source: str
    lang: str = ""
    tags: list[str] = field(default_factory=list)
    allowed_groups: list[str] = field(default_factory=list)
    owner: str = ""
    updated: str = ""

    def __post_init__(self) -> None:
        if not self.lang:
            self.lang = detect_language(f"{self.title}\n{self.text}")

    @property
    def content_hash(self) -> str:
        """Hash of everything that ends up in the index, so any edit triggers re-indexing."""
        parts = [
            self.article_id,
            self.title,
            self.text,
            self.source,
            self.lang,
            ",".join(self.tags),
            ",".join(sorted(self.allowed_groups)),
            self.owner,
            self.updated,
        ]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def detect_language(text: str) -> str:
    """Return ``ko`` when Hangul makes up a real share of the letters, else ``en``.

    A script ratio is enough to tell our two languages apart and, unlike a statistical detector,
    is stable on the short, mixed Korean-English text IT articles are full of ("VPN 접속 오류").
    """
    hangul = len(_HANGUL.findall(text))
    latin = len(_LATIN.findall(text))
    if hangul == 0:
        return "en"
    # A Hangul syllable carries about three Latin letters' worth of sound.
    return "ko" if hangul * 3 >= latin * 0.5 else "en"
