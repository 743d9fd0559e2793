"""Fusing rankings: weighted reciprocal rank fusion and aggregation of chunks to articles."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def best_per_article(
    scored_chunks: Iterable[tuple[str, float]], article_of: Mapping[str, str]
) -> list[tuple[str, str, float]]:
    """Collapse chunk results into one (article id, best chunk id, score) per article, best first.

    ``scored_chunks`` must already be sorted best first.
    """
    seen: dict[str, tuple[str, str, float]] = {}
    for chunk_id, score in scored_chunks:
        article = article_of[chunk_id]
        if article not in seen:
            seen[article] = (article, chunk_id, score)
    return list(seen.values())


def weighted_rrf(
    rankings: Mapping[str, list[str]], weights: Mapping[str, float], k: int = 60
) -> dict[str, float]:
    """Return fused scores: sum over rankers of weight / (k + rank), ranks from 1.

    A ranker with weight 0 is ignored; an item absent from a ranking gets nothing from it.
    """
    fused: dict[str, float] = {}
    for name, ranking in rankings.items():
        weight = weights.get(name, 1.0)
        if weight <= 0:
            continue
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


def min_max(scores: Mapping[str, float]) -> dict[str, float]:
    """Scale scores to [0, 1] within one result list (all equal: all 1)."""
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi - lo < 1e-12:
        return {key: 1.0 for key in scores}
    return {key: (value - lo) / (hi - lo) for key, value in scores.items()}


def convex(
    scores: Mapping[str, Mapping[str, float]], weights: Mapping[str, float]
) -> dict[str, float]:
    """Weighted sum of min-max normalised scores; an item a ranker missed gets 0 from it.

    Unlike rank fusion this keeps how far ahead a ranker's first result is, which matters
    when one ranker is sure and the other is guessing.
    """
    total = sum(w for w in weights.values() if w > 0) or 1.0
    fused: dict[str, float] = {}
    for name, ranked in scores.items():
        weight = weights.get(name, 1.0)
        if weight <= 0:
            continue
        for item, value in min_max(ranked).items():
            fused[item] = fused.get(item, 0.0) + weight / total * value
    return fused
