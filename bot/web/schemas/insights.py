"""The responses of ``/api/v1/admin/gaps`` and ``/api/v1/admin/incidents`` (``bot.insights.gaps``,
``bot.insights.incidents``)."""

from __future__ import annotations

from pydantic import Field

from bot.web.schemas.base import ApiModel, Timestamp


class KnowledgeGap(ApiModel):
    """Similar questions the desk declined or escalated: what an article could answer."""

    title: str = Field(description="suggested article title (the most central question, cleaned)")
    count: int = Field(description="questions in the group")
    examples: list[str] = Field(description="up to three wordings, the most central first")
    terms: list[str] = Field(description="words most of the questions share")
    languages: dict[str, int] = Field(description="questions per language (ko, en)")
    declined: int = Field(description="questions the bot declined")
    escalated: int = Field(description="questions whose conversation became a ticket")
    users: int = Field(description="distinct employees who asked")
    first_seen: Timestamp
    last_seen: Timestamp


class KnowledgeGaps(ApiModel):
    """The knowledge gaps of the last ``days`` days, most questions first."""

    days: int
    similarity: float = Field(description="average cosine similarity that joins questions")
    gaps: list[KnowledgeGap]


class Incident(ApiModel):
    """A spike of similar questions, alerted once per topic and window."""

    title: str
    count: int = Field(description="similar questions within the window")
    users: int = Field(description="distinct employees who asked them")
    first_seen: Timestamp
    last_seen: Timestamp
    examples: list[str]
    turn_ids: list[int]
    article: str = Field(description="the article most of them retrieved first, if any")
    alerted_at: Timestamp | None


class Incidents(ApiModel):
    """The incidents alerted within the last window (the dashboard's banner), and the rules."""

    window_min: float
    threshold: int
    similarity: float
    min_users: int
    active: list[Incident]
