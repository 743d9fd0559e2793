"""Splitting article text into sentences and list items (Korean and English)."""

from __future__ import annotations

import re

# Ends of sentences: . ! ? (and the Korean "다." / "요." that they cover) followed by space.
_END = re.compile(r"(?<=[.!?。])\s+(?=\S)")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")


def split_sentences(text: str) -> list[str]:
    """Sentences and list items of ``text``, in order, without Markdown bullets or headings."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or set(line) <= set("|-: "):
            continue
        if line.startswith("|"):
            # A table row reads as its cells in order.
            out.append(" · ".join(c.strip() for c in line.strip("|").split("|") if c.strip()))
            continue
        line = _BULLET.sub("", line).strip()
        out.extend(s.strip() for s in _END.split(line) if len(s.strip()) > 1)
    return out


def is_list_item(line: str) -> bool:
    """Whether a raw line is a bullet or numbered step."""
    return bool(_BULLET.match(line))
