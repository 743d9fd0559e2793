"""Regression thresholds: a run that falls below an agreed figure fails the build."""

from __future__ import annotations

import json
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent / "thresholds.json"


def _lookup(result: dict, dotted: str):
    value = result
    for part in dotted.split("."):
        value = value[part]
    return value


def check(result: dict, thresholds_file: Path = DEFAULT, section: str | None = None) -> list[str]:
    """Return one message per metric of ``result`` that fell below its minimum.

    ``section`` names the table entry (default: the dataset; ``NAME:run`` for ``eval run``).
    """
    table = json.loads(thresholds_file.read_text(encoding="utf-8"))
    minimums = table.get(section or result["dataset"], {})
    problems = []
    for metric, minimum in minimums.items():
        value = _lookup(result, metric)
        if value is None or value < minimum:
            shown = "n/a" if value is None else f"{value:.3f}"
            gap = "" if value is None else f" (fell by {minimum - value:.3f})"
            problems.append(f"{result['dataset']}: {metric} = {shown} < minimum {minimum}{gap}")
    return problems
