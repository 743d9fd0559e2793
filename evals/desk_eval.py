"""`servicedesk eval run`: the whole Desk on every question of a dataset, scored as DESIGN.md §5.

Each question is answered once with the decision threshold at 0 (so every answer exists), and the
decision is then applied at each threshold of a sweep: FCR and escalation recall at every
threshold come from one pass, and the configured threshold gives the headline figures.

With ``--judge`` an LLM grades each answer (evals/judge.py): "resolved at first contact" then
also requires the answer judged correct (DESIGN.md §5), and the FCR without that requirement is
kept beside it as ``fcr_unjudged``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from bot.desk.answer import Answer
from bot.desk.desk import Desk
from bot.desk.extractive import INTRO, OUTRO
from bot.desk.messages import FALLBACK_NOTICE
from bot.settings import BotSettings
from evals.datasets import Dataset, Question
from evals.judge import Judge, RecordingRetriever, judge_answer, judge_summary
from evals.metrics import percentiles, token_f1
from evals.retrieval_eval import indexed_dataset, question_record, score_retrieval
from ingest.settings import IngestSettings
from llm_server.client import ChatModel
from retrieval.retriever import HybridRetriever
from retrieval.schema import User
from retrieval.settings import RetrievalSettings

SWEEP = [round(0.05 * i, 2) for i in range(21)]
_BOILERPLATE = [*INTRO.values(), *OUTRO.values()] + [
    text for notice in FALLBACK_NOTICE.values() for text in notice.values()
]


@dataclass
class DeskRun:
    """Everything measured in one ``eval run``."""

    result: dict
    per_question: list[dict]


def answer_body(text: str) -> str:
    """The answer without citation markers and the Desk's own framing sentences."""
    for phrase in _BOILERPLATE:
        text = text.replace(phrase, " ")
    return re.sub(r"\[\d{1,2}\]", " ", text)


def _record(q: Question, answer: Answer) -> dict:
    return {
        **question_record(q),
        "confidence": answer.confidence,
        "decision_at_0": answer.decision,
        "reason": answer.reason,
        "cited": answer.cited_ids(),
        "retrieved": answer.retrieved[:10],
        "gold_answers": q.gold_answers,
        "escalate_reason": q.escalate_reason,
        "cites_gold": bool(set(answer.cited_ids()) & set(q.gold_doc_ids)),
        "answer": answer.text,
        "backend": answer.backend,
        "model": answer.model,
        "prompt_version": answer.prompt_version,
        "fallback_reason": answer.fallback_reason,
        "token_f1": token_f1(answer_body(answer.text), q.gold_answers)
        if q.gold_answers and answer.answered
        else None,
        "latency_ms": answer.latencies_ms.get("total", 0.0),
        "latencies_ms": dict(answer.latencies_ms),
    }


def _apply_threshold(record: dict, threshold: float) -> None:
    """Record the decision at the configured threshold, and why it declined if it did."""
    answered = record["decision_at_0"] == "answered" and record["confidence"] >= threshold
    record["decision"] = "answered" if answered else "declined"
    if answered:
        record["decline_reason"] = None
    elif record["decision_at_0"] != "answered":
        record["decline_reason"] = record["reason"] or "declined"
    else:
        record["decline_reason"] = f"low_confidence ({record['confidence']:.2f} < {threshold:.2f})"


def _judged_ok(r: dict) -> bool:
    """The judge's grade of the answer; an answer it could not grade keeps the other tests."""
    verdict = r.get("judge")
    return True if verdict is None else bool(verdict["correct"])


def decide(records: list[dict], threshold: float) -> dict:
    """FCR and escalation figures if the Desk answered only at ``confidence >= threshold``."""
    answerable = [r for r in records if not r["should_escalate"]]
    escalate = [r for r in records if r["should_escalate"]]

    def answered(r: dict) -> bool:
        return r["decision_at_0"] == "answered" and r["confidence"] >= threshold

    unjudged = [r for r in answerable if answered(r) and r["cites_gold"]]
    resolved = [r for r in unjudged if _judged_ok(r)]
    declined = [r for r in records if not answered(r)]
    correct_declines = [r for r in escalate if not answered(r)]
    answered_answerable = [r for r in answerable if answered(r)]
    f1s = [r["token_f1"] for r in answered_answerable if r["token_f1"] is not None]
    return {
        "threshold": threshold,
        "fcr": len(resolved) / len(answerable) if answerable else None,
        "fcr_unjudged": len(unjudged) / len(answerable) if answerable else None,
        "escalation_recall": len(correct_declines) / len(escalate) if escalate else None,
        "escalation_precision": len(correct_declines) / len(declined) if declined else None,
        "answered_share": 1 - len(declined) / len(records) if records else None,
        "answer_citation_accuracy": (
            sum(r["cites_gold"] for r in answered_answerable) / len(answered_answerable)
            if answered_answerable
            else None
        ),
        "answer_token_f1": sum(f1s) / len(f1s) if f1s else None,
    }


