"""The web app: employee chat, my tickets, the agent console, admin pages and the /api/v1 JSON API.

This module only assembles: routers live in ``health``, ``login``, ``articles``, ``chat``,
``tickets``, ``agent`` and ``admin``; sign-in, roles and CSRF in ``auth``; what routes are given
in ``deps`` (from ``app.state.services``). Signed-out visitors see public articles only: nobody
can claim a group from a browser. The Slack bot is mounted by ``servicedesk serve``
(``bot.slack.web``), not here.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from bot.web import agent, articles, chat, health, login, metrics, tickets
from bot.web.admin.pages import router as admin_router
from bot.web.auth import CookieMiddleware, csrf_guard
from bot.web.body_limit import BodyBudgets, BodyLimitMiddleware
from bot.web.headers import SecurityHeaders
from bot.web.pages import install_error_pages
from bot.web.rate_limit import rate_limited
from bot.web.request_ids import RequestIds
from bot.web.schemas import TAGS
from bot.wiring import Services

STATIC = Path(__file__).parent / "static"
DOCS = "/api/docs"
ROUTERS = (health.router, login.router, articles.router, chat.router, tickets.router, agent.router)


def create_app(services: Services) -> FastAPI:
    """Assemble the app's routers, middleware and error pages around ``services``."""
    docs = DOCS if services.config.bot.api_docs else None
    app = FastAPI(
        title="servicedesk",
        version="0.1.0",
        docs_url=docs,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        openapi_tags=TAGS,
        dependencies=[Depends(csrf_guard), Depends(rate_limited)],
    )
    app.state.services = services  # the only state: bot.web.deps derives everything from it
    app.add_middleware(CookieMiddleware)
    # Outside the cookies and every route: no body is read past its budget (headers pass it on).
    app.add_middleware(BodyLimitMiddleware, budgets=BodyBudgets.from_settings(services.config.bot))
    app.add_middleware(
        SecurityHeaders, docs_path=docs, https_only=services.config.bot.cookie_secure
    )
    # Outermost: every response carries the request's id, every log record during it too.
    app.add_middleware(RequestIds, metrics=services.metrics)
    install_error_pages(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (*ROUTERS, metrics.router, admin_router):
        app.include_router(router)
    return app
