"""The Desk's answers and search hits as the API returns them (``Answer.to_dict()``,
``Hit.to_dict()``)."""

from __future__ import annotations

from pydantic import Field

from bot.desk.answer import Backend, Decision
from bot.web.schemas.base import ApiModel


class Citation(ApiModel):
    """A source shown with an answer: ``[n]`` in the answer's text refers to ``n`` here."""

    n: int
    article_id: str
    title: str
    section: str
    link: str = Field(description="where the article can be read")
    snippet: str


class Answer(ApiModel):
    """The Desk's reply to one question: an answer with citations, or a decline."""

    text: str
    decision: Decision
    language: str = Field(description="ko or en: the language answered in")
    confidence: float
    citations: list[Citation] = Field(description="the sources the text cites")
    related: list[Citation] = Field(description="articles shown with a decline")
    reason: str | None = Field(
        description="why declined: low_confidence, no_sources or invalid_question"
    )
    backend: Backend
    model: str
    prompt_version: str = Field(description="content hash of the prompt used")
    fallback_reason: str | None = Field(description="why the LLM's text is not the one shown")
    offer_ticket: bool = Field(description="whether to offer talking to a person")
    query: str = Field(description="the standalone query that was searched")
    pii_masked: list[str] = Field(description="kinds of personal data masked in the question")
    retrieved: list[str] = Field(description="article ids retrieved, best first")
    latencies_ms: dict[str, float] = Field(description="milliseconds per stage")


class Hit(ApiModel):
    """One search result: the best chunk of one article, with the evidence behind its rank."""

    article_id: str
    title: str
    section: str
    snippet: str
    source: str = Field(
        description="a URL, or the file's name; the path on the server for agents and admins"
    )
    lang: str
    chunk_id: str
    dense_score: float | None
    keyword_score: float | None
    fused_score: float
    confidence: float
    rerank_score: float | None
    tags: list[str]
    allowed_groups: list[str] | None = Field(
        None, description="empty: a public article; null: not shown (agents and admins only)"
    )
    text: str = Field(description="the whole chunk the snippet comes from")


class SearchResults(ApiModel):
    """Articles the caller may see, best first."""

    query: str = Field(description="the query as searched (stripped)")
    took_ms: float
    hits: list[Hit]
