"""What routes get injected: every dependency is derived from ``app.state.services`` (the one
state attribute ``create_app`` sets), typed."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from bot.desk.desk import Desk
from bot.insights.gaps import QuestionVectors
from bot.insights.incidents import IncidentMonitor
from bot.library.library import Library
from bot.settings import BotSettings
from bot.tickets.casework import Casework
from bot.tickets.conversations import ConversationService
from bot.tickets.escalation import Escalation
from bot.tickets.rate_limit import RateLimiter
from bot.tickets.records import TicketStore
from bot.tickets.throttle import SignInThrottle
from bot.wiring import Services
from retrieval.knowledge_base import KnowledgeBase
from retrieval.retriever import HybridRetriever


def services_of(request: Request) -> Services:
    """The app's services (built by ``bot.wiring.build_services``)."""
    return request.app.state.services


def get_store(request: Request) -> TicketStore:
    """The app's ticket store."""
    return services_of(request).store


def get_settings(request: Request) -> BotSettings:
    """The app's bot settings."""
    return services_of(request).config.bot


def get_desk(request: Request) -> Desk:
    """The app's Desk."""
    return services_of(request).desk


def get_retriever(request: Request) -> HybridRetriever:
    """The app's hybrid retriever over the knowledge base."""
    return services_of(request).retriever


def get_kb(request: Request) -> KnowledgeBase:
    """The knowledge base the app serves articles from."""
    return services_of(request).kb


def get_conversations(request: Request) -> ConversationService:
    """Conversations with the Desk, recorded in the store."""
    return services_of(request).conversations


def get_casework(request: Request) -> Casework:
    """What agents do to tickets (store + notifiers)."""
    return services_of(request).casework


def get_escalation(request: Request) -> Escalation:
    """Drafts and files tickets from conversations."""
    return services_of(request).escalation


def get_incidents(request: Request) -> IncidentMonitor | None:
    """The incident monitor (None when the knowledge base has no embedder)."""
    return services_of(request).incidents


def get_library(request: Request) -> Library:
    """The admin's library of articles (one per app: one ingest lock)."""
    return services_of(request).library


def get_questions(request: Request) -> QuestionVectors:
    """The knowledge gaps' question vectors (one per app: they are remembered between loads)."""
    return services_of(request).questions


def get_throttle(request: Request) -> SignInThrottle:
    """The sign-in throttle (per process)."""
    return services_of(request).throttle


def get_limiter(request: Request) -> RateLimiter:
    """The rate limiter of asks and API calls (per process)."""
    return services_of(request).limiter


def get_session_secret(request: Request) -> str:
    """The secret that signs session cookies."""
    return services_of(request).session_secret


ServicesDep = Annotated[Services, Depends(services_of)]
StoreDep = Annotated[TicketStore, Depends(get_store)]
SettingsDep = Annotated[BotSettings, Depends(get_settings)]
DeskDep = Annotated[Desk, Depends(get_desk)]
RetrieverDep = Annotated[HybridRetriever, Depends(get_retriever)]
KnowledgeBaseDep = Annotated[KnowledgeBase, Depends(get_kb)]
ConversationsDep = Annotated[ConversationService, Depends(get_conversations)]
CaseworkDep = Annotated[Casework, Depends(get_casework)]
EscalationDep = Annotated[Escalation, Depends(get_escalation)]
IncidentsDep = Annotated[IncidentMonitor | None, Depends(get_incidents)]
LibraryDep = Annotated[Library, Depends(get_library)]
QuestionsDep = Annotated[QuestionVectors, Depends(get_questions)]
ThrottleDep = Annotated[SignInThrottle, Depends(get_throttle)]
