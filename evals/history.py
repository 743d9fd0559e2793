"""Eval history: one JSON line per run, and the deltas between two runs.

Every ``eval retrieval|run|triage`` appends its date, git commit, configuration and headline
metrics to ``evals/history.jsonl`` (``SERVICEDESK_EVAL_HISTORY`` or ``--history`` moves it), so
a change's effect on quality can be read back later with ``eval compare``.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from evals.settings import DEFAULT_HISTORY

REPO = Path(__file__).resolve().parent.parent

# Headline metrics in the order they are printed; dotted keys reach into nested figures.
HEADLINES = (
    "fcr",
    "escalation_recall",
    "escalation_precision",
    "answer_citation_accuracy",
    "answer_token_f1",
    "ndcg@10",
    "recall@1",
    "recall@5",
    "recall@10",
    "mrr@10",
    "escalation_auroc",
    "accuracy",
    "macro_f1",
    "priority.accuracy",
    "answer_latency_ms.p50",
    "answer_latency_ms.p95",
    "query_latency_ms.p50",
    "query_latency_ms.p95",
    "predict_ms_per_text",
)


class HistoryError(ValueError):
    """A history file or a run reference could not be read."""


def history_path(path: Path | None = None) -> Path:
    """The history file: ``path`` (the CLI passes ``EvalSettings.history``), else the default."""
    return path or DEFAULT_HISTORY


def git_commit(repo: Path = REPO) -> str:
    """The checked-out commit, or ``unknown`` outside a git checkout."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "unknown"


def _lookup(result: dict, dotted: str):
    value = result
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def headline_metrics(result: dict) -> dict[str, float]:
    """The headline figures a run has (numbers only), keyed as in ``HEADLINES``."""
    out = {}
    for key in HEADLINES:
        value = _lookup(result, key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = float(value)
    return out


def configuration(result: dict) -> dict:
    """What the run was configured with: retrieval settings, threshold, backend, model."""
    config = dict(result.get("config") or {})
    for key in ("threshold", "backend", "model", "folds"):
        if result.get(key) is not None:
            config[key] = result[key]
    return config


def entry(result: dict, command: str | None = None, commit: str | None = None) -> dict:
    """One history line for ``result`` (the payload an eval command writes with ``--json``)."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit or git_commit(),
        "dataset": result.get("dataset"),
        "command": command or result.get("kind") or "unknown",
        "questions": result.get("questions", result.get("examples")),
        "config": configuration(result),
        "metrics": headline_metrics(result),
    }


def append(result: dict, path: Path | None = None, command: str | None = None) -> dict:
    """Append ``result``'s history line to the history file; return the line."""
    line = entry(result, command)
    target = history_path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    return line


def read_history(path: Path | None = None) -> list[dict]:
    """Every history line, oldest first (``HistoryError`` names a corrupt line)."""
    target = history_path(path)
    if not target.is_file():
        return []
    lines = []
    for n, text in enumerate(target.read_text(encoding="utf-8").splitlines(), start=1):
        if text.strip():
            try:
                lines.append(json.loads(text))
            except ValueError as err:
                raise HistoryError(f"{target}:{n}: not JSON ({err})") from err
    return lines


def load_reference(ref: str, path: Path | None = None) -> dict:
    """A history-shaped entry for ``ref``: a run JSON file, or ``history:N`` (``-1`` = latest)."""
    if ref.startswith("history:"):
        lines = read_history(path)
        try:
            index = int(ref.split(":", 1)[1])
            found = lines[index]
        except (ValueError, IndexError) as err:
            raise HistoryError(
                f"{ref}: no such history entry ({len(lines)} in {history_path(path)})"
            ) from err
        return {**found, "label": ref}
    file = Path(ref)
    if not file.is_file():
        raise HistoryError(f"{ref}: no such file (give a run JSON or history:N)")
    try:
        result = json.loads(file.read_text(encoding="utf-8"))
    except ValueError as err:
        raise HistoryError(f"{ref}: not JSON ({err})") from err
    if not isinstance(result, dict):
        raise HistoryError(f"{ref}: not an eval run (expected a JSON object)")
    return {
        "label": ref,
        "date": None,
        "commit": None,
        "dataset": result.get("dataset"),
        "command": result.get("kind"),
        "config": configuration(result),
        "metrics": headline_metrics(result),
    }


def lower_is_better(metric: str) -> bool:
    """Latencies and timings improve as they fall; every other figure as it rises."""
    return "latency" in metric or metric.endswith("_ms") or "seconds" in metric


def format_compare(a: dict, b: dict) -> str:
    """Each metric both runs have: A, B, the delta with its direction, better or worse."""
    lines = [f"A: {_describe(a)}", f"B: {_describe(b)}"]
    changed = {k: (a["config"].get(k), v) for k, v in b["config"].items()}
    changed = {k: v for k, v in changed.items() if v[0] != v[1]}
    for key, (old, new) in changed.items():
        lines.append(f"config {key}: {old} -> {new}")
    if a.get("dataset") != b.get("dataset"):
        lines.append(f"warning: different datasets ({a.get('dataset')} vs {b.get('dataset')})")
    shared = [m for m in HEADLINES if m in a["metrics"] and m in b["metrics"]]
    if not shared:
        lines.append("no metric in common")
        return "\n".join(lines)
    lines.append(f"{'metric':<26}{'A':>11}{'B':>11}{'delta':>11}")
    for metric in shared:
        old, new = a["metrics"][metric], b["metrics"][metric]
        verdict = _verdict(metric, new - old)
        p = 1 if lower_is_better(metric) else 3  # milliseconds need no more than a tenth
        lines.append(f"{metric:<26}{old:>11.{p}f}{new:>11.{p}f}{new - old:>+11.{p}f}  {verdict}")
    return "\n".join(lines)


def _verdict(metric: str, delta: float) -> str:
    if abs(delta) < 5e-4:
        return "= same"
    arrow = "↑" if delta > 0 else "↓"
    better = (delta < 0) if lower_is_better(metric) else (delta > 0)
    return f"{arrow} {'better' if better else 'worse'}"


def _describe(run: dict) -> str:
    parts = [str(run.get("label", "")), f"{run.get('dataset')} ({run.get('command')})"]
    if run.get("date"):
        parts.append(run["date"])
    if run.get("commit"):
        parts.append(str(run["commit"])[:10])
    return ", ".join(p for p in parts if p)
