"""One line of inline Markdown as Slack mrkdwn: code, links, citations, URLs, emphasis, escaping.

Code, links and URLs are converted first and set aside (as private-use placeholder characters)
so that emphasis pairing and escaping never reach inside them; the rest of the line is then
emphasis-converted and escaped, and the finished pieces are put back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.slack.emphasis import convert_emphasis

Links = Mapping[int, str]

_SAFE_SCHEMES = ("http://", "https://", "mailto:")
_HOLD = 0xF0000  # first placeholder: Unicode's plane 15 is private use, never in an answer
_HELD = re.compile("[\U000f0000-\U000ffffd]")
_TICKS = re.compile(r"`+")
_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_ENTITY = re.compile(r"&(amp|lt|gt|quot|#39);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "#39": "'"}
_DESTINATION = re.compile(
    r"\(\s*(?:<([^<>\n]*)>|((?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))*))"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\)"
)
_CITATION = re.compile(r"\d+(?:\s*,\s*\d+)*")
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]*:[^\s<>]*)>")
_EMAIL = re.compile(r"<([^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)>")
_BARE_URL = re.compile(r"https?://[^\s<>\"`\u0080-\U0010ffff]+", re.IGNORECASE)
_NESTED_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_BACKSLASHED = re.compile(r"\\([!-/:-@\[-`{-~])")


def escape(text: str) -> str:
    """Escape Slack's control characters so the text is shown as typed, never parsed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, text: str = "") -> str:
    """Return a Slack link to ``url`` labelled ``text``, or just the label if ``url`` is unsafe.

    Only http(s) and mailto URLs become links; anything else (``javascript:``, a relative path)
    is not clickable in Slack, so the label (or the escaped URL) is shown as plain text.
    """
    label = " ".join(text.split())
    target = _link_target(url)
    if target is None:
        return escape(label or url.strip())
    if not label or label == url.strip():
        return f"<{target}>"
    # Slack ends the label at the first `|` or `>`: show a look-alike bar, escape the rest
    return f"<{target}|{escape(label).replace('|', '¦')}>"


def convert_inline(text: str, links: Links) -> str:
    """Convert one line of inline Markdown to mrkdwn; ``links`` maps ``[n]`` to URLs."""
    return _Line(_HELD.sub("", text), links).convert()


def _link_target(url: str) -> str | None:
    url = url.strip().removeprefix("<").removesuffix(">").strip()
    if not url.lower().startswith(_SAFE_SCHEMES) or url.lower() in _SAFE_SCHEMES:
        return None
    for char, code in (("|", "%7C"), ("<", "%3C"), (">", "%3E"), (" ", "%20")):
        url = url.replace(char, code)
    return url.replace("&", "&amp;")


class _Line:
    """One line being converted; each ``_read_*`` returns (finished mrkdwn, next index)."""

    def __init__(self, text: str, links: Links) -> None:
        self.text = text
        self.links = links
        self.brackets = _bracket_pairs(text)

    def convert(self) -> str:
        held: list[str] = []
        marked: list[str] = []
        readers = (self._code, self._backslash, self._entity, self._bracket, self._angle)
        readers += (self._bare_url,)
        i = 0
        while i < len(self.text):
            for read in readers:
                found = read(i)
                if found:
                    held.append(found[0])
                    marked.append(chr(_HOLD + len(held) - 1))
                    i = found[1]
                    break
            else:
                marked.append(self.text[i])
                i += 1
        converted = escape(convert_emphasis("".join(marked)))
        return _HELD.sub(lambda m: held[ord(m.group()) - _HOLD], converted)

    def _code(self, i: int) -> tuple[str, int] | None:
        ticks = _TICKS.match(self.text, i)
        if not ticks:
            return None
        width = len(ticks.group())
        close = re.compile(rf"(?<!`)`{{{width}}}(?!`)").search(self.text, ticks.end())
        if not close:
            return escape(ticks.group()), ticks.end()  # an unmatched run is literal backticks
        code = self.text[ticks.end() : close.start()]
        if len(code) > 2 and code[0] == code[-1] == " " and code.strip():
            code = code[1:-1]
        return f"`{escape(code)}`", close.end()

    def _backslash(self, i: int) -> tuple[str, int] | None:
        text = self.text
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in _ASCII_PUNCT:
            return escape(text[i + 1]), i + 2
        return None

    def _entity(self, i: int) -> tuple[str, int] | None:
        # An answer that arrives already escaped must not be escaped twice
        entity = _ENTITY.match(self.text, i)
        return (escape(_ENTITIES[entity.group(1)]), entity.end()) if entity else None

    def _bracket(self, i: int) -> tuple[str, int] | None:
        start = i + 1 if self.text.startswith("![", i) else i
        close = self.brackets.get(start)
        if close is None:
            return None
        label = self.text[start + 1 : close]
        if destination := _DESTINATION.match(self.text, close + 1):
            url = destination.group(1) or _BACKSLASHED.sub(r"\1", destination.group(2) or "")
            return link(url, _plain(label)), destination.end()
        if start == i and self.links and _CITATION.fullmatch(label):
            return self._citation(label, close + 1)
        return None

    def _citation(self, label: str, end: int) -> tuple[str, int] | None:
        numbers = [int(n) for n in re.findall(r"\d+", label)]
        if not any(n in self.links for n in numbers):
            return None
        linked = (link(self.links[n], f"[{n}]") if n in self.links else f"[{n}]" for n in numbers)
        return "".join(linked), end

    def _angle(self, i: int) -> tuple[str, int] | None:
        if autolink := _AUTOLINK.match(self.text, i):
            url, _, label = autolink.group(1).partition("|")  # a Slack-style <url|label>
            return link(url, label), autolink.end()
        if email := _EMAIL.match(self.text, i):
            return link(f"mailto:{email.group(1)}", email.group(1)), email.end()
        return None

    def _bare_url(self, i: int) -> tuple[str, int] | None:
        text = self.text
        found = _BARE_URL.match(text, i)
        if not found or (i and _ascii_word(text[i - 1])):
            return None
        url = found.group()
        while url and (url[-1] in ".,:;!?*_~'\"" or _unbalanced(url)):
            url = url[:-1]
        end = i + len(url)
        before, after = text[i - 1 : i], text[end : end + 1]
        if (not before or before.isspace() or before in "([") and (
            not after or after.isspace() or after in ".,:;!?)]"
        ):
            return escape(url), end  # Slack links a URL standing on its own
        return link(url), end  # wrapped so Slack cannot take neighbours (`**`, Hangul) into it


def _bracket_pairs(text: str) -> dict[int, int]:
    """Map each ``[`` to its matching ``]`` (nesting and backslash escapes respected)."""
    pairs: dict[int, int] = {}
    opened: list[int] = []
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 1
        elif text[i] == "[":
            opened.append(i)
        elif text[i] == "]" and opened:
            pairs[opened.pop()] = i
        i += 1
    return pairs


def _plain(label: str) -> str:
    """Reduce a link label's Markdown to plain text: Slack labels cannot nest formatting."""
    label = _NESTED_LINK.sub(r"\1", label)
    label = re.sub(r"(\*\*|__|~~)(.+?)\1", r"\2", label).replace("`", "")
    return _BACKSLASHED.sub(r"\1", label)


def _unbalanced(url: str) -> bool:
    return any(url[-1] == c and url.count(o) < url.count(c) for o, c in ("()", "[]"))


def _ascii_word(char: str) -> bool:
    return char.isascii() and char.isalnum()
