"""`servicedesk eval retrieval`: index a dataset's KB in a throwaway store and score search."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from evals.datasets import Dataset, Question
from evals.metrics import auroc, percentiles, ranking_metrics, recall_curve
from ingest.pipeline import Ingestor, IngestReport
from ingest.settings import IngestSettings
from retrieval.knowledge_base import KnowledgeBase
from retrieval.retriever import HybridRetriever, Mode
from retrieval.schema import User
from retrieval.settings import RetrievalSettings

PIPELINES: tuple[Mode, ...] = ("hybrid", "bm25_only", "dense_only")


@dataclass
class RetrievalRun:
    """Everything measured in one evaluation run."""

    result: dict
    per_question: list[dict]


def _summarise(
    dataset: Dataset, rankings: dict[str, dict[str, list[str]]], confidences: dict[str, float]
) -> dict:
    gold = {q.qid: q.gold_doc_ids for q in dataset.questions if not q.should_escalate}
    out: dict = {}
    for mode in PIPELINES:
        out[mode] = ranking_metrics(gold, rankings[mode])
    labels = [q.should_escalate for q in dataset.questions]
    scores = [1.0 - confidences[q.qid] for q in dataset.questions]
    out["escalation_auroc"] = auroc(scores, labels)
    per_lang: dict[str, dict] = {}
    for lang in sorted({q.lang for q in dataset.questions}):
        qs = [q for q in dataset.questions if q.lang == lang]
        lang_gold = {q.qid: q.gold_doc_ids for q in qs if not q.should_escalate}
        per_lang[lang] = {
            "questions": len(qs),
            **{m: ranking_metrics(lang_gold, rankings[m])["ndcg@10"] for m in PIPELINES},
            "escalation_auroc": auroc(
                [1.0 - confidences[q.qid] for q in qs], [q.should_escalate for q in qs]
            ),
        }
    out["per_language"] = per_lang
    out["recall_at_k"] = {m: recall_curve(gold, rankings[m]) for m in PIPELINES}
    return out


def question_record(q: Question) -> dict:
    """The fields every per-question record of an eval run starts with."""
    return {
        "qid": q.qid,
        "question": q.question,
        "lang": q.lang,
        "gold": q.gold_doc_ids,
        "should_escalate": q.should_escalate,
        "user_groups": q.user_groups,
    }


@contextmanager
def indexed_dataset(
    dataset: Dataset,
    settings: RetrievalSettings,
    ingest_settings: IngestSettings,
    workdir: Path | None = None,
) -> Iterator[tuple[KnowledgeBase, IngestReport]]:
    """``dataset``'s KB ingested into a throwaway store (removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="sd-eval-", dir=workdir) as tmp:
        kb = KnowledgeBase(settings, index_dir=Path(tmp) / "index")
        try:
            report = Ingestor(kb, ingest_settings).run(dataset.kb_paths)
            yield kb, report
        finally:
            kb.close()


def run_retrieval_eval(
    dataset: Dataset,
    settings: RetrievalSettings,
    ingest_settings: IngestSettings,
    workdir: Path | None = None,
) -> RetrievalRun:
    """Index ``dataset``'s KB in a temporary store and run every question through each pipeline."""
    with indexed_dataset(dataset, settings, ingest_settings, workdir) as (kb, ingest):
        return score_retrieval(dataset, kb, ingest)


def score_retrieval(dataset: Dataset, kb: KnowledgeBase, ingest: IngestReport) -> RetrievalRun:
    """Run every question of ``dataset`` through each pipeline over the indexed ``kb``."""
    settings = kb.settings
    retriever = HybridRetriever(kb)
    rankings: dict[str, dict[str, list[str]]] = {m: {} for m in PIPELINES}
    confidences: dict[str, float] = {}
    latencies: list[float] = []
    per_question = []
    for q in dataset.questions:
        user = User.with_groups("eval", q.user_groups)
        record = question_record(q)
        for mode in PIPELINES:
            started = time.perf_counter()
            hits = retriever.search(q.question, user, k=10, mode=mode)
            elapsed = (time.perf_counter() - started) * 1000
            rankings[mode][q.qid] = [h.article_id for h in hits]
            if mode == "hybrid":
                latencies.append(elapsed)
                confidences[q.qid] = hits[0].confidence if hits else 0.0
                record["latency_ms"] = elapsed
                record["confidence"] = confidences[q.qid]
                record["hits"] = [
                    {
                        "id": h.article_id,
                        "dense": h.dense_score,
                        "keyword": h.keyword_score,
                        "fused": h.fused_score,
                        "confidence": h.confidence,
                    }
                    for h in hits[:5]
                ]
        # The top ten of each pipeline, for reports (where the gold article ranked, if at all).
        record["ranked"] = {m: rankings[m][q.qid] for m in PIPELINES}
        per_question.append(record)
    result = {
        "kind": "retrieval",
        "dataset": dataset.name,
        "questions": len(dataset.questions),
        "answerable": sum(not q.should_escalate for q in dataset.questions),
        "articles": kb.catalog.counts()[0],
        "chunks": kb.catalog.counts()[1],
        "ingest_failures": [f.line() for f in ingest.failures],
        "config": _config(settings),
    }
    summary = _summarise(dataset, rankings, confidences)
    result.update(summary["hybrid"])
    result.update({mode: summary[mode] for mode in PIPELINES})
    result["escalation_auroc"] = summary["escalation_auroc"]
    result["per_language"] = summary["per_language"]
    result["recall_at_k"] = summary["recall_at_k"]
    result["query_latency_ms"] = percentiles(latencies)
    return RetrievalRun(result, per_question)


def _config(settings: RetrievalSettings) -> dict:
    keys = (
        "embedder",
        "chunk_tokens",
        "chunk_overlap",
        "fusion",
        "dense_weight",
        "keyword_weight",
        "rrf_k",
        "candidates",
        "rerank_model",
        "glossary",
    )
    return {k: getattr(settings, k) for k in keys}


def format_table(result: dict) -> str:
    """A readable table of one run's main figures."""
    cols = ("ndcg@10", "recall@1", "recall@5", "recall@10", "mrr@10")
    lines = [
        f"dataset {result['dataset']}: {result['questions']} questions "
        f"({result['answerable']} answerable), {result['articles']} articles, "
        f"{result['chunks']} chunks",
        f"{'pipeline':<12}" + "".join(f"{c:>11}" for c in cols),
    ]
    for mode in PIPELINES:
        lines.append(f"{mode:<12}" + "".join(f"{result[mode][c]:>11.3f}" for c in cols))
    auc = result["escalation_auroc"]
    lat = result["query_latency_ms"]
    lines.append(f"escalation AUROC {auc:.3f}" if auc is not None else "escalation AUROC n/a")
    lines.append(f"query latency p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms")
    for lang, row in result["per_language"].items():
        auc_l = row["escalation_auroc"]
        lines.append(
            f"  [{lang}] {row['questions']} q: nDCG@10 hybrid {row['hybrid']:.3f}, bm25 "
            f"{row['bm25_only']:.3f}, dense {row['dense_only']:.3f}, AUROC "
            + (f"{auc_l:.3f}" if auc_l is not None else "n/a")
        )
    return "\n".join(lines)
