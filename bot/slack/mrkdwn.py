"""The Desk's Markdown answers as Slack mrkdwn: pure text in, text out, no SDK, no network.

Slack treats only ``&``, ``<`` and ``>`` as control characters (escaped as ``&amp;``, ``&lt;``,
``&gt;``), links are ``<url|text>``, bold is ``*b*``, italic ``_i_``, strike ``~s~``, and there
are no headings, lists or tables. Everything the answer's author typed as text (``<script>``,
``<!channel>``, ``a < b & c``) is escaped, so Slack shows it rather than acting on it.
"""

from __future__ import annotations

import re

from bot.slack.spans import Links, convert_inline, escape, link

__all__ = ["escape", "link", "to_mrkdwn"]

_BULLETS = ("•", "◦", "▪")
_INDENT = "    "
_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})(.*)$")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_QUOTE = re.compile(r"^ {0,3}> ?")
_ITEM = re.compile(r"^([ \t]*)([-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_STRONG = re.compile(r"(\*\*|__)(.+?)\1")


def to_mrkdwn(markdown: str, links: Links | None = None) -> str:
    """Convert Markdown as the Desk writes it to Slack mrkdwn.

    ``links`` maps citation numbers to URLs: ``[n]`` becomes a link to ``links[n]``; without
    an entry it stays plain text. Code (inline and fenced) keeps its text verbatim, escaped.
    """
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return _tidy(_Blocks(links or {}).convert(lines))


def _tidy(lines: list[str]) -> str:
    """Drop trailing spaces and repeated blank lines (a code block is one multi-line item)."""
    kept: list[str] = []
    for line in lines:
        line = line.rstrip()
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip("\n")


class _Blocks:
    """Line-by-line conversion of block structure; inline text goes to ``convert_inline``."""

    def __init__(self, links: Links) -> None:
        self.links = links
        self.indents: list[int] = []  # marker columns of the open list levels
        self.continuation = ""  # prefix that lines up a list item's wrapped text

    def convert(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(lines):
            for block in (self._code, self._table, self._quote):
                found = block(lines, i)
                if found:
                    out += found[0]
                    i = found[1]
                    break
            else:
                out.append(self._line(lines[i]))
                i += 1
        return out

    def _line(self, line: str) -> str:
        if not line.strip():
            return ""
        if _RULE.match(line):
            self.indents = []
            return ""  # Slack has no rule; a blank line keeps the separation
        if heading := _HEADING.match(line):
            self.indents = []
            text = convert_inline(_unbold(heading.group(1) or ""), self.links)
            return f"*{text}*" if text else ""
        if item := _ITEM.match(line.expandtabs(4)):
            return self._item(item)
        if self.indents and line.expandtabs(4)[:2].isspace():
            return self.continuation + convert_inline(line.strip(), self.links)
        self.indents = []
        return convert_inline(line.strip(), self.links)

    def _item(self, item: re.Match[str]) -> str:
        column, marker, text = len(item.group(1)), item.group(2), item.group(3) or ""
        while self.indents and column < self.indents[-1]:
            self.indents.pop()
        if not self.indents or column > self.indents[-1]:
            self.indents.append(column)
        level = len(self.indents) - 1
        if marker in "-*+":
            marker = _BULLETS[min(level, len(_BULLETS) - 1)]
        for box, mark in (("[ ] ", "☐ "), ("[x] ", "☑ "), ("[X] ", "☑ ")):
            if text.startswith(box):
                text = mark + text[len(box) :]
        self.continuation = _INDENT * level + " " * (len(marker) + 1)
        return f"{_INDENT * level}{marker} {convert_inline(text.strip(), self.links)}"

    def _code(self, lines: list[str], i: int) -> tuple[list[str], int] | None:
        fence = _FENCE.match(lines[i])
        if not fence or (fence.group(2)[0] == "`" and "`" in fence.group(3)):
            return None
        indent, ticks = len(fence.group(1)), fence.group(2)
        closing = re.compile(rf"^[ \t]*{re.escape(ticks[0])}{{{len(ticks)},}}[ \t]*$")
        body: list[str] = []
        i += 1
        while i < len(lines) and not closing.match(lines[i]):
            line = lines[i]
            body.append(line[min(indent, len(line) - len(line.lstrip(" "))) :])
            i += 1
        # Slack drops a language tag into the code, so it is left out; an unclosed fence runs to
        # the end, as in Markdown
        code = escape("\n".join(body).strip("\n"))
        return ([f"```\n{code}\n```"] if code.strip() else []), i + 1

    def _quote(self, lines: list[str], i: int) -> tuple[list[str], int] | None:
        start = i
        while i < len(lines) and _QUOTE.match(lines[i]):
            i += 1
        if i == start:
            return None
        inner = [_QUOTE.sub("", line, count=1) for line in lines[start:i]]
        text = _tidy(_Blocks(self.links).convert(inner))
        self.indents = []
        return [f"> {line}" if line else ">" for line in text.split("\n")], i

    def _table(self, lines: list[str], i: int) -> tuple[list[str], int] | None:
        if "|" not in lines[i] or i + 1 >= len(lines) or not _TABLE_RULE.match(lines[i + 1]):
            return None
        header = _cells(lines[i])
        if len(header) != len(_cells(lines[i + 1])):
            return None
        i += 2
        rows: list[str] = []
        while i < len(lines) and "|" in lines[i] and lines[i].strip():
            rows.append(self._row(header, _cells(lines[i])))
            i += 1
        self.indents = []
        if not rows:
            return [f"*{' · '.join(convert_inline(_unbold(h), self.links) for h in header)}*"], i
        return rows, i

    def _row(self, header: list[str], cells: list[str]) -> str:
        """Render a table row as one bullet: ``• *first cell* — Header: cell · Header: cell``."""
        cells = (cells + [""] * len(header))[: len(header)]
        title = convert_inline(_unbold(cells[0]), self.links)
        pairs = " · ".join(
            f"{convert_inline(_unbold(name), self.links)}: {convert_inline(cell, self.links)}"
            for name, cell in zip(header[1:], cells[1:], strict=True)
            if cell
        )
        if title and len(header) > 1:
            title = f"*{title}*"
        return "• " + " — ".join(part for part in (title, pairs) if part)


def _cells(row: str) -> list[str]:
    row = row.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return [cell.strip() for cell in _CELL_SPLIT.split(row)]


def _unbold(text: str) -> str:
    return _STRONG.sub(r"\2", text)
