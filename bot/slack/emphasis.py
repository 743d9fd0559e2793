"""Markdown emphasis (``**b**``, ``*i*``, ``_i_``, ``~~s~~``) rewritten as Slack's markers.

Runs of ``*``, ``_`` and ``~`` are paired the way CommonMark pairs them (flanking rules, openers
on a stack), with two deliberate differences: a ``*`` between two ASCII letters or digits is
literal (``2*3*4`` is arithmetic, not emphasis), and a Hangul or other wide character next to a
marker counts as a word boundary, so ``**"굵게"**를`` is still bold. Only ``~~`` strikes: a single
``~`` is how Korean writes ranges (``1~2일``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

_RUN = re.compile(r"\*+|_+|~+")
# (marker, width) -> Slack marker: Markdown's strong is Slack's bold, em is Slack's italic
_SLACK = {("*", 2): "*", ("_", 2): "*", ("*", 1): "_", ("_", 1): "_", ("~", 2): "~"}


@dataclass
class _Run:
    """One run of identical markers and what it became once paired."""

    char: str
    count: int
    start: int
    end: int
    can_open: bool
    can_close: bool
    opens: list[str] = field(default_factory=list)  # innermost last
    closes: list[str] = field(default_factory=list)  # innermost first

    def render(self) -> str:
        return "".join(self.closes) + self.char * self.count + "".join(reversed(self.opens))


def convert_emphasis(text: str) -> str:
    """Rewrite one line's Markdown emphasis as Slack mrkdwn; unpaired markers stay literal."""
    runs = [_run(text, m) for m in _RUN.finditer(text)]
    openers: list[_Run] = []
    for run in runs:
        if run.can_close:
            _close(run, openers)
        if run.can_open and run.count:
            openers.append(run)
    pieces, pos = [], 0
    for run in runs:
        pieces += [text[pos : run.start], run.render()]
        pos = run.end
    return "".join(pieces) + text[pos:]


def _close(run: _Run, openers: list[_Run]) -> None:
    while run.count:
        k = next((k for k in reversed(range(len(openers))) if openers[k].char == run.char), None)
        if k is None:
            return
        opener = openers[k]
        del openers[k + 1 :]  # openers inside the pair can no longer close: they stay literal
        width = 2 if opener.count >= 2 and run.count >= 2 else 1
        opener.count -= width
        run.count -= width
        opener.opens.append(_SLACK[run.char, width])
        run.closes.append(_SLACK[run.char, width])
        if not opener.count:
            openers.pop()


def _run(text: str, match: re.Match[str]) -> _Run:
    char, count = match.group()[0], len(match.group())
    before = text[match.start() - 1] if match.start() else ""
    after = text[match.end()] if match.end() < len(text) else ""
    left = not _space(after) and (not _punct(after) or _boundary(before))
    right = not _space(before) and (not _punct(before) or _boundary(after))
    if char == "*":
        if _ascii_word(before) and _ascii_word(after):
            left = right = False
        can_open, can_close = left, right
    elif char == "_":
        can_open = left and (not right or _punct(before))
        can_close = right and (not left or _punct(after))
    else:
        can_open, can_close = left and count == 2, right and count == 2
    return _Run(char, count, match.start(), match.end(), can_open, can_close)


def _space(char: str) -> bool:
    return not char or char.isspace()


def _punct(char: str) -> bool:
    return bool(char) and unicodedata.category(char)[0] in "PS"


def _boundary(char: str) -> bool:
    """Whether ``char`` outside a marker ends a word: space, punctuation, or a wide character."""
    return _space(char) or _punct(char) or unicodedata.east_asian_width(char) in "WF"


def _ascii_word(char: str) -> bool:
    return char.isascii() and char.isalnum()
