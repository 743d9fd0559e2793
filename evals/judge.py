"""An LLM judge for ``eval run``: is an answer correct against the gold answer, and faithful to
the sources it cites? Plus how often the judge agrees with token F1.

The judge is optional: when no model answers, ``Judge.judge`` returns ``None`` and the run goes on
without it (token F1 and citation accuracy still stand).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass

from bot.desk.answer import Answer
from evals.datasets import Question
from llm_server.client import ChatModel, LLMUnavailable, OpenAIChatModel
from llm_server.settings import LLMSettings
from prompts import PromptLibrary
from retrieval.retriever import Retriever
from retrieval.schema import Hit, User

log = logging.getLogger(__name__)

MAX_SOURCE_CHARS = 2000  # per source: enough for an article section, bounded for small models
_OBJECT = re.compile(r"\{.*?\}", re.DOTALL)


@dataclass(frozen=True)
class Verdict:
    """The judge's grades of one answer."""

    correct: bool
    faithful: bool
    reason: str = ""


class Judge:
    """Grades answers with a chat model and the ``judge`` prompt."""

    def __init__(self, chat: ChatModel, prompts: PromptLibrary | None = None):
        self.chat = chat
        self.prompts = prompts or PromptLibrary()

    @property
    def version(self) -> str:
        """The judge prompt's version, reported beside its figures."""
        return self.prompts.get("judge").version

    def judge(
        self, question: str, gold: list[str] | str, answer_text: str, sources: list[str]
    ) -> Verdict | None:
        """Grade ``answer_text``; ``None`` when the model is down or its reply is unusable."""
        golds = [gold] if isinstance(gold, str) else list(gold)
        prompt = self.prompts.get("judge").render(
            question=question,
            gold="\n---\n".join(golds),
            answer=answer_text,
            sources=[s[:MAX_SOURCE_CHARS] for s in sources],
        )
        try:
            # A model marked down skips the request instead of waiting out a timeout per answer.
            if not self.chat.available():
                return None
            reply = self.chat.complete([("user", prompt)], max_tokens=120)
        except LLMUnavailable as err:
            log.info("judge unavailable: %s", err)
            return None
        verdict = parse_verdict(reply)
        if verdict is None:
            log.info("judge reply unusable: %.200s", reply)
        return verdict


def parse_verdict(reply: str) -> Verdict | None:
    """The verdict in a model's reply (code fences, prose around the JSON and "true" strings are
    tolerated); ``None`` when no object with both booleans is found."""
    text = reply.replace("```json", "").replace("```", "")
    for match in _OBJECT.finditer(text):
        try:
            data = json.loads(match.group(0))
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        correct, faithful = _bool(data.get("correct")), _bool(data.get("faithful"))
        if correct is None or faithful is None:
            continue
        return Verdict(correct, faithful, str(data.get("reason") or "")[:300])
    return None


def _bool(value) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def agreement(
    verdicts: list[Verdict | None], token_f1s: list[float | None], cutoff: float = 0.5
) -> dict:
    """How often "judged correct" equals "token F1 >= cutoff", and Cohen's kappa of the two.

    Pairs where either side is missing are left out; ``n`` says how many were compared.
    """
    pairs = [
        (v.correct, f >= cutoff)
        for v, f in zip(verdicts, token_f1s, strict=True)
        if v is not None and f is not None
    ]
    n = len(pairs)
    if not n:
        return {"n": 0, "cutoff": cutoff, "agreement": None, "kappa": None}
    observed = sum(a == b for a, b in pairs) / n
    judge_yes = sum(a for a, _ in pairs) / n
    f1_yes = sum(b for _, b in pairs) / n
    expected = judge_yes * f1_yes + (1 - judge_yes) * (1 - f1_yes)
    # Both raters constant and equal: agreement is total but kappa is undefined.
    kappa = None if expected == 1 else (observed - expected) / (1 - expected)
    return {"n": n, "cutoff": cutoff, "agreement": observed, "kappa": kappa}


def configured_judge(settings: LLMSettings) -> tuple[Judge | None, str]:
    """A judge on the configured OpenAI-compatible endpoint, or ``None`` and why not."""
    chat = OpenAIChatModel(settings)
    if not chat.available():
        return None, (
            f"judge: no LLM answers at {settings.api_base} (start one with `servicedesk llm "
            "serve` or set SERVICEDESK_LLM_BASE_URL); continuing without the judge"
        )
    return Judge(chat), f"judge: {chat.name} at {settings.api_base}"


class RecordingRetriever:
    """A ``Retriever`` that remembers its last hits (the judge reads the cited texts)."""

    def __init__(self, inner: Retriever):
        self.inner = inner
        self.last: list[Hit] = []

    def search(self, query: str, user: User | None = None, k: int = 5) -> list[Hit]:
        """The inner retriever's hits, remembered."""
        self.last = self.inner.search(query, user, k)
        return self.last


def cited_texts(answer: Answer, hits: list[Hit]) -> list[str]:
    """The full texts of the passages ``answer`` cites (its snippets when a hit is gone)."""
    texts = []
    for c in answer.citations:
        hit = next(
            (h for h in hits if h.article_id == c.article_id and h.section == c.section), None
        )
        texts.append(f"{c.title}\n{hit.text if hit and hit.text else c.snippet}")
    return texts


def judge_answer(
    judge: Judge, q: Question, answer: Answer, hits: list[Hit], body: str
) -> dict | None:
    """The verdict (as a dict) on ``body``, the answer's text without its framing, when the
    question is answerable, has a gold answer and was answered; else ``None``."""
    if q.should_escalate or not q.gold_answers or not answer.answered:
        return None
    verdict = judge.judge(q.question, q.gold_answers, body, cited_texts(answer, hits))
    return None if verdict is None else vars(verdict).copy()


def judge_summary(records: list[dict], judge: Judge, cutoff: float) -> dict:
    """The judge's grades over answered questions and its agreement with token F1."""
    graded = [r for r in records if r.get("judge")]
    eligible = [r for r in records if r["token_f1"] is not None and not r["should_escalate"]]
    verdicts = [Verdict(**r["judge"]) if r.get("judge") else None for r in eligible]
    return {
        "prompt_version": judge.version,
        "model": getattr(judge.chat, "name", ""),
        "graded": len(graded),
        "ungraded": len(eligible) - len([v for v in verdicts if v is not None]),
        "correct_share": _share(graded, "correct"),
        "faithful_share": _share(graded, "faithful"),
        "token_f1_agreement": agreement(verdicts, [r["token_f1"] for r in eligible], cutoff),
    }


def _share(graded: list[dict], key: str) -> float | None:
    return sum(bool(r["judge"][key]) for r in graded) / len(graded) if graded else None
