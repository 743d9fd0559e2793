"""The Desk: one question in, a grounded answer with citations or a decline with a ticket offer out.

mask PII -> detect language -> rewrite a follow-up -> retrieve (the user's groups apply) -> decide
from the calibrated retrieval confidence -> generate (LLM) or compose (extractive) -> check ->
one regeneration -> extractive fallback. The decision never depends on the model refusing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.desk.answer import Answer, Citation, Turn
from bot.desk.answer_check import Verdict, attribute, check_answer, citations_in, trim_unfinished
from bot.desk.extractive import Source, compose, pick_sentences
from bot.desk.injection import quarantine
from bot.desk.messages import DECLINE, FALLBACK_NOTICE, is_refusal, lang_key
from bot.desk.questions import QuestionRejected, clean_question
from bot.settings import BotSettings
from bot.text.language import NAMES, detect_language
from bot.text.pii import mask_pii
from llm_server.client import ChatModel, LLMUnavailable, Message
from prompts import PromptLibrary
from retrieval.retriever import Retriever
from retrieval.schema import Hit, User
from retrieval.terms import terms

log = logging.getLogger(__name__)

EventKind = Literal["sources", "token", "reset", "answer"]


@dataclass
class Event:
    """One step of a streamed answer: sources found, a piece of text, a reset, the final answer."""

    kind: EventKind
    data: Any = None


@dataclass
class _Context:
    """What one question carries through the pipeline."""

    question: str
    language: str
    history: list[Turn]
    user: User
    started: float
    latencies: dict[str, float] = field(default_factory=dict)
    pii: list[str] = field(default_factory=list)
    query: str = ""
    hits: list[Hit] = field(default_factory=list)
    _lap: float = 0.0

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.latencies[stage] = round((now - (self._lap or self.started)) * 1000, 1)
        self._lap = now

    def finish(self) -> None:
        self.latencies["total"] = round((time.perf_counter() - self.started) * 1000, 1)


class Desk:
    """Answers employees' questions from the knowledge base (front ends talk only to this)."""

    def __init__(
        self,
        retriever: Retriever,
        settings: BotSettings,
        chat: ChatModel | None = None,
        prompts: PromptLibrary | None = None,
    ):
        self.retriever = retriever
        self.settings = settings
        self.chat = chat
        self.prompts = prompts or PromptLibrary()
        self.threshold = self.settings.decision_threshold

    # -- public API ---------------------------------------------------------------------------

    def ask(self, question: str, user: User | None = None, history: Iterable[Turn] = ()) -> Answer:
        """Answer ``question`` for ``user`` given earlier turns of the conversation."""
        answer = None
        for event in self.ask_stream(question, user, history):
            if event.kind == "answer":
                answer = event.data
        assert answer is not None  # ask_stream always ends with an answer
        return answer

    def ask_stream(
        self, question: str, user: User | None = None, history: Iterable[Turn] = ()
    ) -> Iterator[Event]:
        """Like ``ask``, as events: ``sources``, ``token``s, maybe ``reset``, then ``answer``."""
        started = time.perf_counter()
        raw_language = _safe_language(question)
        try:
            text = clean_question(question, self.settings.max_question_chars, raw_language)
        except QuestionRejected as err:
            yield Event("answer", _rejected(err, raw_language))
            return
        masked = mask_pii(text)
        # Trim to the turns used before masking: a long history costs nothing it does not use.
        kept = self.settings.history_turns
        recent = [t for t in history if t.text.strip()][-kept:] if kept else []
        limit = self.settings.max_question_chars * 4
        turns = [Turn(t.role, mask_pii(t.text[:limit]).text) for t in recent]
        ctx = _Context(
            question=masked.text,
            language=detect_language(masked.text),
            history=turns,
            user=user or User(),
            started=started,
            pii=masked.kinds,
        )
        ctx.lap("prepare")
        log.info("question (%s, pii %s): %s", ctx.language, ctx.pii or "-", ctx.question[:200])
        ctx.query = self._standalone_query(ctx)
        ctx.lap("rewrite")
        ctx.hits = self.retriever.search(ctx.query, ctx.user, max(5, self.settings.max_sources))
        ctx.lap("retrieve")
        confidence = ctx.hits[0].confidence if ctx.hits else 0.0
        if not ctx.hits or confidence < self.threshold:
            yield Event("answer", self._decline(ctx, confidence))
            return
        sources = self._sources(ctx.hits)
        yield Event("sources", [self._citation(n, h) for n, h in enumerate(sources, start=1)])
        yield from self._answer(ctx, sources, confidence)

    # -- stages -------------------------------------------------------------------------------

    def _standalone_query(self, ctx: _Context) -> str:
        """The question rewritten to stand alone when it follows earlier turns."""
        previous = [t.text for t in ctx.history if t.role == "user"]
        if not previous:
            return ctx.question
        if self._llm_ready() and self.settings.rewrite_followups:
            prompt = self.prompts.get("rewrite_followup")
            messages: list[Message] = [
                (
                    "user",
                    prompt.render(
                        history=ctx.history,
                        question=ctx.question,
                        language_name=NAMES[lang_key(ctx.language)],
                    ),
                )
            ]
            try:
                rewritten = self.chat.complete(messages, max_tokens=80).strip().strip('"')  # type: ignore[union-attr]
            except LLMUnavailable:
                rewritten = ""
            rewritten = rewritten.splitlines()[0].strip() if rewritten else ""
            if 3 <= len(rewritten) <= 400 and detect_language(rewritten) == ctx.language:
                return rewritten
        # Without a model: a short follow-up ("맥에서는요?") borrows the previous question's words.
        if len(terms(ctx.question)) <= 8:
            return f"{previous[-1]} {ctx.question}"
        return ctx.question

    def _sources(self, hits: list[Hit]) -> list[Hit]:
        """The hits given to the model: the best few that score near the top one."""
        top = hits[0].fused_score
        keep = [h for h in hits if h.fused_score >= 0.5 * top]
        return keep[: self.settings.max_sources]

    def _citation(self, n: int, hit: Hit) -> Citation:
        base = self.settings.public_url.rstrip("/")
        return Citation(
            n=n,
            article_id=hit.article_id,
            title=hit.title,
            section=hit.section,
            link=f"{base}/articles/{hit.article_id}",
            snippet=hit.snippet,
        )

    def _llm_ready(self) -> bool:
        return (
            self.settings.answer_backend == "llm"
            and self.chat is not None
            and (self.chat.available())
        )

    def _answer(self, ctx: _Context, hits: list[Hit], confidence: float) -> Iterator[Event]:
        cleaned = [quarantine(h.text or h.snippet) for h in hits]
        removed = [s for q in cleaned for s in q.removed]
        top = hits[0].fused_score or 1.0
        sources = [
            Source(n, h.title, h.section, q.text, h.fused_score / top)
            for n, (h, q) in enumerate(zip(hits, cleaned, strict=True), start=1)
        ]
        evidence = "\n".join(s.text for s in sources) + "\n" + ctx.question
        text, backend, fallback = "", "extractive", None
        if self.settings.answer_backend == "llm":
            if self._llm_ready():
                model = self.chat.name  # type: ignore[union-attr]
                version = self.prompts.version("system", "grounded_answer")
                text, fallback = yield from self._generate(ctx, sources, evidence, removed)
                if fallback is None:
                    backend = "llm"
            else:
                fallback = "llm_unavailable"
        ctx.lap("generate")
        if backend == "extractive":
            if fallback is not None:
                yield Event("reset", fallback)
            notice_key = fallback.split(":")[0] if fallback else None
            if notice_key == "model_declined":
                notice_key = "rejected"
            notice = FALLBACK_NOTICE[notice_key][lang_key(ctx.language)] if notice_key else None
            text = compose(ctx.language, pick_sentences(ctx.question, sources), notice)
            yield Event("token", text)
            model, version = "extractive", "extractive"
            ctx.lap("compose")
        cited = set(citations_in(text))
        citations = [self._citation(n, h) for n, h in enumerate(hits, start=1) if n in cited]
        ctx.finish()
        yield Event(
            "answer",
            Answer(
                text=text,
                decision="answered",
                language=ctx.language,
                confidence=confidence,
                citations=citations,
                backend=backend,  # type: ignore[arg-type]
                model=model,
                prompt_version=version,
                fallback_reason=fallback,
                query=ctx.query,
                pii_masked=ctx.pii,
                retrieved=[h.article_id for h in ctx.hits],
                latencies_ms=ctx.latencies,
            ),
        )

    def _generate(
        self, ctx: _Context, sources: list[Source], evidence: str, removed: list[str]
    ) -> Iterator[Event]:
        """Stream an LLM answer, check it, regenerate once; return ``(text, fallback_reason)``."""
        lang = lang_key(ctx.language)
        # Small models follow rules and articles best as the system turn, the question as the
        # user's own turn; earlier turns of the conversation sit between them.
        system = self.prompts.get("system").render(
            company=self.settings.company_name,
            language=lang,
            sources=sources,
        )
        user = self.prompts.get("grounded_answer").render(question=ctx.question)
        earlier: list[Message] = [(t.role, t.text) for t in ctx.history]
        deadline = ctx.started + self.settings.answer_deadline_s
        reason = ""
        for attempt in range(2):
            messages: list[Message] = [("system", system), *earlier, ("user", user)]
            if attempt:
                messages.append(
                    ("user", f"Your previous answer was rejected ({reason}). Answer again in "
                     f"{NAMES[lang]}, only from the sources, citing them as [1], [2].")
                )  # fmt: skip
                yield Event("reset", reason)
            pieces: list[str] = []
            try:
                for piece in self.chat.stream(messages):  # type: ignore[union-attr]
                    pieces.append(piece)
                    yield Event("token", piece)
                    if time.perf_counter() > deadline:
                        return "", "timeout"
            except LLMUnavailable as err:
                log.warning("LLM unavailable: %s", err)
                return "", "llm_unavailable"
            text = "".join(pieces).strip()
            if is_refusal(text):
                return "", "model_declined"
            text = attribute(trim_unfinished(text), [s.text for s in sources])
            verdict: Verdict = check_answer(
                text,
                language=ctx.language,
                n_sources=len(sources),
                evidence=evidence,
                removed_instructions=removed,
                question=ctx.question,
            )
            if verdict.ok:
                return text, None
            reason = verdict.reason
            log.info("answer rejected (%s), attempt %d", reason, attempt + 1)
            if time.perf_counter() > deadline:
                return "", "timeout"
        return "", f"rejected:{reason}"

    def _decline(self, ctx: _Context, confidence: float) -> Answer:
        reason = "no_sources" if not ctx.hits else "low_confidence"
        ctx.finish()
        return Answer(
            text=DECLINE[reason][lang_key(ctx.language)],
            decision="declined",
            language=ctx.language,
            confidence=confidence,
            related=[self._citation(n, h) for n, h in enumerate(ctx.hits[:3], start=1)],
            reason=reason,
            query=ctx.query,
            pii_masked=ctx.pii,
            retrieved=[h.article_id for h in ctx.hits],
            latencies_ms=ctx.latencies,
        )


def _safe_language(text: object) -> str:
    try:
        return detect_language(text) if isinstance(text, str) else "ko"
    except Exception:  # detection must never stop an error message from being shown
        return "ko"


def _rejected(err: QuestionRejected, language: str) -> Answer:
    return Answer(
        text=err.user_message,
        decision="declined",
        language=language,
        confidence=0.0,
        reason="invalid_question",
        offer_ticket=False,
    )
