"""Knowledge gaps and incident alerts for the admin dashboard and ``/api/v1/admin``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Request

from bot.insights.gaps import Gap, knowledge_gaps, question_vectors
from bot.insights.incidents import Incident, IncidentRules
from bot.web.auth import AdminDep
from bot.web.deps import StoreDep
from bot.web.schemas.base import errors
from bot.web.schemas.insights import Incidents, KnowledgeGaps

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
Days = Annotated[int, Query(ge=1, le=3650)]


def gaps_of(request: Request, store, days: int) -> list[Gap]:
    """The knowledge gaps of the last ``days`` days, embedded by the knowledge base's embedder."""
    state = request.app.state
    if getattr(state, "question_vectors", None) is None:
        # One per app: it remembers question vectors between dashboard loads.
        state.question_vectors = question_vectors(state.kb.embedder)
    return knowledge_gaps(store, state.question_vectors, days, state.settings.gap_similarity)


def active_incidents(request: Request) -> list[Incident]:
    """Check for spikes (alerting new ones once) and return those alerted within the window."""
    monitor = getattr(request.app.state, "incidents", None)
    if monitor is None:
        return []
    monitor.observe()  # a periodic check too: questions answered by another process count
    return monitor.active()


@router.get(
    "/gaps",
    response_model=KnowledgeGaps,
    summary="Read the knowledge gaps",
    responses=errors(401, 403, 422),
)
def api_gaps(request: Request, _: AdminDep, store: StoreDep, days: Days = 30) -> dict:
    """Declined and escalated questions of the last ``days`` days grouped by meaning, each group
    with its count, examples, languages and a suggested article title; most questions first."""
    gaps = gaps_of(request, store, days)
    similarity = request.app.state.settings.gap_similarity
    return {"days": days, "similarity": similarity, "gaps": [g.to_dict() for g in gaps]}


@router.get(
    "/incidents",
    response_model=Incidents,
    summary="Read the active incident alerts",
    responses=errors(401, 403),
)
def api_incidents(request: Request, _: AdminDep) -> dict:
    """Spikes of similar questions alerted within the sliding window (newest first), with the
    rules that define them (``SERVICEDESK_INCIDENT_*``)."""
    monitor = getattr(request.app.state, "incidents", None)
    rules = monitor.rules if monitor else IncidentRules.from_settings(request.app.state.settings)
    active = [i.to_dict() for i in active_incidents(request)]
    return {**asdict(rules), "active": active}
