"""Reciprocal rank fusion and chunk-to-article aggregation."""

from __future__ import annotations

import pytest

from retrieval.fusion import best_per_article, convex, min_max, weighted_rrf

pytestmark = pytest.mark.unit


def test_item_ranked_high_by_both_beats_item_ranked_first_by_one() -> None:
    fused = weighted_rrf({"dense": ["a", "b", "c"], "keyword": ["b", "d", "a"]}, {}, k=60)
    assert max(fused, key=fused.get) == "b"


def test_weights_shift_the_winner() -> None:
    rankings = {"dense": ["a", "b"], "keyword": ["b", "a"]}
    dense_heavy = weighted_rrf(rankings, {"dense": 3.0, "keyword": 1.0})
    keyword_heavy = weighted_rrf(rankings, {"dense": 1.0, "keyword": 3.0})
    assert max(dense_heavy, key=dense_heavy.get) == "a"
    assert max(keyword_heavy, key=keyword_heavy.get) == "b"


def test_zero_weight_ranker_is_ignored() -> None:
    fused = weighted_rrf({"dense": ["x"], "keyword": ["y"]}, {"dense": 0.0, "keyword": 1.0})
    assert set(fused) == {"y"}


def test_best_chunk_represents_its_article() -> None:
    chunks = [("A#2", 0.9), ("B#0", 0.8), ("A#0", 0.7), ("C#1", 0.5)]
    article_of = {"A#2": "A", "B#0": "B", "A#0": "A", "C#1": "C"}
    assert best_per_article(chunks, article_of) == [
        ("A", "A#2", 0.9),
        ("B", "B#0", 0.8),
        ("C", "C#1", 0.5),
    ]


def test_min_max_scales_to_unit_interval() -> None:
    assert min_max({"a": 2.0, "b": 4.0, "c": 3.0}) == {"a": 0.0, "b": 1.0, "c": 0.5}
    assert min_max({"a": 7.0}) == {"a": 1.0} and min_max({}) == {}


def test_convex_fusion_keeps_a_confident_rankers_lead() -> None:
    # Dense barely prefers x; BM25 is far surer of y: score fusion follows the surer ranker,
    # where rank fusion would call it a tie.
    dense = {"x": 0.81, "y": 0.80, "z": 0.60}
    keyword = {"y": 12.0, "x": 2.0, "z": 1.0}
    fused = convex({"dense": dense, "keyword": keyword}, {"dense": 1.0, "keyword": 1.0})
    assert max(fused, key=fused.get) == "y"
    ranks = weighted_rrf({"dense": ["x", "y", "z"], "keyword": ["y", "x", "z"]}, {})
    assert ranks["x"] == pytest.approx(ranks["y"])


def test_convex_item_missed_by_a_ranker_gets_nothing_from_it() -> None:
    fused = convex(
        {"dense": {"a": 0.9, "b": 0.1}, "keyword": {"c": 5.0, "d": 1.0}},
        {"dense": 1.0, "keyword": 3.0},
    )
    assert fused == pytest.approx({"a": 0.25, "b": 0.0, "c": 0.75, "d": 0.0})
