"""Eval history: one JSON line per run, and `eval compare`'s deltas with their direction."""

from __future__ import annotations

import json
import re

import pytest

from evals.history import (
    HistoryError,
    append,
    format_compare,
    git_commit,
    load_reference,
    read_history,
)
from evals.metrics import recall_curve
from evals.registry import entries, format_registry

pytestmark = pytest.mark.unit


def _run(fcr: float, p95: float, threshold: float = 0.8) -> dict:
    return {
        "kind": "run",
        "dataset": "demo",
        "questions": 10,
        "config": {"embedder": "hash", "fusion": "convex"},
        "threshold": threshold,
        "backend": "extractive",
        "model": "extractive",
        "fcr": fcr,
        "ndcg@10": 0.7,
        "answer_latency_ms": {"p50": 30.0, "p95": p95},
        "per_question": [{"qid": "q1"}],
    }


def test_each_run_appends_one_line_with_date_commit_config_and_metrics(tmp_path) -> None:
    history = tmp_path / "h" / "history.jsonl"
    append(_run(0.6, 40.0), history)
    append(_run(0.7, 50.0), history)
    lines = read_history(history)
    assert len(lines) == 2
    first = lines[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first["date"])
    assert first["commit"] == "unknown" or re.fullmatch(r"[0-9a-f]{40}", first["commit"])
    assert first["dataset"] == "demo" and first["command"] == "run"
    assert first["config"] == {
        "embedder": "hash",
        "fusion": "convex",
        "threshold": 0.8,
        "backend": "extractive",
        "model": "extractive",
    }
    assert first["metrics"]["fcr"] == 0.6
    assert first["metrics"]["answer_latency_ms.p95"] == 40.0
    assert "per_question" not in json.dumps(first)  # history stays small


def test_git_commit_outside_a_checkout_is_unknown(tmp_path) -> None:
    assert git_commit(tmp_path) == "unknown"


def test_compare_prints_each_delta_with_direction_and_verdict(tmp_path) -> None:
    history = tmp_path / "history.jsonl"
    append(_run(0.6, 40.0), history)
    newer = tmp_path / "new.json"
    newer.write_text(json.dumps(_run(0.7, 55.0, threshold=0.9)), encoding="utf-8")
    text = format_compare(load_reference("history:-1", history), load_reference(str(newer)))
    rows = {line.split()[0]: line for line in text.splitlines()}
    assert rows["fcr"].split()[1:] == ["0.600", "0.700", "+0.100", "↑", "better"]
    # Latency going up is worse; an unchanged figure says so.
    assert rows["answer_latency_ms.p95"].endswith("+15.0  ↑ worse")
    assert rows["ndcg@10"].endswith("= same")
    assert "config threshold: 0.8 -> 0.9" in text


def test_a_fall_reads_as_worse_and_a_faster_run_as_better(tmp_path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_run(0.7, 50.0)), encoding="utf-8")
    b.write_text(json.dumps(_run(0.65, 20.0)), encoding="utf-8")
    text = format_compare(load_reference(str(a)), load_reference(str(b)))
    assert "-0.050  ↓ worse" in text
    assert "-30.0  ↓ better" in text


def test_bad_references_are_clear_errors(tmp_path) -> None:
    history = tmp_path / "history.jsonl"
    with pytest.raises(HistoryError, match="no such history entry"):
        load_reference("history:-1", history)
    with pytest.raises(HistoryError, match="no such file"):
        load_reference(str(tmp_path / "missing.json"), history)
    history.write_text('{"dataset": "x"}\n{oops\n', encoding="utf-8")
    with pytest.raises(HistoryError, match=r"history\.jsonl:2: not JSON"):
        read_history(history)


def test_recall_curve_matches_a_hand_count() -> None:
    gold = {"q1": ["a"], "q2": ["b", "c"], "q3": []}
    ranked = {"q1": ["x", "a"], "q2": ["c", "y", "b"]}
    curve = recall_curve(gold, ranked, max_k=3)
    # k=1: q1 0, q2 1/2; k=2: q1 1, q2 1/2; k=3: q1 1, q2 1 (q3 has no gold and does not count)
    assert curve == [0.25, 0.75, 1.0]


def test_the_registry_names_the_sample_set_and_the_shared_sets() -> None:
    names = {e.name: e for e in entries()}
    assert names["sample"].path is not None and names["sample"].kind == "questions"
    assert {"emanual_tv_en", "smartstore_faq_ko", "it_tickets_en"} <= set(names)
    assert names["it_tickets_en"].kind == "triage"
    assert "sample" in format_registry()
