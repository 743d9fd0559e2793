"""The Desk, its chat model and escalation, reporting what they do to an :class:`Observer`.

``bot.wiring`` wraps the components it builds (:func:`observed_desk`,
:func:`observed_escalation`); every front end then reports through the same seam, and nothing
counts in a module-global registry.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Protocol

from bot.desk.answer import Answer, Turn
from bot.desk.desk import Desk, Event
from bot.tickets.escalation import Escalation
from bot.tickets.records import Conversation, Ticket, TicketDraft
from llm_server.client import ChatModel, Message
from retrieval.schema import User

REMEMBERED_TICKETS = 1024  # numbers counted lately: a retry of the same filing is not counted


class Observer(Protocol):
    """What the wrapped components report (``bot.observability.Metrics`` is one)."""

    def answered(self, answer: Answer) -> None:
        """One answer was given."""
        ...

    def llm_call(self, seconds: float, outcome: str, error: str | None = None) -> None:
        """One LLM request ended: ``ok``, ``error`` (of kind ``error``) or ``abandoned``."""
        ...

    def ticket_filed(self, channel: str) -> None:
        """One new ticket was filed on ``channel``."""
        ...


class ObservedDesk(Desk):
    """A Desk that reports each answer it gives (every front end asks through ``ask_stream``)."""

    def __init__(self, desk: Desk, observer: Observer) -> None:
        chat = MeteredChatModel(desk.chat, observer) if desk.chat is not None else None
        super().__init__(desk.retriever, desk.settings, chat, desk.prompts)
        self.observer = observer

    def ask_stream(
        self, question: str, user: User | None = None, history: Iterable[Turn] = ()
    ) -> Iterator[Event]:
        """The Desk's events; the final answer is reported before it is passed on."""
        for event in super().ask_stream(question, user, history):
            if event.kind == "answer":
                self.observer.answered(event.data)
            yield event


def observed_desk(desk: Desk, observer: Observer) -> Desk:
    """``desk`` reporting to ``observer``; a subclass of Desk (a test's own) is left as it is."""
    return ObservedDesk(desk, observer) if type(desk) is Desk else desk


class MeteredChatModel:
    """A ``ChatModel`` that times each request and reports how it ended."""

    def __init__(self, model: ChatModel, observer: Observer) -> None:
        self.model = model
        self.name = model.name
        self.observer = observer

    def available(self) -> bool:
        """Whether the model can take a request (not counted: it is a probe)."""
        return self.model.available()

    def complete(self, messages: list[Message], max_tokens: int | None = None) -> str:
        """The whole reply, timed."""
        started = time.perf_counter()
        try:
            reply = self.model.complete(messages, max_tokens)
        except Exception as err:
            self.observer.llm_call(time.perf_counter() - started, "error", error_kind(err))
            raise
        self.observer.llm_call(time.perf_counter() - started, "ok")
        return reply

    def stream(self, messages: list[Message], max_tokens: int | None = None) -> Iterator[str]:
        """The reply piece by piece, timed to the last piece; a reader that stops early (a
        deadline, a closed connection) is reported as ``abandoned``."""
        started = time.perf_counter()
        outcome, error = "abandoned", None
        try:
            yield from self.model.stream(messages, max_tokens)
            outcome = "ok"
        except Exception as err:
            outcome, error = "error", error_kind(err)
            raise
        finally:
            self.observer.llm_call(time.perf_counter() - started, outcome, error)


def error_kind(err: BaseException) -> str:
    """A short kind for a failed LLM request: the client's ``LLMUnavailable`` messages start
    with the cause (``APIConnectionError: ...``, ``busy: ...``); otherwise the exception type."""
    head = str(err).split(":", 1)[0].strip()
    return head if head.isidentifier() and len(head) <= 40 else type(err).__name__


class ObservedEscalation(Escalation):
    """Escalation that reports each ticket it files for the first time."""

    def __init__(self, escalation: Escalation, observer: Observer) -> None:
        e = escalation
        super().__init__(e.store, e.triage, e.settings, chat=e.chat, prompts=e.prompts)
        self.observer = observer
        self._counted: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def file(
        self, conversation: Conversation, draft: TicketDraft, requester: str, idempotency_key: str
    ) -> Ticket:
        """File as Escalation does; a ticket is counted when the conversation had none before
        and this process has not counted its number yet (retries return the first ticket)."""
        had_one = bool(conversation.ticket_number)
        ticket = super().file(conversation, draft, requester, idempotency_key)
        if not had_one and self._first_time(ticket.number):
            self.observer.ticket_filed(ticket.channel)
        return ticket

    def _first_time(self, number: str) -> bool:
        with self._lock:
            if number in self._counted:
                return False
            self._counted[number] = None
            if len(self._counted) > REMEMBERED_TICKETS:
                self._counted.popitem(last=False)
            return True


def observed_escalation(escalation: Escalation, observer: Observer) -> Escalation:
    """``escalation`` reporting to ``observer``; a subclass (a test's own) is left as it is."""
    if type(escalation) is Escalation:
        return ObservedEscalation(escalation, observer)
    return escalation
