"""Searching and reading articles, and the stateless ask API; each honours the caller's groups.

Signed-out callers see public articles only: nobody can claim a group from a browser.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Annotated, get_args

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, Field, model_validator

from bot.desk.answer import Turn
from bot.desk.desk import Event, EventKind
from bot.settings import BotSettings
from bot.web.auth import allowed, current_account
from bot.web.deps import DeskDep, KnowledgeBaseDep, RetrieverDep, SettingsDep
from bot.web.pages import render
from bot.web.schemas import Answer, SearchResults, errors, event_stream
from bot.web.schemas.base import (
    MAX_HISTORY_CHARS,
    MAX_HISTORY_TURNS,
    MAX_QUESTION_BODY,
    MAX_TURN_CHARS,
)
from retrieval.schema import Hit, User

router = APIRouter()
PUBLIC = User("web")
ANSWER_EVENTS: tuple[str, ...] = get_args(EventKind)  # the events a streamed answer sends


def asker(request: Request) -> User:
    """The signed-in user with their groups, or an anonymous user who sees public articles."""
    account = current_account(request)
    if account is None:
        return PUBLIC
    return User.with_groups(account.username, account.groups)


def sign_in_for_ask(request: Request, settings: SettingsDep) -> None:
    """401 for anonymous callers of the ask API when ``ask_requires_sign_in`` is on."""
    if settings.ask_requires_sign_in and current_account(request) is None:
        raise HTTPException(401, "sign in to ask (POST /api/v1/session)")


def public_source(source: str) -> str:
    """A source fit for anyone: a URL as it is, a file by its name (never the server's path)."""
    if source.startswith(("http://", "https://")):
        return source
    path, hash_, fragment = source.partition("#")
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return f"{name}{hash_}{fragment}"


def search_hit(hit: Hit, request: Request) -> dict:
    """A hit as the caller may see it: server paths and groups for agents and admins only."""
    out = hit.to_dict()
    account = current_account(request)
    if account is None or not allowed(account, ("agent",)):
        out["source"] = public_source(hit.source)
        out["allowed_groups"] = None
    return out


def clean_query(q: str, settings: BotSettings) -> str:
    """The stripped query, or 422 when it is empty or too long."""
    q = q.strip()
    if not q:
        raise HTTPException(422, "the question is empty")
    if len(q) > settings.max_question_chars:
        raise HTTPException(
            422, f"the question is too long (limit {settings.max_question_chars} characters)"
        )
    return q


def sse(event: Event) -> str:
    """One server-sent event from a Desk event."""
    data = event.data.to_dict() if hasattr(event.data, "to_dict") else event.data
    if isinstance(data, list):
        data = [d.__dict__ if hasattr(d, "__dict__") else d for d in data]
    return f"event: {event.kind}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


class TurnIn(BaseModel):
    """One earlier message of the conversation."""

    role: str = Field(pattern="^(user|assistant)$")
    text: str = Field(max_length=MAX_TURN_CHARS)


class AskIn(BaseModel):
    """A question, with the conversation so far for follow-ups (bounded: 422 before any work)."""

    question: str = Field(
        max_length=MAX_QUESTION_BODY,
        description="the employee's question (empty or over the question limit gets a clear "
        "message)",
    )
    history: list[TurnIn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)

    @model_validator(mode="after")
    def _history_within_budget(self) -> AskIn:
        if sum(len(t.text) for t in self.history) > MAX_HISTORY_CHARS:
            raise ValueError(f"the history is too long (at most {MAX_HISTORY_CHARS} characters)")
        return self


@router.get(
    "/api/v1/search",
    tags=["search"],
    response_model=SearchResults,
    summary="Search articles",
    responses=errors(422, 429),
)
def api_search(
    request: Request,
    retriever: RetrieverDep,
    settings: SettingsDep,
    q: Annotated[str, Query(description="the question or keywords")],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
) -> dict:
    """Search articles the caller may see; hits carry dense, keyword and fused scores."""
    query = clean_query(q, settings)
    started = time.perf_counter()
    hits = retriever.search(query, asker(request), k)
    took = (time.perf_counter() - started) * 1000
    found = [search_hit(h, request) for h in hits]
    return {"query": query, "took_ms": round(took, 1), "hits": found}


@router.post(
    "/api/v1/ask",
    tags=["search"],
    response_model=Answer,
    summary="Ask once",
    responses=errors(401, 403, 413, 422, 429),
    dependencies=[Depends(sign_in_for_ask)],
)
def api_ask(body: AskIn, request: Request, desk: DeskDep) -> dict:
    """Ask the Desk once (nothing stored): an answer with citations, or a decline."""
    history = [Turn(t.role, t.text) for t in body.history]  # type: ignore[arg-type]
    return desk.ask(body.question, asker(request), history).to_dict()


@router.post(
    "/api/v1/ask/stream",
    tags=["search"],
    response_class=StreamingResponse,
    summary="Ask once, streamed",
    responses=event_stream(
        "sources, token, reset, then answer (an Answer)",
        ANSWER_EVENTS,
        401,
        403,
        413,
        422,
        429,
    ),
    dependencies=[Depends(sign_in_for_ask)],
)
def api_ask_stream(body: AskIn, request: Request, desk: DeskDep) -> StreamingResponse:
    """The same as server-sent events: ``sources``, ``token``, ``reset``, then ``answer``."""
    history = [Turn(t.role, t.text) for t in body.history]  # type: ignore[arg-type]
    user = asker(request)

    def events() -> Iterator[str]:
        for event in desk.ask_stream(body.question, user, history):
            yield sse(event)

    return StreamingResponse(events(), media_type="text/event-stream")


def search_page(request: Request, retriever, settings: BotSettings, q: str) -> HTMLResponse:
    """The search page (also / for visitors who are not signed in)."""
    hits, error = None, ""
    if q:
        try:
            hits = retriever.search(clean_query(q, settings), asker(request), 8)
        except HTTPException as err:
            error = err.detail
    account = current_account(request)
    return render(request, "search.html", account, q=q, hits=hits, error=error)


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
def search(
    request: Request, retriever: RetrieverDep, settings: SettingsDep, q: str = ""
) -> HTMLResponse:
    return search_page(request, retriever, settings, q)


@router.get("/articles/{article_id}", response_class=HTMLResponse, include_in_schema=False)
def article(request: Request, article_id: str, kb: KnowledgeBaseDep) -> HTMLResponse:
    entry = kb.catalog.article(article_id)
    user = asker(request)
    if entry is None or not entry.visible_to(user.groups):
        raise HTTPException(404, "no such article")
    chunks = kb.catalog.chunks_of(article_id)
    account = current_account(request)
    return render(request, "article.html", account, entry=entry, chunks=chunks, q="")
