"""Evaluation metrics on hand-checked inputs."""

from __future__ import annotations

import pytest

from evals.metrics import auroc, percentiles, ranking_metrics

pytestmark = pytest.mark.unit


def test_perfect_ranking_scores_one() -> None:
    m = ranking_metrics({"q1": ["a"], "q2": ["b"]}, {"q1": ["a", "x"], "q2": ["b"]})
    assert m == pytest.approx(
        {"ndcg@10": 1, "recall@1": 1, "recall@5": 1, "recall@10": 1, "mrr@10": 1}
    )


def test_second_place_halves_mrr_and_misses_recall_at_one() -> None:
    m = ranking_metrics({"q1": ["a"]}, {"q1": ["x", "a"]})
    assert m["mrr@10"] == pytest.approx(0.5)
    assert m["recall@1"] == 0.0 and m["recall@5"] == 1.0


def test_question_with_no_results_counts_as_zero() -> None:
    m = ranking_metrics({"q1": ["a"], "q2": ["b"]}, {"q1": ["a"]})
    assert m["recall@10"] == pytest.approx(0.5)


def test_questions_without_gold_are_left_out() -> None:
    m = ranking_metrics({"q1": ["a"], "q2": []}, {"q1": ["a"], "q2": ["zzz"]})
    assert m["ndcg@10"] == pytest.approx(1.0)


def test_auroc_perfect_random_and_undefined() -> None:
    assert auroc([0.9, 0.8, 0.1, 0.2], [True, True, False, False]) == 1.0
    assert auroc([0.5, 0.5], [True, False]) == 0.5
    assert auroc([0.1, 0.2], [False, False]) is None


def test_percentiles() -> None:
    p = percentiles([float(i) for i in range(1, 101)])
    assert p["p50"] == pytest.approx(50.5) and p["p95"] == pytest.approx(95.05)
