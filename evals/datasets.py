"""Evaluation datasets in the shared format, found by name or path.

A dataset is a folder with ``questions.jsonl`` and either ``kb.jsonl`` or a ``kb`` entry in
``dataset.json`` naming the files or folders to ingest (paths relative to that folder).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILTIN = Path(__file__).resolve().parent / "datasets"


class DatasetError(ValueError):
    """The dataset could not be found or read."""


@dataclass
class Question:
    """One evaluation question."""

    qid: str
    question: str
    lang: str
    gold_doc_ids: list[str]
    gold_answers: list[str]
    should_escalate: bool
    escalate_reason: str | None = None
    meta: dict = field(default_factory=dict)

    @property
    def user_groups(self) -> list[str]:
        """Groups of the simulated asker (restricted-article questions set them)."""
        return list(self.meta.get("user_groups") or [])


@dataclass
class Dataset:
    """Questions plus the knowledge base they are asked against."""

    name: str
    folder: Path
    kb_paths: list[Path]
    questions: list[Question]

    def subset(self, limit: int | None) -> Dataset:
        """A deterministic subset: every n-th question, keeping the escalate share."""
        if not limit or limit >= len(self.questions):
            return self
        step = len(self.questions) / limit
        picked = [self.questions[int(i * step)] for i in range(limit)]
        return Dataset(self.name, self.folder, self.kb_paths, picked)


def search_dirs(extra: Sequence[Path] = ()) -> list[Path]:
    """Where dataset names are looked up: built-ins, ``extra`` (``EvalSettings.dirs``),
    ../shared/eval."""
    return [BUILTIN, *extra, REPO.parent / "shared" / "eval"]


def resolve(name_or_path: str, extra: Sequence[Path] = ()) -> Path:
    """Find a dataset folder by path or by name (looked up in :func:`search_dirs`)."""
    path = Path(name_or_path)
    if path.is_dir():
        return path
    for folder in search_dirs(extra):
        candidate = folder / name_or_path
        if (candidate / "questions.jsonl").is_file():
            return candidate
    raise DatasetError(
        f"dataset {name_or_path!r} not found (looked in: "
        + ", ".join(str(d) for d in search_dirs(extra))
        + ")"
    )


def load_dataset(name_or_path: str, extra: Sequence[Path] = ()) -> Dataset:
    """Load a dataset's questions and locate its knowledge base (``extra``: more folders to
    look its name up in)."""
    folder = resolve(name_or_path, extra)
    questions_file = folder / "questions.jsonl"
    if not questions_file.is_file():
        raise DatasetError(f"{folder} has no questions.jsonl")
    manifest = folder / "dataset.json"
    if manifest.is_file():
        spec = json.loads(manifest.read_text(encoding="utf-8"))
        kb_paths = [(folder / p).resolve() for p in spec.get("kb", [])]
    elif (folder / "kb.jsonl").is_file():
        kb_paths = [folder / "kb.jsonl"]
    else:
        raise DatasetError(f"{folder} has neither kb.jsonl nor dataset.json")
    questions = []
    with questions_file.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                questions.append(
                    Question(
                        qid=str(row["qid"]),
                        question=row["question"],
                        lang=row.get("lang", ""),
                        gold_doc_ids=list(row.get("gold_doc_ids") or []),
                        gold_answers=list(row.get("gold_answers") or []),
                        should_escalate=bool(row.get("should_escalate")),
                        escalate_reason=row.get("escalate_reason"),
                        meta=row.get("meta") or {},
                    )
                )
            except (ValueError, KeyError, TypeError) as err:
                raise DatasetError(f"{questions_file}:{n}: bad question ({err})") from err
    return Dataset(folder.name, folder, kb_paths, questions)
