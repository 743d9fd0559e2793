"""Escalation: "Talk to a person" turns a conversation into a draft ticket, then files it.

The draft (subject, summary, category, priority, group) is a suggestion the employee edits; the
summary comes from the LLM when one answers, else it is composed from the conversation itself,
so a ticket can always be filed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import UTC, datetime

from bot.desk.messages import lang_key
from bot.settings import BotSettings
from bot.text.language import NAMES, detect_language
from bot.text.pii import mask_pii
from bot.tickets.records import (
    PRIORITIES,
    Conversation,
    InvalidChange,
    Ticket,
    TicketDraft,
    TicketStore,
    TurnRecord,
)
from bot.tickets.triage.suggestion import DEFAULT_PRIORITY, Triage, TriageSuggestion, group_for
from llm_server.client import ChatModel, LLMUnavailable
from prompts import PromptLibrary

log = logging.getLogger(__name__)

MAX_SUBJECT = 200
MAX_SUMMARY = 10_000
_LISTED = 5  # questions and articles named in an extractive summary
# The most urgent priority an employee may choose when triage suggested a less urgent one.
EMPLOYEE_MAX_PRIORITY = "P2"

_WORDS = {
    "ko": {
        "user": "직원",
        "assistant": "챗봇",
        "answered": "답변",
        "declined": "답변 못 함",
        "confidence": "신뢰도",
        "sources": "출처",
        "related": "관련 문서",
        "subject": "상담원 연결 요청",
        "asked": "직원 문의: {items}.",
        "suggested": "챗봇이 안내한 문서: {items}.",
        "found": "챗봇이 찾은 관련 문서: {items}.",
        "declined_end": "챗봇이 지식 문서에서 충분한 답을 찾지 못해 답변하지 않았습니다.",
        "answered_end": "챗봇의 답변으로 해결되지 않아 직원이 담당자 연결을 요청했습니다.",
        "direct_end": "직원이 챗봇 답변 없이 바로 담당자 연결을 요청했습니다.",
    },
    "en": {
        "user": "Employee",
        "assistant": "Assistant",
        "answered": "answered",
        "declined": "declined",
        "confidence": "confidence",
        "sources": "sources",
        "related": "related",
        "subject": "Request to talk to a person",
        "asked": "The employee asked: {items}.",
        "suggested": "The assistant suggested: {items}.",
        "found": "Related articles the assistant found: {items}.",
        "declined_end": "The assistant declined: the knowledge base did not hold enough.",
        "answered_end": "The answer was not enough; the employee asked for a person.",
        "direct_end": "The employee asked for a person before any answer.",
    },
}
# "Subject: x", "**Subject:** x", "제목: x" (small models translate the labels or bold them).
_SUBJECT = re.compile(r"^\s*\**\s*(subject|제목)\s*\**\s*[:：]\s*\**\s*(.*)$", re.IGNORECASE)
_SUMMARY = re.compile(r"^\s*\**\s*(summary|요약)\s*\**\s*[:：]\s*\**\s*(.*)$", re.IGNORECASE)


class Escalation:
    """Drafts and files tickets from conversations."""

    def __init__(
        self,
        store: TicketStore,
        triage: Triage,
        settings: BotSettings,
        chat: ChatModel | None = None,
        prompts: PromptLibrary | None = None,
    ):
        self.store = store
        self.triage = triage
        self.settings = settings
        self.chat = chat
        self.prompts = prompts or PromptLibrary()

    # -- the draft --------------------------------------------------------------------------

    def draft(self, conversation: Conversation) -> TicketDraft:
        """The ticket the employee sees before filing: summary, category, priority, group."""
        language = conversation_language(conversation)
        subject, summary = self._llm_summary(conversation, language) or extractive_summary(
            conversation, language
        )
        suggestion = self._suggest(questions(conversation))
        return TicketDraft(
            subject=subject,
            summary=summary,
            category=suggestion.category,
            priority=suggestion.priority,
            group=suggestion.group,
            language=language,
        )

    def _suggest(self, asked: list[str]) -> TriageSuggestion:
        """Triage over the employee's questions; a safe default when there are none or it fails."""
        if asked:
            try:
                return self.triage.suggest("\n".join(asked))
            except Exception:  # a ticket must never fail to draft because triage did
                log.exception("triage failed; drafting with the default category")
        groups = self.settings.assignment_groups
        return TriageSuggestion(
            "other", DEFAULT_PRIORITY, group_for("other", groups), 0.0, "default"
        )

    def _llm_summary(self, conversation: Conversation, language: str) -> tuple[str, str] | None:
        """``(subject, summary)`` written by the LLM, or ``None`` when it is down or strays."""
        if self.chat is None or not conversation.turns:
            return None
        turns = [
            {"role": "employee" if t.role == "user" else "assistant", "text": _masked(t.text)}
            for t in conversation.turns
        ]
        try:
            if not self.chat.available():
                return None
            prompt = self.prompts.get("ticket_summary").render(
                language_name=NAMES[lang_key(language)], transcript=turns
            )
            reply = self.chat.complete([("user", prompt)], max_tokens=250)
        except LLMUnavailable as err:
            log.info("ticket summary without the LLM: %s", err)
            return None
        except Exception:  # a draft never fails because the summary did: compose one instead
            log.exception("LLM ticket summary failed")
            return None
        parsed = parse_summary_reply(reply)
        if parsed is None or detect_language(parsed[1], language) != language:
            log.info("LLM ticket summary unusable; composing one instead")
            return None
        subject, summary = parsed
        return mask_pii(subject).text, mask_pii(summary).text

    # -- what the agent reads ----------------------------------------------------------------

    def transcript(self, conversation: Conversation) -> str:
        """The conversation as text: time, who said it, the answer's outcome and its sources."""
        words = _WORDS[lang_key(conversation_language(conversation))]
        blocks = []
        for turn in conversation.turns:
            head = f"[{_stamp(turn.created_at)}] {words[_role(turn)]}"
            answer = turn.answer if turn.role == "assistant" else None
            if answer:
                head += f" ({_outcome(answer, words)})"
            lines = [f"{head}: {turn.text.strip()}"]
            for key in ("citations", "related"):
                for c in (answer or {}).get(key) or []:
                    label = words["sources"] if key == "citations" else words["related"]
                    lines.append(f"    {label} [{c.get('n', '')}] {_cite(c)}")
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)

    def sources(self, conversation: Conversation) -> list[dict]:
        """The articles the bot's answers cited, once each, in the order first cited."""
        seen: set[tuple[str, str]] = set()
        out = []
        for turn in conversation.turns:
            if turn.role != "assistant" or not turn.answer:
                continue
            for c in turn.answer.get("citations") or []:
                key = (str(c.get("article_id", "")), str(c.get("section", "")))
                if key in seen or not key[0]:
                    continue
                seen.add(key)
                out.append({k: c.get(k, "") for k in ("article_id", "title", "section", "link")})
        return out

    # -- filing -----------------------------------------------------------------------------

    def file(
        self, conversation: Conversation, draft: TicketDraft, requester: str, idempotency_key: str
    ) -> Ticket:
        """File the (possibly edited) draft; the same key never files a second ticket. The
        employee's edits stay within what triage allows (``within_triage``)."""
        checked = self.within_triage(conversation, self.checked(draft))
        if not idempotency_key.strip():
            raise InvalidChange("an idempotency key is required to file a ticket")
        return self.store.file_ticket(
            conversation.id or None,
            checked,
            requester,
            conversation.channel,
            idempotency_key,
            transcript=self.transcript(conversation),
            sources=self.sources(conversation),
            thread_ref=conversation.thread_ref,
        )

    def within_triage(self, conversation: Conversation, draft: TicketDraft) -> TicketDraft:
        """The employee's draft bounded by triage: the group is the one the category routes to
        (triage's own group when no routing is configured), never one typed in; the priority
        may be lowered freely but raised only up to triage's suggestion or ``P2``, whichever is
        more urgent. Agents change either afterwards."""
        suggestion = self._suggest(questions(conversation))
        groups = self.settings.assignment_groups
        group = group_for(draft.category, groups) if groups else suggestion.group
        ceiling = min(suggestion.priority, EMPLOYEE_MAX_PRIORITY, key=PRIORITIES.index)
        priority = max(draft.priority, ceiling, key=PRIORITIES.index)
        return replace(draft, group=group or draft.group, priority=priority)

    def checked(self, draft: TicketDraft) -> TicketDraft:
        """The draft with whitespace trimmed, personal data masked and the group filled in;
        ``InvalidChange`` if wrong. Whatever the front end, the ticket is stored masked."""
        subject, summary = draft.subject.strip(), draft.summary.strip()
        if not subject:
            raise InvalidChange("the ticket needs a subject")
        if len(subject) > MAX_SUBJECT or len(summary) > MAX_SUMMARY:
            raise InvalidChange(
                f"subject is limited to {MAX_SUBJECT} and summary to {MAX_SUMMARY} characters"
            )
        # A label may be a little longer than what it replaces: keep within the limits.
        subject = mask_pii(subject).text[:MAX_SUBJECT]
        summary = mask_pii(summary).text[:MAX_SUMMARY]
        groups = self.settings.assignment_groups
        if groups and draft.category not in groups:
            raise InvalidChange(
                f"unknown category {draft.category!r}; choose one of {', '.join(groups)}"
            )
        if draft.priority not in PRIORITIES:
            raise InvalidChange(f"priority must be one of {', '.join(PRIORITIES)}")
        group = draft.group.strip() or group_for(draft.category, groups)
        return TicketDraft(subject, summary, draft.category, draft.priority, group, draft.language)


