"""What routes get injected: the store, the Desk and the services built in ``create_app``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from bot.tickets.casework import Casework
from bot.tickets.conversations import ConversationService
from bot.desk.desk import Desk
from bot.settings import BotSettings
from bot.tickets.records import TicketStore
from retrieval.retriever import HybridRetriever


def get_store(request: Request) -> TicketStore:
    """The app's ticket store."""
    return request.app.state.store


def get_settings(request: Request) -> BotSettings:
    """The app's settings."""
    return request.app.state.settings


def get_desk(request: Request) -> Desk:
    """The app's Desk."""
    return request.app.state.desk


def get_retriever(request: Request) -> HybridRetriever:
    """The app's retriever (built once in ``create_app``)."""
    return request.app.state.retriever


def get_conversations(request: Request) -> ConversationService:
    """Conversations with the Desk, recorded in the store."""
    return request.app.state.conversations


def get_casework(request: Request) -> Casework:
    """What agents do to tickets (store + notifiers)."""
    return request.app.state.casework


def get_escalation(request: Request) -> Any:
    """Drafts and files tickets from conversations (``bot.tickets.escalation.Escalation``)."""
    return request.app.state.escalation


StoreDep = Annotated[TicketStore, Depends(get_store)]
SettingsDep = Annotated[BotSettings, Depends(get_settings)]
DeskDep = Annotated[Desk, Depends(get_desk)]
RetrieverDep = Annotated[HybridRetriever, Depends(get_retriever)]
ConversationsDep = Annotated[ConversationService, Depends(get_conversations)]
CaseworkDep = Annotated[Casework, Depends(get_casework)]
EscalationDep = Annotated[Any, Depends(get_escalation)]
