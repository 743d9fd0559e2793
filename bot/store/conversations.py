"""Conversations (a web chat or a Slack thread) and their turns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from bot.store import records
from bot.store.base import StoreBase, one_of, required
from bot.store.columns import as_utc
from bot.store.schema import ConversationRow, FeedbackRow, TurnRow
from bot.tickets.records import (
    Channel,
    Conversation,
    Feedback,
    NotFound,
    QuestionAsked,
    TurnRecord,
)

CHANNELS = ("web", "slack")
TURN_ROLES = ("user", "assistant")
FEEDBACK_KINDS = ("helpful", "not_helpful", "resolved")


class ConversationRecords(StoreBase):
    """The conversations part of the store."""

    def start_conversation(self, channel: Channel, user: str, thread_ref: str = "") -> Conversation:
        """Begin a conversation of ``user`` on ``channel`` (a Slack thread: ``thread_ref``)."""
        row = ConversationRow(
            channel=one_of(channel, CHANNELS, "channel"),
            user=required(user, "user"),
            thread_ref=thread_ref,
            created_at=self._now(),
        )
        with self._write() as session:
            session.add(row)
            session.flush()
            return records.conversation(row, with_turns=False)

    def conversation(self, conversation_id: int) -> Conversation:
        """The conversation with its turns; NotFound when there is none."""
        with self._read() as session:
            return records.conversation(self._conversation_row(session, conversation_id))

    def conversation_by_thread(self, channel: Channel, thread_ref: str) -> Conversation | None:
        """The latest conversation kept for this thread, with its turns, or None."""
        if not thread_ref:
            return None
        query = (
            select(ConversationRow)
            .where(ConversationRow.channel == channel, ConversationRow.thread_ref == thread_ref)
            .options(selectinload(ConversationRow.turns))
            .order_by(ConversationRow.id.desc())
            .limit(1)
        )
        with self._read() as session:
            row = session.scalar(query)
            return records.conversation(row) if row else None

    def add_turn(self, conversation_id: int, turn: TurnRecord) -> TurnRecord:
        """Append a question or an answer to a conversation; NotFound when it does not exist."""
        with self._write() as session:
            self._conversation_row(session, conversation_id)
            row = TurnRow(
                conversation_id=conversation_id,
                role=one_of(turn.role, TURN_ROLES, "turn role"),
                text=turn.text,
                answer=turn.answer,
                created_at=turn.created_at,
            )
            session.add(row)
            session.flush()
            return records.turn(row)

    def conversations(
        self, user: str | None = None, since: datetime | None = None, limit: int = 1000
    ) -> list[Conversation]:
        """Conversations of ``user`` started at/after ``since``, newest first, with turns."""
        query = select(ConversationRow).options(selectinload(ConversationRow.turns))
        if user is not None:
            query = query.where(ConversationRow.user == user)
        if since is not None:
            query = query.where(ConversationRow.created_at >= since)
        query = query.order_by(ConversationRow.created_at.desc(), ConversationRow.id.desc())
        with self._read() as session:
            rows = session.scalars(query.limit(limit))
            return [records.conversation(r) for r in rows]

    def questions_since(self, since: datetime, limit: int = 2000) -> list[QuestionAsked]:
        """The newest ``limit`` employee questions asked at/after ``since``, oldest first, each
        with the top retrieved article of the answer that followed it (when stored yet)."""
        query = (
            select(TurnRow, ConversationRow.user)
            .join(ConversationRow, TurnRow.conversation_id == ConversationRow.id)
            .where(TurnRow.role == "user", TurnRow.created_at >= since)
            .order_by(TurnRow.created_at.desc(), TurnRow.id.desc())
            .limit(limit)
        )
        with self._read() as session:
            found = session.execute(query).tuples().all()
            articles = _top_articles(session, [turn for turn, _ in found])
        asked = [_asked(turn, user, articles.get(turn.id, "")) for turn, user in found]
        return sorted(asked, key=lambda a: (a.at, a.turn_id))

    def replace_feedback(self, feedback: Feedback) -> Feedback:
        """Keep ``feedback`` as the user's one verdict on its answer (on the conversation when
        ``turn_id`` is None): an earlier verdict of theirs there is replaced, so repeated clicks
        count once. The conversation's row is locked so two clicks at once keep one."""
        row = FeedbackRow(
            conversation_id=feedback.conversation_id,
            turn_id=feedback.turn_id,
            user=required(feedback.user, "user"),
            kind=one_of(feedback.kind, FEEDBACK_KINDS, "feedback kind"),
            channel=one_of(feedback.channel, CHANNELS, "channel"),
            created_at=feedback.created_at,
        )
        same_turn = (
            FeedbackRow.turn_id.is_(None)
            if feedback.turn_id is None
            else FeedbackRow.turn_id == feedback.turn_id
        )
        with self._write() as session:
            if session.get(ConversationRow, feedback.conversation_id, with_for_update=True) is None:
                raise NotFound(f"no conversation {feedback.conversation_id}")
            earlier = (
                FeedbackRow.conversation_id == feedback.conversation_id,
                FeedbackRow.user == row.user,
                same_turn,
            )
            session.execute(delete(FeedbackRow).where(*earlier))
            session.add(row)
            session.flush()
            return records.feedback(row)

    @staticmethod
    def _conversation_row(session: Session, conversation_id: int) -> ConversationRow:
        row = session.get(ConversationRow, conversation_id)
        if row is None:
            raise NotFound(f"no conversation {conversation_id}")
        return row


def _asked(turn: TurnRow, user: str, article: str) -> QuestionAsked:
    return QuestionAsked(
        turn_id=turn.id,
        text=turn.text.strip(),
        user=user,
        at=as_utc(turn.created_at),
        article=article,
        conversation_id=turn.conversation_id,
    )


def _top_articles(session: Session, questions: list[TurnRow]) -> dict[int, str]:
    """For each question, the first retrieved article of the next assistant turn after it."""
    if not questions:
        return {}
    query = (
        select(TurnRow.id, TurnRow.conversation_id, TurnRow.answer)
        .where(
            TurnRow.conversation_id.in_({q.conversation_id for q in questions}),
            TurnRow.role == "assistant",
            TurnRow.id > min(q.id for q in questions),
        )
        .order_by(TurnRow.id)
    )
    answers: dict[int, list[tuple[int, dict | None]]] = {}
    for turn_id, conversation_id, answer in session.execute(query):
        answers.setdefault(conversation_id, []).append((turn_id, answer))
    articles = {}
    for question in questions:
        after = (a for i, a in answers.get(question.conversation_id, []) if i > question.id)
        retrieved = (next(after, None) or {}).get("retrieved") or [""]
        articles[question.id] = str(retrieved[0])
    return articles