def questions(conversation: Conversation) -> list[str]:
    """What the employee asked, in order."""
    return [t.text.strip() for t in conversation.turns if t.role == "user" and t.text.strip()]


def conversation_language(conversation: Conversation) -> str:
    """``ko`` or ``en``: the language the answers were in, else that of the first question."""
    for turn in conversation.turns:
        language = (turn.answer or {}).get("language") if turn.role == "assistant" else None
        if language in ("ko", "en"):
            return language
    asked = questions(conversation)
    return detect_language(asked[0]) if asked else "ko"


def extractive_summary(conversation: Conversation, language: str) -> tuple[str, str]:
    """``(subject, summary)`` composed from the conversation: never empty, PII masked."""
    words = _WORDS[lang_key(language)]
    asked = questions(conversation)
    subject = _short(" ".join(asked[0].split()), 80) if asked else words["subject"]
    answers = [t.answer for t in conversation.turns if t.role == "assistant" and t.answer]
    parts = []
    if asked:
        parts.append(
            words["asked"].format(items=" / ".join(_short(q, 200) for q in asked[:_LISTED]))
        )
    cited = _titles(a.get("citations") for a in answers)
    if cited:
        parts.append(words["suggested"].format(items=", ".join(cited)))
    related = [t for t in _titles(a.get("related") for a in answers) if t not in cited]
    if related:
        parts.append(words["found"].format(items=", ".join(related)))
    if not answers:
        parts.append(words["direct_end"])
    elif answers[-1].get("decision") == "declined":
        parts.append(words["declined_end"])
    else:
        parts.append(words["answered_end"])
    return mask_pii(subject).text, mask_pii(" ".join(parts)).text


