"""Knowledge gaps and incident alerts for the admin dashboard and ``/api/v1/admin``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from bot.insights.gaps import Gap, QuestionVectors, knowledge_gaps
from bot.insights.incidents import Incident, IncidentMonitor, IncidentRules
from bot.settings import BotSettings
from bot.tickets.records import TicketStore
from bot.web.auth import AdminDep
from bot.web.deps import IncidentsDep, QuestionsDep, SettingsDep, StoreDep
from bot.web.schemas.base import errors
from bot.web.schemas.insights import Incidents, KnowledgeGaps

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
Days = Annotated[int, Query(ge=1, le=3650)]


def gaps_of(
    questions: QuestionVectors, store: TicketStore, settings: BotSettings, days: int
) -> list[Gap]:
    """The knowledge gaps of the last ``days`` days, the questions embedded by the knowledge
    base's embedder (``questions`` remembers them between dashboard loads)."""
    return knowledge_gaps(store, questions, days, settings.gap_similarity)


def active_incidents(monitor: IncidentMonitor | None) -> list[Incident]:
    """The spikes alerted within the window. The worker checks for them (``bot.worker``): a
    dashboard view never clusters the day's questions itself."""
    if monitor is None:
        return []
    return monitor.active()


@router.get(
    "/gaps",
    response_model=KnowledgeGaps,
    summary="Read the knowledge gaps",
    responses=errors(401, 403, 422),
)
def api_gaps(
    _: AdminDep,
    store: StoreDep,
    questions: QuestionsDep,
    settings: SettingsDep,
    days: Days = 30,
) -> dict:
    """Declined and escalated questions of the last ``days`` days grouped by meaning, each group
    with its count, examples, languages and a suggested article title; most questions first."""
    gaps = gaps_of(questions, store, settings, days)
    similarity = settings.gap_similarity
    return {"days": days, "similarity": similarity, "gaps": [g.to_dict() for g in gaps]}


@router.get(
    "/incidents",
    response_model=Incidents,
    summary="Read the active incident alerts",
    responses=errors(401, 403),
)
def api_incidents(_: AdminDep, monitor: IncidentsDep, settings: SettingsDep) -> dict:
    """Spikes of similar questions alerted within the sliding window (newest first), with the
    rules that define them (``SERVICEDESK_INCIDENT_*``)."""
    rules = monitor.rules if monitor else IncidentRules.from_settings(settings)
    active = [i.to_dict() for i in active_incidents(monitor)]
    return {**asdict(rules), "active": active}
