"""``GET /api/v1/analytics``: the live figures of DESIGN.md §5 for agents and admins.

FCR confirmed and potential (72-hour come-back window), escalated, returned ("reopened"
conversations), deflection, CSAT, reopened tickets and SLA compliance, overall, per channel and
per ISO week, over the last ``days`` days and optionally one channel. Computed by
:func:`bot.insights.analytics.build_dashboard`; the admin dashboard shows the same figures.
Agents and admins may read them (401 signed out, 403 for employees).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from bot.insights.analytics import Dashboard, Figures
from bot.web.admin import actions
from bot.web.auth import AgentDep
from bot.web.deps import StoreDep
from bot.web.schemas import errors
from bot.web.schemas.analytics import Analytics

router = APIRouter(prefix="/api/v1", tags=["agent"])

LIVE_FIELDS = (
    "conversations",
    "outcomes",
    "fcr_confirmed",
    "fcr_potential",
    "escalated_rate",
    "returned_rate",
    "not_resolved_rate",
    "deflected",
    "deflection",
    "votes_helpful",
    "votes_not_helpful",
    "csat",
    "tickets",
    "tickets_reopened",
    "reopened_rate",
    "sla_compliance",
)

DEFINITIONS = {
    "fcr_confirmed": "conversations whose employee pressed Resolved (no ticket) / conversations",
    "fcr_potential": "conversations answered at least once, without a ticket or Resolved press, "
    "72 hours past their last message, the employee not back on the same topic / conversations",
    "escalated_rate": "conversations a ticket was filed from / conversations",
    "returned_rate": "conversations the same employee came back on (same topic) within 72 hours "
    "/ conversations",
    "deflection": "conversations that ended without a ticket / conversations",
    "csat": "helpful votes / (helpful + not helpful votes)",
    "reopened_rate": "tickets reopened at least once / tickets",
    "sla_compliance": "targets met / targets decided, for the first response, the resolution and "
    "both; an open ticket's target counts only once due",
    "week": "ISO week of the record's creation (conversations, tickets, votes)",
}


def live_figures(f: Figures) -> dict:
    """Return the live figures of one slice as JSON-ready data."""
    data = asdict(f)
    return {key: data[key] for key in LIVE_FIELDS}


def analytics_dict(dash: Dashboard, days: int, channel: str | None) -> dict:
    """Return the response body of ``GET /api/v1/analytics`` for ``dash``."""
    return {
        "generated_at": dash.generated_at.isoformat(),
        "since": dash.since.isoformat() if dash.since else None,
        "days": days,
        "channel": channel,
        "definitions": DEFINITIONS,
        "overall": live_figures(dash.overall),
        "by_channel": {k: live_figures(v) for k, v in dash.by_channel.items()},
        "by_week": {k: live_figures(v) for k, v in dash.by_week.items()},
    }


@router.get(
    "/analytics",
    response_model=Analytics,
    summary="Read the live analytics",
    responses=errors(401, 403, 422),
)
def api_analytics(
    _: AgentDep,
    store: StoreDep,
    days: Annotated[int, Query(ge=1, le=3650)] = 90,
    channel: Literal["web", "slack"] | None = None,
) -> dict:
    """FCR confirmed/potential, escalated, returned, deflection, CSAT, reopened tickets and SLA
    compliance over the last ``days`` days (one ``channel`` or both): overall, per channel and
    per ISO week. Agents and admins."""
    dash = actions.dashboard(store, days, channel=channel)
    return analytics_dict(dash, days, channel)
