"""The web app: a search page, the JSON search and ask APIs over the knowledge base.

Until sign-in exists, the web shows public articles only: nobody can claim a group from a browser.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from bot.answer import Turn
from bot.desk import Desk, Event
from bot.settings import BotSettings
from bot.web.i18n import pick_language, texts
from bot.wiring import build_retriever
from retrieval.knowledge_base import KnowledgeBase
from retrieval.retriever import HybridRetriever
from retrieval.schema import User

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
PUBLIC = User("web")


def get_retriever(request: Request) -> HybridRetriever:
    """The app's retriever (built once in :func:`create_app`)."""
    return request.app.state.retriever


RetrieverDep = Annotated[HybridRetriever, Depends(get_retriever)]


class TurnIn(BaseModel):
    """One earlier message of the conversation."""

    role: str = Field(pattern="^(user|assistant)$")
    text: str = Field(max_length=20_000)


class AskIn(BaseModel):
    """A question, with the conversation so far for follow-ups."""

    question: str = Field(description="the employee's question (empty gets a clear message)")
    history: list[TurnIn] = Field(default_factory=list, max_length=50)


def _sse(event: Event) -> str:
    data = event.data.to_dict() if hasattr(event.data, "to_dict") else event.data
    if isinstance(data, list):
        data = [d.__dict__ if hasattr(d, "__dict__") else d for d in data]
    return f"event: {event.kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def create_app(
    kb: KnowledgeBase, settings: BotSettings | None = None, desk: Desk | None = None
) -> FastAPI:
    """Build the app around an opened knowledge base (and a Desk: extractive if none given)."""
    settings = settings or BotSettings()
    retriever = build_retriever(kb)
    desk = desk or Desk(retriever, settings.model_copy(update={"answer_backend": "extractive"}))
    app = FastAPI(
        title="servicedesk",
        version="0.1.0",
        docs_url="/api/docs",
        openapi_url="/api/v1/openapi.json",
    )
    app.state.kb = kb
    app.state.retriever = retriever
    app.state.settings = settings
    app.state.desk = desk

    def clean_query(q: str) -> str:
        q = q.strip()
        if not q:
            raise HTTPException(422, "the question is empty")
        if len(q) > settings.max_question_chars:
            raise HTTPException(
                422, f"the question is too long (limit {settings.max_question_chars} characters)"
            )
        return q

    @app.get("/healthz")
    def healthz() -> dict:
        articles, chunks = kb.catalog.counts()
        return {"status": "ok", "articles": articles, "chunks": chunks}

    @app.get("/api/v1/search")
    def api_search(
        retriever: RetrieverDep,
        q: Annotated[str, Query(description="the question or keywords")],
        k: Annotated[int, Query(ge=1, le=50)] = 5,
    ) -> dict:
        """Search public articles; hits carry dense, keyword and fused scores and a confidence."""
        query = clean_query(q)
        started = time.perf_counter()
        hits = retriever.search(query, PUBLIC, k)
        took = (time.perf_counter() - started) * 1000
        return {"query": query, "took_ms": round(took, 1), "hits": [h.to_dict() for h in hits]}

    @app.post("/api/v1/ask")
    def api_ask(body: AskIn) -> dict:
        """Ask the Desk: an answer with citations, or a decline (``offer_ticket``) - never empty."""
        history = [Turn(t.role, t.text) for t in body.history]  # type: ignore[arg-type]
        return desk.ask(body.question, PUBLIC, history).to_dict()

    @app.post("/api/v1/ask/stream")
    def api_ask_stream(body: AskIn) -> StreamingResponse:
        """The same as server-sent events: ``sources``, ``token``, ``reset``, then ``answer``."""
        history = [Turn(t.role, t.text) for t in body.history]  # type: ignore[arg-type]

        def events() -> Iterator[str]:
            for event in desk.ask_stream(body.question, PUBLIC, history):
                yield _sse(event)

        return StreamingResponse(events(), media_type="text/event-stream")

    @app.get("/", response_class=HTMLResponse)
    def page(
        request: Request, retriever: RetrieverDep, q: str = "", lang: str = ""
    ) -> HTMLResponse:
        ui = pick_language(lang, request.headers.get("accept-language", ""))
        context = {"t": texts(ui), "ui": ui, "q": q, "hits": None, "error": ""}
        if q:
            try:
                context["hits"] = retriever.search(clean_query(q), PUBLIC, 8)
            except HTTPException as err:
                context["error"] = err.detail
        return TEMPLATES.TemplateResponse(request, "search.html", context)

    @app.get("/articles/{article_id}", response_class=HTMLResponse)
    def article(request: Request, article_id: str, lang: str = "") -> HTMLResponse:
        entry = kb.catalog.article(article_id)
        if entry is None or not entry.is_public:
            raise HTTPException(404, "no such article")
        ui = pick_language(lang, request.headers.get("accept-language", ""))
        chunks = kb.catalog.chunks_of(article_id)
        return TEMPLATES.TemplateResponse(
            request,
            "article.html",
            {"t": texts(ui), "ui": ui, "entry": entry, "chunks": chunks, "q": ""},
        )

    return app
