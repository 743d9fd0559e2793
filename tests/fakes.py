"""Fakes that plug in through the same interfaces as the real components (unit tests only)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.tickets.records import utcnow

# Moved into retrieval (registered as the ``hash`` embedder); tests still find it here.
from retrieval.hash_embedder import HashEmbeddings as HashEmbeddings


class ScriptedChatModel:
    """A ``ChatModel`` that replies from a script and records every request (unit tests only).

    A reply that is an exception is raised as ``LLMUnavailable`` (a dead or failing endpoint).
    """

    def __init__(self, replies, name: str = "scripted", up: bool = True, delay: float = 0.0):
        self.replies = list(replies)
        self.name = name
        self.up = up
        self.delay = delay
        self.calls: list[list[tuple[str, str]]] = []

    def available(self) -> bool:
        """As configured by ``up``."""
        return self.up

    def complete(self, messages, max_tokens=None) -> str:
        """The next scripted reply."""
        return "".join(self.stream(messages, max_tokens))

    def stream(self, messages, max_tokens=None):
        """The next scripted reply in pieces of a few characters."""
        import time

        from llm_server.client import LLMUnavailable

        self.calls.append(list(messages))
        reply = self.replies.pop(0) if self.replies else "(script exhausted)"
        if isinstance(reply, Exception):
            raise LLMUnavailable(str(reply))
        for i in range(0, len(reply), 6):
            if self.delay:
                time.sleep(self.delay)
            yield reply[i : i + 6]


def make_hit(
    article_id: str,
    text: str,
    confidence: float = 0.9,
    title: str | None = None,
    section: str = "",
    fused: float = 1.0,
    groups: tuple[str, ...] = (),
):
    """A search hit as the hybrid retriever would return it."""
    from retrieval.schema import Hit

    return Hit(
        article_id=article_id,
        title=title or f"Article {article_id}",
        section=section,
        snippet=text[:200],
        source=f"{article_id}.md",
        lang="ko" if any("\uac00" <= c <= "\ud7a3" for c in text) else "en",
        chunk_id=f"{article_id}#0",
        dense_score=0.9,
        keyword_score=5.0,
        fused_score=fused,
        confidence=confidence,
        allowed_groups=list(groups),
        text=text,
    )


class StaticRetriever:
    """A ``Retriever`` that returns the same hits for every query and records the queries."""

    def __init__(self, hits):
        self.hits = list(hits)
        self.queries: list[str] = []

    def search(self, query, user=None, k=5):
        """The configured hits the user may see."""
        self.queries.append(query)
        groups = (user.groups if user else frozenset()) or frozenset()
        visible = [h for h in self.hits if not h.allowed_groups or set(h.allowed_groups) & groups]
        return visible[:k]


class FixedTriage:
    """A ``Triage`` that always suggests the same thing and records what it was asked.

    Sites built to test the web or Slack use it: the configured classifier would train in the
    background on every start (tens of seconds of the machine's cores). The default suggestion
    is one the default settings accept (the network category and its group).
    """

    def __init__(
        self, category: str = "network", priority: str = "P2", group: str = "Network Operations"
    ):
        from bot.tickets.triage.suggestion import TriageSuggestion

        self.suggestion = TriageSuggestion(category, priority, group, 0.9, "fixed")  # type: ignore[arg-type]
        self.texts: list[str] = []

    def suggest(self, text: str):
        """The fixed suggestion."""
        self.texts.append(text)
        return self.suggestion


class FakeClock:
    """A clock the test moves by hand, for whatever takes a ``clock``: the store and the incident
    monitor (datetimes in UTC) or the sign-in throttle (seconds).

    ``FakeClock()`` keeps pace with the real time in UTC, shifted by ``offset``;
    ``FakeClock(start)`` stands still at ``start`` (a datetime, or seconds) until moved.
    """

    def __init__(self, start: datetime | float | None = None) -> None:
        self.start = start
        self.offset = timedelta(0)

    def __call__(self) -> Any:
        return self.now

    @property
    def now(self) -> Any:
        """The time the clock shows."""
        base = utcnow() if self.start is None else self.start
        if isinstance(base, datetime):
            return base + self.offset
        return base + self.offset.total_seconds()

    def advance(self, **delta: float) -> Any:
        """Move on by ``timedelta(**delta)``; return the new time."""
        self.offset += timedelta(**delta)
        return self.now

    def set(self, moment: datetime) -> None:
        """Show ``moment`` now (a clock that keeps pace goes on from there)."""
        self.offset = moment - (utcnow() if self.start is None else self.start)
