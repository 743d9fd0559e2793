"""Conversations with the Desk, front-end agnostic: the web chat and the Slack bot both use this.

Each question is stored as a user turn before the Desk sees it (so nothing the employee typed is
lost), with the conversation's earlier turns as history; the Desk's answer is stored whole
(``Answer.to_dict()``: citations, prompt version, latency) as the assistant turn.

Nothing else runs on the way: the incident signal reads the stored questions on the worker's
schedule (``bot.worker``), so no answer waits for it however many questions the window holds.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.desk.answer import Answer, Turn
from bot.desk.desk import Desk, Event
from bot.desk.questions import QuestionRejected, clean_question
from bot.text.pii import mask_pii
from bot.tickets.records import (
    Account,
    Channel,
    Conversation,
    Feedback,
    FeedbackKind,
    NotFound,
    TicketStore,
    TurnRecord,
)
from retrieval.schema import User

FEEDBACK_KINDS: tuple[FeedbackKind, ...] = ("helpful", "not_helpful", "resolved")


class ConversationService:
    """Starts conversations, asks the Desk within them and records turns and feedback."""

    def __init__(self, desk: Desk, store: TicketStore):
        self.desk = desk
        self.store = store

    def start(self, channel: Channel, user: str, thread_ref: str = "") -> Conversation:
        """Start a conversation of ``user`` on ``channel`` (a Slack thread: ``thread_ref``)."""
        return self.store.start_conversation(channel, user, thread_ref)

    def get(self, conversation_id: int, account: Account) -> Conversation:
        """The conversation if ``account`` owns it; NotFound otherwise (never someone else's)."""
        conversation = self.store.conversation(conversation_id)
        if conversation.user != account.username:
            raise NotFound(f"no conversation {conversation_id}")
        return conversation

    def too_long(self, question: str) -> bool:
        """Whether the Desk will refuse ``question`` for its length (checked before storing)."""
        try:
            clean_question(question, self.desk.settings.max_question_chars)
        except QuestionRejected as err:
            return err.code == "too_long"
        return False

    def ask(self, conversation_id: int, question: str, account: Account) -> Answer:
        """Ask within the conversation and return the Desk's answer (both turns stored)."""
        return self.ask_turn(conversation_id, question, account)[0]

    def ask_turn(
        self, conversation_id: int, question: str, account: Account
    ) -> tuple[Answer, TurnRecord]:
        """Like :meth:`ask`, also returning the stored assistant turn (its id takes feedback)."""
        answer, turn = None, None
        for event in self.ask_stream(conversation_id, question, account):
            if event.kind == "answer":
                answer = event.data
            elif event.kind == "stored":
                turn = event.data
        assert answer is not None and turn is not None  # ask_stream always ends with both
        return answer, turn

    def ask_stream(self, conversation_id: int, question: str, account: Account) -> Iterator[Event]:
        """Yield the Desk's events (``sources``, ``token``, ``reset``, ``answer``), then
        ``stored`` with the assistant's ``TurnRecord`` once both turns are recorded."""
        conversation = self.get(conversation_id, account)
        history = [Turn(t.role, t.text) for t in conversation.turns]
        if not self.too_long(question):
            # Stored masked, like the logs: the transcript reaches agents and analytics.
            self.store.add_turn(conversation_id, TurnRecord("user", mask_pii(question).text))
        # else: refused before anything is stored; the Desk answers with the "too long" message.
        asker = User.with_groups(account.username, account.groups)
        answer: Answer | None = None
        for event in self.desk.ask_stream(question, asker, history):
            if event.kind == "answer":
                answer = event.data
            yield event
        assert answer is not None
        turn = self.store.add_turn(
            conversation_id, TurnRecord("assistant", answer.text, answer=answer.to_dict())
        )
        yield Event("stored", turn)  # type: ignore[arg-type]

    def feedback(
        self,
        conversation_id: int,
        account: Account,
        kind: FeedbackKind,
        turn_id: int | None = None,
    ) -> Feedback:
        """Record the employee's verdict on an answer (or ``resolved`` for the conversation):
        one per person and answer, the latest replacing the earlier, so clicks cannot inflate
        satisfaction figures."""
        if kind not in FEEDBACK_KINDS:
            raise ValueError(f"unknown feedback {kind!r}; use one of {', '.join(FEEDBACK_KINDS)}")
        conversation = self.get(conversation_id, account)
        if turn_id is not None and turn_id not in {t.id for t in conversation.turns}:
            raise NotFound(f"no turn {turn_id} in conversation {conversation_id}")
        return self.store.replace_feedback(
            Feedback(
                conversation_id=conversation_id,
                user=account.username,
                kind=kind,
                turn_id=turn_id,
                channel=conversation.channel,
            )
        )
