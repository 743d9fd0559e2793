"""The datasets the eval commands know by name: the project's own and ../shared/eval's.

A name is looked up in the search folders of ``evals.datasets`` (built-ins,
``SERVICEDESK_EVAL_DIRS``, ``../shared/eval`` beside the repository); any folder or file path
works too. A folder with ``questions.jsonl`` is a question set (``eval retrieval`` / ``eval run``),
one with ``tickets.jsonl`` a triage set (``eval triage``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evals.datasets import search_dirs

# The sets the project is measured on (DESIGN.md §6); others are found by scanning.
KNOWN = {
    "sample": "the project's own IT articles and questions (ko+en)",
    "emanual_tv_en": "Smart TV manual sections and questions (en)",
    "smartstore_faq_ko": "SmartStore seller-centre FAQ (ko)",
    "it_tickets_en": "labelled IT service-desk tickets (en, triage)",
}


@dataclass(frozen=True)
class Entry:
    """One dataset the eval commands can run."""

    name: str
    kind: str  # questions | triage
    path: Path | None  # None: a known set that is not on this machine
    description: str = ""

    @property
    def commands(self) -> str:
        """The eval commands that take this dataset."""
        if self.name == "sample":  # also the project's triage examples
            return "retrieval, run, triage"
        return "triage" if self.kind == "triage" else "retrieval, run"


def _kind(folder: Path) -> str | None:
    if (folder / "questions.jsonl").is_file():
        return "questions"
    if (folder / "tickets.jsonl").is_file():
        return "triage"
    return None


def entries(extra: Sequence[Path] = ()) -> list[Entry]:
    """Every dataset found in the search folders (``extra``: more of them), plus the known ones
    that are missing."""
    found: dict[str, Entry] = {}
    for root in search_dirs(extra):
        if not root.is_dir():
            continue
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            kind = _kind(folder)
            if kind and folder.name not in found:
                found[folder.name] = Entry(folder.name, kind, folder, KNOWN.get(folder.name, ""))
    for name, text in KNOWN.items():
        if name not in found:
            kind = "triage" if name == "it_tickets_en" else "questions"
            found[name] = Entry(name, kind, None, text)
    return sorted(found.values(), key=lambda e: (e.name not in KNOWN, e.name))


def format_registry(extra: Sequence[Path] = ()) -> str:
    """One line per dataset: name, what it is, which commands take it, where it lies."""
    lines = []
    for e in entries(extra):
        where = str(e.path) if e.path else "not on this machine"
        lines.append(f"{e.name:<20} {e.commands:<24} {e.description}\n{'':<45} {where}")
    return "\n".join(lines)
