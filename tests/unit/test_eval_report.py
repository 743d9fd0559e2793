"""`eval report`: one self-contained HTML page, plots inline, dataset text escaped."""

from __future__ import annotations

import base64
import json
import re

import pytest

from evals.history import HistoryError
from evals.report import desk_failures, load_runs, render_report, retrieval_failures

pytestmark = pytest.mark.unit

SWEEP = [
    {"threshold": t / 10, "fcr": 1 - t / 10, "escalation_recall": t / 10,
     "escalation_precision": 0.5, "answered_share": 1 - t / 10}
    for t in range(11)
]  # fmt: skip


def _record(qid, question, *, escalate=False, decision="answered", cites=True, conf=0.9):
    return {
        "qid": qid, "question": question, "lang": "en", "gold": [] if escalate else ["KB-1"],
        "gold_answers": ["Reset it in the portal."], "should_escalate": escalate,
        "escalate_reason": "removed article" if escalate else None, "confidence": conf,
        "decision_at_0": "answered", "decision": decision, "cites_gold": cites,
        "decline_reason": None if decision == "answered" else "low_confidence (0.40 < 0.80)",
        "cited": ["KB-1"] if cites else ["KB-9"], "retrieved": ["KB-9", "KB-1"],
        "answer": "See [1].", "latency_ms": 30.0 + len(qid),
    }  # fmt: skip


def _desk_run(fcr: float = 0.7) -> dict:
    return {
        "kind": "run", "dataset": "demo", "questions": 4, "answerable": 3, "threshold": 0.8,
        "fcr": fcr, "escalation_recall": 0.5, "ndcg@10": 0.8, "backend": "extractive",
        "config": {"embedder": "hash"}, "sweep": SWEEP,
        "recall_at_k": {"hybrid": [0.5 + i / 20 for i in range(10)],
                        "bm25_only": [0.4 + i / 20 for i in range(10)]},
        "answer_latency_ms": {"p50": 30.0, "p95": 40.0},
        "per_language_answers": {"en": {"fcr": fcr, "escalation_recall": 0.5}},
        "per_language": {"en": {"questions": 4, "hybrid": 0.8, "escalation_auroc": 0.9}},
        "per_question": [
            _record("ok", "How do I reset my password?"),
            _record("wrong", "<script>alert('x')</script> VPN?", cites=False, conf=0.95),
            _record("declined", "Printer jam", decision="declined", conf=0.4),
            _record("esc", "Who won the match?", escalate=True, conf=0.85),
        ],
    }  # fmt: skip


def test_report_is_self_contained_with_plots_as_data_uris() -> None:
    html = render_report([("a", _desk_run())])
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 3  # threshold sweep, recall@k, latency histogram
    assert all(base64.b64decode(img).startswith(b"\x89PNG") for img in images)
    assert not re.search(r'(src|href)="(https?:)?//', html) and "<link" not in html
    assert "Per language" in html and "FCR and escalation recall" in html


def test_failures_table_escapes_dataset_text() -> None:
    html = render_report([("a", _desk_run())])
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; VPN?" in html


def test_worst_failures_put_confident_wrong_answers_before_declines() -> None:
    run = _desk_run()
    rows = desk_failures(run, run["per_question"])
    assert [r["qid"] for r in rows] == ["wrong", "esc", "declined"]
    assert rows[0]["why"] == "answered citing KB-9, not KB-1"
    assert rows[1]["why"].startswith("answered a question to escalate (removed article)")
    assert rows[2]["why"] == "declined: low_confidence (0.40 < 0.80)"
    assert "Reset it in the portal." in rows[0]["expected"]


def test_two_runs_are_shown_side_by_side_and_one_section_each() -> None:
    html = render_report([("before", _desk_run(0.6)), ("after", _desk_run(0.7))])
    summary = html.split("<h2>Summary</h2>", 1)[1].split("<h3>", 1)[0]
    assert "<th>before</th><th>after</th>" in summary
    assert '<td>fcr</td><td class="num">0.600</td><td class="num">0.700</td>' in summary
    assert html.count("<h3>Worst failures</h3>") == 2


def test_retrieval_failures_rank_missing_gold_first() -> None:
    records = [
        {"qid": "top", "question": "a", "gold": ["G"], "should_escalate": False,
         "ranked": {"hybrid": ["G", "x"]}},
        {"qid": "third", "question": "b", "gold": ["G"], "should_escalate": False,
         "ranked": {"hybrid": ["x", "y", "G"]}},
        {"qid": "missing", "question": "c", "gold": ["G"], "should_escalate": False,
         "ranked": {"hybrid": ["x"]}},
    ]  # fmt: skip
    rows = retrieval_failures(records)
    assert [(r["qid"], r["why"]) for r in rows] == [
        ("missing", "gold not in the top 10"),
        ("third", "gold at rank 3"),
    ]


def test_a_file_that_is_not_a_run_is_refused_by_name(tmp_path) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text(json.dumps([1, 2]), encoding="utf-8")
    with pytest.raises(HistoryError, match=r"notes\.json: not an eval run"):
        load_runs([bad])


def test_an_answer_the_judge_graded_wrong_is_a_failure_with_its_reason() -> None:
    run = _desk_run()
    graded = _record("judged", "Reset MFA?")
    graded["judge"] = {"correct": False, "faithful": True, "reason": "misses the portal step"}
    rows = desk_failures(run, [graded])
    assert [r["why"] for r in rows] == ["judged incorrect: misses the portal step"]
