"""`servicedesk eval export --escalated`: escalated conversations become eval cases.

Each conversation that ended in a ticket becomes one line of ``questions.jsonl`` in the shared
eval format (``qid, question, lang, gold_doc_ids, gold_answers, should_escalate,
escalate_reason, source, meta``):

- ``question``: the employee's first message (later ones are kept in ``meta.followups``);
- ``gold_answers``: the agent's resolution, once the ticket is resolved or closed;
- ``gold_doc_ids``: the article finally used: the knowledge article drafted from the ticket when
  an admin approved it, else the article the Desk cited last in the conversation;
- ``should_escalate``: false when an approved article now answers the question, else true
  (``escalate_reason: "escalated"``): the knowledge base did not settle it.

Every text is PII-masked again on the way out (turns are stored masked already; resolutions are
written by agents and are not).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from bot.text.language import detect_language
from bot.text.pii import mask_pii
from bot.tickets.records import Conversation, NotFound, Ticket, TicketStore

SOURCE = "servicedesk escalations"
_DONE = ("resolved", "closed")
MAX_CONVERSATIONS = 100_000


def parse_since(text: str | None) -> datetime | None:
    """``YYYY-MM-DD`` (or a full ISO time) as an aware UTC time; ``ValueError`` if malformed."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--since wants a date like 2026-11-01, not {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def escalated_cases(store: TicketStore, since: datetime | None = None) -> list[dict]:
    """One eval case per conversation that became a ticket, oldest first."""
    approved = approved_articles(store)
    conversations = store.conversations(since=since, limit=MAX_CONVERSATIONS)
    cases = []
    for conversation in reversed(conversations):
        if not conversation.ticket_number or not _asked(conversation):
            continue
        try:
            ticket = store.ticket(conversation.ticket_number)
        except NotFound:  # a ticket removed by hand: nothing to learn from
            continue
        cases.append(case(conversation, ticket, approved.get(ticket.number)))
    return cases


def approved_articles(store: TicketStore) -> dict[str, str]:
    """Ticket number -> id of the newest approved article drafted from it."""
    out: dict[str, str] = {}
    for draft in store.drafts(status="approved"):  # newest first: the first one seen wins
        if draft.ticket_number and draft.article_id and draft.ticket_number not in out:
            out[draft.ticket_number] = draft.article_id
    return out


def case(conversation: Conversation, ticket: Ticket, approved_article: str | None) -> dict:
    """The eval case of one escalated conversation."""
    asked = _asked(conversation)
    question = _masked(asked[0])
    cited = last_cited(conversation)
    gold_ids = [approved_article] if approved_article else [cited] if cited else []
    resolution = _masked(ticket.resolution) if ticket.status in _DONE else ""
    return {
        "qid": f"escalated-{ticket.number}",
        "question": question,
        "lang": detect_language(question),
        "gold_doc_ids": gold_ids,
        "gold_answers": [resolution] if resolution else [],
        "should_escalate": approved_article is None,
        "escalate_reason": None if approved_article else "escalated",
        "source": f"{SOURCE} ({conversation.channel})",
        "meta": {
            "ticket": ticket.number,
            "status": ticket.status,
            "category": ticket.category,
            "conversation_id": conversation.id,
            "created_at": conversation.created_at.isoformat(),
            "gold_from": "approved_article" if approved_article else "last_cited" if cited else "",
            "followups": [_masked(t) for t in asked[1:]],
        },
    }


def last_cited(conversation: Conversation) -> str | None:
    """The best source of the Desk's last answer that cited any."""
    for turn in reversed(conversation.turns):
        if turn.role != "assistant" or not turn.answer:
            continue
        ids = [str(c.get("article_id") or "") for c in turn.answer.get("citations") or []]
        if any(ids):
            return next(i for i in ids if i)
    return None


def write_jsonl(cases: Iterable[dict], path: Path) -> int:
    """Write ``cases`` one JSON object a line; return how many."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(c, ensure_ascii=False) for c in cases]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(lines)


def _asked(conversation: Conversation) -> list[str]:
    return [t.text.strip() for t in conversation.turns if t.role == "user" and t.text.strip()]


def _masked(text: str) -> str:
    return mask_pii(text).text