def run_desk_eval(
    dataset: Dataset,
    settings: RetrievalSettings,
    bot_settings: BotSettings,
    chat: ChatModel | None,
    ingest_settings: IngestSettings,
    workdir: Path | None = None,
    progress=None,
    judge: Judge | None = None,
    judge_cutoff: float = 0.5,
) -> DeskRun:
    """Index ``dataset``, score retrieval, then run the Desk on every question."""
    with indexed_dataset(dataset, settings, ingest_settings, workdir) as (kb, ingest):
        retrieval = score_retrieval(dataset, kb, ingest)
        # Threshold 0: every question is answered once; the sweep applies the decision after.
        retriever = RecordingRetriever(HybridRetriever(kb))
        desk = Desk(retriever, bot_settings.model_copy(update={"decision_threshold": 0.0}), chat)
        records = []
        started = time.perf_counter()
        for n, q in enumerate(dataset.questions, start=1):
            answer = desk.ask(q.question, User.with_groups("eval", q.user_groups))
            records.append(_record(q, answer))
            if judge is not None:
                body = answer_body(answer.text)
                records[-1]["judge"] = judge_answer(judge, q, answer, retriever.last, body)
            if progress:
                progress(n, len(dataset.questions))
        elapsed = time.perf_counter() - started
    threshold = bot_settings.decision_threshold
    for record in records:
        _apply_threshold(record, threshold)
    result = dict(retrieval.result)
    result["kind"] = "run"
    result.update(decide(records, threshold))
    result["backend"] = bot_settings.answer_backend
    result["model"] = next((r["model"] for r in records if r["backend"] == "llm"), "extractive")
    result["prompt_versions"] = sorted(
        {r["prompt_version"] for r in records if r["prompt_version"]}
    )
    result["llm_share"] = sum(r["backend"] == "llm" for r in records) / max(len(records), 1)
    result["fallbacks"] = _count(r["fallback_reason"] for r in records if r["fallback_reason"])
    result["answer_latency_ms"] = percentiles([r["latency_ms"] for r in records])
    result["desk_seconds"] = round(elapsed, 1)
    result["sweep"] = [decide(records, t) for t in SWEEP]
    result["best_threshold"] = _balanced(result["sweep"])
    result["per_language_answers"] = {
        lang: decide([r for r in records if r["lang"] == lang], threshold)
        for lang in sorted({r["lang"] for r in records})
    }
    if judge is not None:
        result["judge"] = judge_summary(records, judge, judge_cutoff)
    return DeskRun(result, records)


def _count(values) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        key = v.split(":")[0]
        out[key] = out.get(key, 0) + 1
    return out


def _balanced(sweep: list[dict]) -> dict:
    """The sweep point with the best worse-of-two between FCR and escalation recall."""

    def worse(row: dict) -> float:
        return min(row["fcr"] or 0.0, row["escalation_recall"] or 0.0)

    return max(sweep, key=worse)


def format_run(result: dict) -> str:
    """A readable summary: headline figures, then the threshold sweep."""

    def f(v) -> str:
        return "  n/a" if v is None else f"{v:.3f}"

    lat = result["answer_latency_ms"]
    lines = [
        f"dataset {result['dataset']}: {result['questions']} questions "
        f"({result['answerable']} answerable), backend {result['backend']} "
        f"(model {result['model']}, LLM used for {result['llm_share']:.0%})",
        f"threshold {result['threshold']:.2f}: FCR {f(result['fcr'])}  escalation recall "
        f"{f(result['escalation_recall'])}  precision {f(result['escalation_precision'])}  "
        f"citation accuracy {f(result['answer_citation_accuracy'])}  token F1 "
        f"{f(result['answer_token_f1'])}",
        f"retrieval nDCG@10 {result['ndcg@10']:.3f}  recall@5 {result['recall@5']:.3f}  "
        f"MRR@10 {result['mrr@10']:.3f}  escalation AUROC {f(result['escalation_auroc'])}",
        f"answer latency p50 {lat['p50']:.0f} ms, p95 {lat['p95']:.0f} ms"
        + (f"; fallbacks {result['fallbacks']}" if result["fallbacks"] else ""),
        *_judge_lines(result, f),
        "threshold sweep:  thr    FCR  esc.recall  esc.precision  answered",
    ]
    for row in result["sweep"]:
        mark = " <- configured" if abs(row["threshold"] - result["threshold"]) < 1e-9 else ""
        if row is result["best_threshold"] or row == result["best_threshold"]:
            mark += " <- balanced"
        lines.append(
            f"{'':17}{row['threshold']:.2f}  {f(row['fcr'])}  {f(row['escalation_recall'])}"
            f"{'':7}{f(row['escalation_precision'])}{'':5}{f(row['answered_share'])}{mark}"
        )
    for lang, row in result["per_language_answers"].items():
        lines.append(
            f"  [{lang}] FCR {f(row['fcr'])}  escalation recall {f(row['escalation_recall'])}  "
            f"token F1 {f(row['answer_token_f1'])}"
        )
    return "\n".join(lines)


def _judge_lines(result: dict, f) -> list[str]:
    """The judge's figures, when it ran."""
    j = result.get("judge")
    if not j:
        return []
    agree = j["token_f1_agreement"]
    return [
        f"judge {j['model']} ({j['prompt_version']}): {j['graded']} graded, {j['ungraded']} not; "
        f"correct {f(j['correct_share'])}  faithful {f(j['faithful_share'])}  "
        f"FCR {f(result['fcr'])} (without judge {f(result['fcr_unjudged'])})",
        f"judge vs token F1 >= {agree['cutoff']:.2f}: agreement {f(agree['agreement'])}  "
        f"kappa {f(agree['kappa'])} over {agree['n']} answers",
    ]
