"""The web app: employee chat, my tickets, the agent console, admin pages and the /api/v1 JSON API.

This module only assembles: routers live in ``chat``, ``tickets``, ``agent``, ``articles``,
``login`` and ``admin``; sign-in, roles and CSRF in ``auth``. Signed-out visitors see public
articles only: nobody can claim a group from a browser.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from bot.tickets.casework import Casework
from bot.tickets.conversations import ConversationService
from bot.desk.desk import Desk
from bot.insights.incidents import IncidentMonitor, IncidentRules
from bot.tickets.notify import Notifiers
from bot.settings import BotSettings
from bot.tickets.records import TicketStore
from bot.web import agent, articles, chat, login, tickets
from bot.web.auth import CookieMiddleware, csrf_guard
from bot.web.pages import install_error_pages
from bot.web.schemas import TAGS
from bot.web.sessions import load_session_secret
from bot.web.throttle import SignInThrottle
from bot.wiring import build_retriever
from retrieval.knowledge_base import KnowledgeBase

STATIC = Path(__file__).parent / "static"


def _default_store(kb: KnowledgeBase, settings: BotSettings) -> TicketStore:
    """The configured store; the built-in SQLite default lives beside the knowledge base."""
    from bot.store import open_store

    return open_store(settings, Path(kb.settings.data_dir))


def build_escalation(
    store: TicketStore, settings: BotSettings, desk: Desk, data_dir: Path | None = None
):
    """Escalation with the configured triage (trained in the background, its example vectors
    cached in ``data_dir``); the LLM summarises when answers use it."""
    from bot.tickets.escalation import Escalation
    from bot.tickets.triage.triage import BackgroundTriage, build_triage

    chat_model = desk.chat if settings.answer_backend == "llm" else None
    triage = BackgroundTriage(lambda: build_triage(settings, chat_model, data_dir))
    return Escalation(store, triage, settings, chat=chat_model)


def create_app(
    kb: KnowledgeBase,
    settings: BotSettings | None = None,
    desk: Desk | None = None,
    store: TicketStore | None = None,
    escalation=None,
    notifiers: Notifiers | None = None,
    slack=None,
) -> FastAPI:
    """Build the app around an opened knowledge base (a Desk: extractive, a store: the default
    SQLite beside the knowledge base, escalation: from settings, when not given); ``slack``
    (``SlackSettings``) adds the Slack notifier and, in HTTP mode, ``/slack/events``."""
    settings = settings or BotSettings()
    retriever = build_retriever(kb) if desk is None else desk.retriever
    desk = desk or Desk(retriever, settings.model_copy(update={"answer_backend": "extractive"}))
    store = store if store is not None else _default_store(kb, settings)
    notifiers = notifiers or Notifiers()
    app = FastAPI(
        title="servicedesk",
        version="0.1.0",
        docs_url="/api/docs",
        openapi_url="/api/v1/openapi.json",
        openapi_tags=TAGS,
        dependencies=[Depends(csrf_guard)],
    )
    app.state.kb = kb
    app.state.retriever = retriever
    app.state.settings = settings
    app.state.desk = desk
    app.state.store = store
    app.state.notifiers = notifiers
    embedder = getattr(kb, "embedder", None)  # the KB's: incidents group questions by meaning
    rules = IncidentRules.from_settings(settings)
    app.state.incidents = IncidentMonitor(store, embedder, rules) if embedder else None
    app.state.conversations = ConversationService(desk, store, app.state.incidents)
    app.state.casework = Casework(store, notifiers)
    app.state.escalation = escalation or build_escalation(
        store, settings, desk, Path(kb.settings.data_dir)
    )
    app.state.session_secret = load_session_secret(settings, Path(kb.settings.data_dir))
    app.state.throttle = SignInThrottle()  # per process; tests swap in one with their clock
    app.add_middleware(CookieMiddleware)
    install_error_pages(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict:
        """Liveness, with the number of indexed articles and chunks."""
        articles_n, chunks = kb.catalog.counts()
        return {"status": "ok", "articles": articles_n, "chunks": chunks}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request, q: str = "") -> HTMLResponse:
        return chat.home(request, q)

    for module in (login, articles, chat, tickets, agent):
        app.include_router(module.router)
    _include_admin(app)
    if slack is not None:
        from bot.slack.web import install_slack

        install_slack(app, slack)
    return app


def _include_admin(app: FastAPI) -> None:
    """The admin pages, once ``bot.web.admin.pages`` exists (built alongside)."""
    if importlib.util.find_spec("bot.web.admin.pages") is None:
        return
    from bot.web.admin.pages import pages as admin

    app.include_router(admin.router)
