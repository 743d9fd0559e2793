"""Labelled examples: the requests triage learns from (``examples.jsonl`` beside this module)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bot.tickets.records import PRIORITIES, Priority


class ExamplesError(ValueError):
    """The labelled examples could not be read or are not usable for training."""


@dataclass(frozen=True)
class Example:
    """One labelled request."""

    text: str
    category: str
    priority: Priority | None = None


def load_examples(path: Path) -> list[Example]:
    """Read a JSONL of ``{text, category[, priority]}``; raise ``ExamplesError`` on bad lines."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise ExamplesError(f"cannot read {path}: {err}") from err
    examples = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise ExamplesError(f"{path}:{number}: not JSON ({err.msg})") from err
        examples.append(_example(row, f"{path}:{number}"))
    if not examples:
        raise ExamplesError(f"{path}: no examples")
    return examples


def _example(row: object, where: str) -> Example:
    if not isinstance(row, dict):
        raise ExamplesError(f"{where}: expected an object with text and category")
    text, category, priority = row.get("text"), row.get("category"), row.get("priority")
    if not isinstance(text, str) or not text.strip():
        raise ExamplesError(f"{where}: 'text' must be a non-empty string")
    if not isinstance(category, str) or not category.strip():
        raise ExamplesError(f"{where}: 'category' must be a non-empty string")
    if priority is not None and priority not in PRIORITIES:
        raise ExamplesError(f"{where}: 'priority' must be one of {', '.join(PRIORITIES)}")
    return Example(text.strip(), category.strip(), priority)
