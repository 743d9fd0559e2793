"""Load Markdown articles with optional YAML front matter."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ingest.articles import Article, LoaderError
from ingest.loaders._common import EMPTY, read_text, scalar, split_list

SUFFIXES = (".md", ".markdown")

# Front matter must open on the very first line (Jekyll/Hugo convention); "..." also closes YAML.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_H1 = re.compile(r"^#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def load_markdown(path: Path) -> list[Article]:
    """Load one Markdown file as a single article; front matter supplies the metadata."""
    meta, body = split_front_matter(read_text(path))
    body = body.strip()
    if not body:
        raise LoaderError(EMPTY)
    title = scalar(meta.get("title"), "title") or first_h1(body) or path.stem
    return [
        Article(
            article_id=scalar(meta.get("id"), "id") or path.stem,
            title=title,
            text=body,
            source=str(path),
            lang=scalar(meta.get("lang"), "lang").lower(),
            tags=split_list(meta.get("tags"), "tags"),
            allowed_groups=split_list(meta.get("allowed_groups"), "allowed_groups"),
            owner=scalar(meta.get("owner"), "owner"),
            updated=scalar(meta.get("updated"), "updated"),
        )
    ]


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    """Split ``text`` into its front matter mapping (empty if none) and the Markdown body."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1) or "")
    except yaml.YAMLError as exc:
        # The first line of PyYAML's message says what is wrong; the rest is a source excerpt.
        reason = str(exc).strip().split("\n", 1)[0]
        raise LoaderError(f"bad front matter: invalid YAML ({reason})") from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise LoaderError("bad front matter: not a mapping of key: value pairs")
    # Keys like "Title" or "TAGS" are a typo, not a different field.
    return {str(key).strip().lower(): value for key, value in meta.items()}, text[match.end() :]


def first_h1(body: str) -> str:
    """Return the text of the first ``# `` heading outside code fences, or ``""``."""
    in_fence = False
    for line in body.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        match = None if in_fence else _H1.match(line)
        if match:
            return match.group(1).strip()
    return ""
