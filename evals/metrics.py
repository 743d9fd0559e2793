"""Retrieval and escalation metrics (ranking metrics through ir-measures)."""

from __future__ import annotations

from collections import Counter

import ir_measures
import numpy as np
from ir_measures import MRR, Qrel, R, ScoredDoc, nDCG

from retrieval.terms import terms

_MEASURES = {
    "ndcg@10": nDCG @ 10,
    "recall@1": R @ 1,
    "recall@5": R @ 5,
    "recall@10": R @ 10,
    "mrr@10": MRR @ 10,
}


def ranking_metrics(gold: dict[str, list[str]], ranked: dict[str, list[str]]) -> dict[str, float]:
    """Mean nDCG@10, recall@1/5/10 and MRR@10 over questions that have gold articles.

    A question whose ranking is empty still counts (as zero), unlike ir-measures' default.
    """
    qids = [q for q, docs in gold.items() if docs]
    if not qids:
        return {name: 0.0 for name in _MEASURES}
    qrels = [Qrel(q, d, 1) for q in qids for d in gold[q]]
    run = [
        ScoredDoc(q, d, float(len(ranked.get(q, [])) - i))
        for q in qids
        for i, d in enumerate(ranked.get(q, [])[:10])
    ]
    per_query: dict[str, dict[str, float]] = {name: {} for name in _MEASURES}
    by_measure = {m: name for name, m in _MEASURES.items()}
    for result in ir_measures.iter_calc(list(_MEASURES.values()), qrels, run):
        per_query[by_measure[result.measure]][result.query_id] = result.value
    return {name: float(np.mean([per_query[name].get(q, 0.0) for q in qids])) for name in _MEASURES}


def auroc(scores: list[float], labels: list[bool]) -> float | None:
    """Area under the ROC curve of ``scores`` predicting ``labels`` (None if one class only)."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return None
    # Mann-Whitney U: share of (positive, negative) pairs ordered right, ties counting half.
    p = np.asarray(pos)[:, None]
    n = np.asarray(neg)[None, :]
    return float(((p > n).sum() + 0.5 * (p == n).sum()) / (len(pos) * len(neg)))


def percentiles(values: list[float]) -> dict[str, float]:
    """p50 and p95 of a list of latencies."""
    if not values:
        return {"p50": 0.0, "p95": 0.0}
    arr = np.asarray(values)
    return {"p50": float(np.percentile(arr, 50)), "p95": float(np.percentile(arr, 95))}


def token_f1(prediction: str, references: list[str]) -> float:
    """Best token F1 of ``prediction`` against any reference (Korean split into morphemes)."""
    pred = Counter(terms(prediction))
    best = 0.0
    for ref in references:
        gold = Counter(terms(ref))
        common = sum((pred & gold).values())
        if not common:
            continue
        precision, recall = common / sum(pred.values()), common / sum(gold.values())
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def recall_curve(
    gold: dict[str, list[str]], ranked: dict[str, list[str]], max_k: int = 10
) -> list[float]:
    """Mean recall@k for k = 1..``max_k`` over questions that have gold articles."""
    qids = [q for q, docs in gold.items() if docs]
    if not qids:
        return [0.0] * max_k
    curve = []
    for k in range(1, max_k + 1):
        found = [len(set(gold[q]) & set(ranked.get(q, [])[:k])) / len(set(gold[q])) for q in qids]
        curve.append(float(np.mean(found)))
    return curve
