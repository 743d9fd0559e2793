"""Answering in a thread: claim the message, post "looking…", ask the Desk, replace the
placeholder with the answer — or with a short apology that offers a ticket. Never silent.

A follow-up in a thread whose ticket is still open goes to the ticket (the agent reads it) instead
of to the Desk.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.blocks import (
    ButtonRef,
    SlackMessage,
    answer_message,
    fallback,
    looking,
    problem_message,
    sections,
)
from bot.slack.events import Question
from bot.slack.identity import Identity
from bot.slack.mrkdwn import escape
from bot.slack.services import SlackServices
from bot.slack.texts import say
from bot.text.language import detect_language
from bot.tickets.records import Conversation, TicketStore

log = logging.getLogger(__name__)
RECEIVED_REACTION = "incoming_envelope"


class ThreadResponder:
    """Answers questions in their Slack threads through the conversation service."""

    def __init__(
        self,
        client: WebClient,
        services: SlackServices,
        identity: Identity,
        timeout: float,
        base_url: str = "",
        workers: int = 4,
    ):
        self.client = client
        self.services = services
        self.identity = identity
        self.timeout = timeout
        self.base_url = base_url
        # The Desk runs here so that a slow answer can be abandoned at the timeout.
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="slack-answer")

    @property
    def store(self) -> TicketStore:
        return self.services.store

    def handle(self, question: Question) -> None:
        """Answer ``question`` in its thread once, however often Slack delivers it."""
        if not self.store.claim_event(f"slack:message:{question.channel}:{question.ts}"):
            log.info("message %s:%s already handled", question.channel, question.ts)
            return
        conversation = self._existing(question)
        if conversation is not None and self._to_ticket(question, conversation):
            return
        self.answer(question, conversation)

    def answer(self, question: Question, conversation: Conversation | None = None) -> None:
        """Post the placeholder, then replace it with the answer (or an apology)."""
        language = detect_language(question.text)
        placeholder = self.post(question.channel, question.thread_ts, looking(language))
        if placeholder is None:
            return  # Slack refused even the placeholder (e.g. not in the channel): logged
        try:
            account = self.identity.account(question.user, question.private)
            if conversation is None:
                conversation = self.services.conversations.start(
                    "slack", question.user, question.thread_ref
                )
        except Exception:
            log.exception("could not start answering %s", question.thread_ref)
            self.update(
                question.channel, placeholder, problem_message("unavailable", language, None)
            )
            return
        ref = ButtonRef(conversation.id)
        future = self.pool.submit(
            self.services.conversations.ask_turn, conversation.id, question.text, account
        )
        try:
            answer, turn = future.result(timeout=self.timeout)
        except FutureTimeout:
            self.update(question.channel, placeholder, problem_message("timeout", language, ref))
            future.add_done_callback(lambda done: self._late(done, question, ref))
            return
        except Exception:
            log.exception("answering in %s failed", question.thread_ref)
            self.update(question.channel, placeholder, problem_message("error", language, ref))
            return
        message = answer_message(answer, ButtonRef(conversation.id, turn.id), self.base_url)
        self.update(question.channel, placeholder, message)

    def ask_privately(self, user: str, text: str) -> bool:
        """Answer a ``/helpdesk`` question in the asker's direct messages, in a new thread;
        False when the direct message could not be opened or written (logged)."""
        try:
            channel = self.client.conversations_open(users=user)["channel"]["id"]
        except SlackApiError as err:
            log.error("conversations.open for %s failed: %s", user, err.response.get("error"))
            return False
        head = say("command_question", detect_language(text), user=user)
        quoted = "\n".join(f">{escape(line)}" for line in text.splitlines())
        ts = self.post(channel, None, SlackMessage(fallback(text), sections(f"{head}\n{quoted}")))
        if ts is None:
            return False
        self.handle(Question(channel, user, text, ts, ts, "im"))
        return True

    def post(self, channel: str, thread_ts: str | None, message: SlackMessage) -> str | None:
        """Post into the thread (or the channel); the new message's ts, or None when Slack
        refused (logged)."""
        where = {"thread_ts": thread_ts} if thread_ts else {}
        try:
            reply = self.client.chat_postMessage(channel=channel, **where, **message.kwargs())
        except SlackApiError as err:
            log.error("chat.postMessage to %s failed: %s", channel, err.response.get("error"))
            return None
        return reply.get("ts")

    def update(self, channel: str, ts: str, message: SlackMessage) -> None:
        """Replace a posted message; if Slack rejects the blocks, the plain text still goes."""
        try:
            self.client.chat_update(channel=channel, ts=ts, **message.kwargs())
            return
        except SlackApiError as err:
            log.error("chat.update in %s failed: %s", channel, err.response.get("error"))
        try:
            self.client.chat_update(channel=channel, ts=ts, text=message.text, blocks=[])
        except SlackApiError as err:
            log.error(
                "chat.update (text only) in %s failed: %s", channel, err.response.get("error")
            )

    def _existing(self, question: Question) -> Conversation | None:
        """The asker's conversation in this thread (someone else's thread gets a new one)."""
        found = self.store.conversation_by_thread("slack", question.thread_ref)
        return found if found is not None and found.user == question.user else None

    def _to_ticket(self, question: Question, conversation: Conversation) -> bool:
        """Add a follow-up to the thread's open ticket; whether it went there."""
        if self.services.casework.follow_up(conversation, question.text) is None:
            return False  # no ticket, or it is resolved or closed: the Desk answers again
        try:
            self.client.reactions_add(
                channel=question.channel, timestamp=question.ts, name=RECEIVED_REACTION
            )
        except SlackApiError as err:  # the message is stored; the reaction is a courtesy
            log.warning("reactions.add failed: %s", err.response.get("error"))
        return True

    def _late(self, done: Future, question: Question, ref: ButtonRef) -> None:
        """Post an answer that arrived after the timeout message."""
        if done.exception() is not None:
            log.error("late answer in %s failed: %s", question.thread_ref, done.exception())
            return
        answer, turn = done.result()
        message = answer_message(answer, ButtonRef(ref.conversation_id, turn.id), self.base_url)
        self.post(question.channel, question.thread_ts, message)
