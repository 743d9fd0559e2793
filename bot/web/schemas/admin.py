"""The admin API's responses (``bot.web.admin.api``): dashboard figures
(``bot.insights.analytics``), articles, upload results, drafts and the audit log."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from bot.web.schemas.base import ApiModel, Timestamp

Ratio = float | None  # None when there is nothing to divide by


class BreachCounts(ApiModel):
    """Tickets whose first response / resolution came (or is still missing) after its due time."""

    response: int
    resolution: int


class SlaBreaches(ApiModel):
    """SLA breaches of open and of resolved or closed tickets."""

    open: BreachCounts
    closed: BreachCounts


class Compliance(ApiModel):
    """One SLA target's compliance: decided targets, how many were met, and their share."""

    counted: int = Field(description="tickets whose target is decided (met, or missed once due)")
    met: int
    rate: Ratio = Field(description="met / counted")


class SlaCompliance(ApiModel):
    """Compliance with the first-response target, the resolution target and both
    (``bot.tickets.sla``)."""

    response: Compliance
    resolution: Compliance
    both: Compliance


class DeclinedQuestion(ApiModel):
    """A question the Desk declined, grouped by its normalised text."""

    question: str = Field(description="the latest wording")
    key: str
    count: int


class Figures(ApiModel):
    """Every dashboard figure over one slice: everything, one channel or one ISO week."""

    conversations: int
    deflected: int = Field(description="conversations without a ticket")
    deflection: Ratio
    outcomes: dict[str, int] = Field(
        description="conversations per outcome: confirmed, potential, escalated, returned, "
        "undetermined"
    )
    fcr_confirmed: Ratio
    fcr_potential: Ratio
    not_resolved: int = Field(description="escalated + returned")
    not_resolved_rate: Ratio
    votes_helpful: int
    votes_not_helpful: int
    csat: Ratio = Field(description="helpful / (helpful + not helpful)")
    tickets: int
    tickets_by_status: dict[str, int]
    tickets_by_priority: dict[str, int]
    tickets_reopened: int
    sla_breaches: SlaBreaches
    top_declined: list[DeclinedQuestion] = Field(description="most asked first")
    escalated_rate: Ratio = Field(description="escalated / conversations")
    returned_rate: Ratio = Field(
        description="conversations the employee came back on within 72 hours / conversations"
    )
    reopened_rate: Ratio = Field(description="tickets reopened at least once / tickets")
    sla_compliance: SlaCompliance


class Dashboard(ApiModel):
    """All figures over the last ``days`` days: overall, per channel and per ISO week."""

    generated_at: Timestamp
    since: Timestamp | None
    overall: Figures
    by_channel: dict[str, Figures] = Field(description="web and slack")
    by_week: dict[str, Figures] = Field(description="per ISO week (2025-W07), oldest first")


class ArticleEntry(ApiModel):
    """An indexed article's metadata."""

    article_id: str
    title: str
    source: str
    lang: str
    content_hash: str
    tags: list[str]
    allowed_groups: list[str] = Field(description="empty: a public article")
    owner: str
    updated: str
    chunk_count: int
    indexed_at: str
    origin: str = Field(description="the file the article was loaded from")


class ArticleChunk(ApiModel):
    """One indexed piece of an article."""

    article_id: str
    ordinal: int
    section: str
    text: str
    title: str


class ArticleDetail(ArticleEntry):
    """One article's metadata and its chunks (restricted articles included)."""

    chunks: list[ArticleChunk]


class ArticleList(ApiModel):
    """Indexed articles matching the query, and the index's size."""

    query: str
    total_articles: int
    total_chunks: int
    count: int = Field(description="how many articles matched")
    articles: list[ArticleEntry]


class FileResult(ApiModel):
    """What happened to one file: added, updated, unchanged, reindexed or failed."""

    name: str
    status: str
    articles: list[str] = Field(description="the article ids it holds")
    reason: str = Field(description="why it failed; empty otherwise")
    ok: bool
    line: str = Field(description="the one line shown to the admin")


class FileResults(ApiModel):
    """One result per file; ``ok`` when none failed."""

    ok: bool
    lines: list[str]
    results: list[FileResult]


class Deleted(ApiModel):
    """The article removed from every index."""

    deleted: str


class ArticleDraft(ApiModel):
    """A knowledge article proposed from a ticket's resolution."""

    id: int
    title: str
    body: str
    author: str
    ticket_number: str | None
    status: Literal["pending", "approved", "rejected"]
    article_id: str | None = Field(description="set once approved and published")
    created_at: Timestamp


class DraftApproved(ApiModel):
    """The approved draft and how its article was taken in."""

    draft: ArticleDraft
    result: FileResult


class DraftRejected(ApiModel):
    """The rejected draft."""

    draft: ArticleDraft


class AuditEvent(ApiModel):
    """An agent's or admin's action, kept for accountability."""

    id: int
    actor: str
    action: str = Field(description="e.g. ticket.status, article.delete, draft.approve")
    target: str = Field(description="e.g. SD-000123, an article id, a username")
    detail: dict[str, Any]
    created_at: Timestamp
