"""What the Desk returns: an answer with its citations, or a decline that offers a ticket."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Decision = Literal["answered", "declined"]
Backend = Literal["llm", "extractive", "none"]


@dataclass(frozen=True)
class Turn:
    """One message of a conversation, as the Desk sees history."""

    role: Literal["user", "assistant"]
    text: str


@dataclass
class Citation:
    """A source shown with an answer: ``[n]`` in the text refers to ``n`` here."""

    n: int
    article_id: str
    title: str
    section: str
    link: str
    snippet: str = ""


@dataclass
class Answer:
    """The Desk's reply to one question."""

    text: str
    decision: Decision
    language: str
    confidence: float
    citations: list[Citation] = field(default_factory=list)
    related: list[Citation] = field(default_factory=list)  # shown with a decline
    reason: str | None = None  # why declined: low_confidence | no_sources | invalid_question
    backend: Backend = "none"
    model: str = ""
    prompt_version: str = ""
    fallback_reason: str | None = None  # why the LLM's text is not the one shown
    offer_ticket: bool = True
    query: str = ""  # the standalone query that was searched
    pii_masked: list[str] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)  # article ids, best first
    latencies_ms: dict[str, float] = field(default_factory=dict)

    @property
    def answered(self) -> bool:
        """Whether the Desk answered (rather than declined)."""
        return self.decision == "answered"

    def cited_ids(self) -> list[str]:
        """Article ids the answer cites, in citation order."""
        return [c.article_id for c in self.citations]

    def to_dict(self) -> dict:
        """Plain JSON-ready form."""
        return asdict(self)
