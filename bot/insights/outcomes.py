"""Live first-contact resolution: the one outcome each conversation gets (DESIGN.md §5).

- ``escalated`` (not resolved): a ticket was filed from it (``Conversation.ticket_number`` or a
  ticket whose ``conversation_id`` points at it). A reopened ticket stays here.
- ``confirmed``: the employee pressed Resolved (a ``resolved`` feedback) and no ticket was filed.
- ``returned`` (not resolved, the issue "reopened"): no ticket and no Resolved press, but the same
  employee started another conversation on the *same topic* within 72 hours of this one's last
  message.
- ``potential``: no ticket, no Resolved press, the bot answered at least once, 72 hours have
  passed since the last message and the employee did not come back on the same topic.
- ``undetermined``: everything else: the 72 hours have not passed yet, or the bot never answered
  (only declines). Silence is never counted as success.

*Same topic* is transparent on purpose: two conversations share a topic when their topic sets
intersect, a conversation's topic set being the top retrieved article of its first answer
(``answer["retrieved"][0]``) plus every article its answers cited. A conversation without any
retrieved or cited article falls back to its normalised first question.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

from bot.tickets.records import Conversation, Feedback, Ticket

COMEBACK_WINDOW = timedelta(hours=72)
OUTCOMES = ("confirmed", "potential", "escalated", "returned", "undetermined")
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


def normalise_question(text: str) -> str:
    """Return the grouping key of a question: NFKC, case-folded, no punctuation, single spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_PUNCT.sub(" ", text).split())


def _answers(conv: Conversation) -> list[dict]:
    return [t.answer for t in conv.turns if t.role == "assistant" and t.answer]


def topic_of(conv: Conversation) -> set[str]:
    """Return the conversation's topic: first answer's top retrieved article and cited articles."""
    answers = _answers(conv)
    topic: set[str] = set()
    if answers and answers[0].get("retrieved"):
        topic.add(str(answers[0]["retrieved"][0]))
    for answer in answers:
        topic.update(str(c["article_id"]) for c in answer.get("citations") or [] if c)
    if not topic:
        first = next((t.text for t in conv.turns if t.role == "user"), "")
        if normalise_question(first):
            topic.add("q:" + normalise_question(first))
    return topic


def _last_activity(conv: Conversation) -> datetime:
    return max([conv.created_at, *(t.created_at for t in conv.turns)])


def _came_back(conv: Conversation, later: list[Conversation]) -> bool:
    """Whether the same employee started another conversation on the same topic within 72 h."""
    topic = topic_of(conv)
    end = _last_activity(conv)
    for other in later:
        if other.id == conv.id or other.user != conv.user:
            continue
        if conv.created_at < other.created_at <= end + COMEBACK_WINDOW and topic & topic_of(other):
            return True
    return False


def outcome_of(
    conv: Conversation,
    escalated: set[int],
    resolved: set[int],
    same_user: list[Conversation],
    now: datetime,
) -> str:
    """Classify one conversation (see the module docstring for the rules)."""
    if conv.ticket_number or conv.id in escalated:
        return "escalated"
    if conv.id in resolved:
        return "confirmed"
    if _came_back(conv, same_user):
        return "returned"
    answered = any(a.get("decision") == "answered" for a in _answers(conv))
    if answered and now - _last_activity(conv) >= COMEBACK_WINDOW:
        return "potential"
    return "undetermined"


def classify(
    conversations: list[Conversation],
    feedback: list[Feedback],
    tickets: list[Ticket],
    now: datetime,
) -> list[str]:
    """Return each conversation's outcome, in the order given."""
    escalated = {t.conversation_id for t in tickets if t.conversation_id is not None}
    resolved = {f.conversation_id for f in feedback if f.kind == "resolved"}
    by_user: dict[str, list[Conversation]] = {}
    for conv in conversations:
        by_user.setdefault(conv.user, []).append(conv)
    return [
        outcome_of(conv, escalated, resolved, by_user[conv.user], now) for conv in conversations
    ]
