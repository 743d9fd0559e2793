"""The response of ``GET /api/v1/analytics`` (``bot.web.admin.analytics_api``): the live figures of
DESIGN.md §5 overall, per channel and per ISO week."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bot.web.schemas.admin import Ratio, SlaCompliance
from bot.web.schemas.base import ApiModel, Timestamp


class LiveFigures(ApiModel):
    """The live figures of one slice: everything, one channel or one ISO week."""

    conversations: int
    outcomes: dict[str, int] = Field(
        description="conversations per outcome: confirmed, potential, escalated, returned, "
        "undetermined"
    )
    fcr_confirmed: Ratio = Field(description="confirmed (Resolved pressed) / conversations")
    fcr_potential: Ratio = Field(
        description="ended without a ticket, no come-back within 72 hours / conversations"
    )
    escalated_rate: Ratio = Field(description="escalated / conversations")
    returned_rate: Ratio = Field(
        description="come back to on the same topic within 72 hours / conversations"
    )
    not_resolved_rate: Ratio = Field(description="(escalated + returned) / conversations")
    deflected: int = Field(description="conversations without a ticket")
    deflection: Ratio = Field(description="deflected / conversations")
    votes_helpful: int
    votes_not_helpful: int
    csat: Ratio = Field(description="helpful / (helpful + not helpful)")
    tickets: int
    tickets_reopened: int = Field(description="tickets reopened at least once")
    reopened_rate: Ratio = Field(description="tickets_reopened / tickets")
    sla_compliance: SlaCompliance


class Analytics(ApiModel):
    """The live figures over the last ``days`` days, on one channel or both."""

    generated_at: Timestamp
    since: Timestamp | None = Field(description="null: no start (all records)")
    days: int
    channel: Literal["web", "slack"] | None = Field(description="null: both channels")
    definitions: dict[str, str] = Field(description="what each figure counts, in words")
    overall: LiveFigures
    by_channel: dict[str, LiveFigures] = Field(description="web and slack (the one asked for)")
    by_week: dict[str, LiveFigures] = Field(description="per ISO week (2025-W07), oldest first")