def parse_summary_reply(reply: str) -> tuple[str, str] | None:
    """``(subject, summary)`` from ``Subject: ...`` / ``Summary: ...`` lines, or ``None``."""
    subject, summary, in_summary = "", [], False
    for line in reply.strip().splitlines():
        if (m := _SUBJECT.match(line)) and not subject:
            subject, in_summary = m.group(2).strip().strip('"*'), False
        elif m := _SUMMARY.match(line):
            summary, in_summary = [m.group(2).strip()], True
        elif in_summary and line.strip():
            summary.append(line.strip())
    text = " ".join(s for s in summary if s).strip()
    if not subject or not text:
        return None
    return _short(subject, 120), _short(text, 2000)


def _titles(lists) -> list[str]:
    titles: list[str] = []
    for citations in lists:
        for c in citations or []:
            title = str(c.get("title", "")).strip()
            if title and title not in titles:
                titles.append(title)
    return titles[:_LISTED]


def _outcome(answer: dict, words: dict) -> str:
    confidence = f"{words['confidence']} {float(answer.get('confidence') or 0):.2f}"
    if answer.get("decision") == "declined":
        return f"{words['declined']}: {answer.get('reason') or '-'}, {confidence}"
    return f"{words['answered']}, {confidence}, {answer.get('backend') or '-'}"


def _cite(c: dict) -> str:
    section = f" — {c['section']}" if c.get("section") else ""
    link = f" ({c['link']})" if c.get("link") else ""
    return f"{c.get('title', '')}{section}{link} [{c.get('article_id', '')}]"


def _role(turn: TurnRecord) -> str:
    return "assistant" if turn.role == "assistant" else "user"


def _stamp(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _masked(text: str) -> str:
    return mask_pii(_short(text, 600)).text


def _short(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
