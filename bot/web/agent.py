"""The agent console: the queue and ticket pages under /agent, their API under /api/v1/agent.

Every action goes through ``Casework`` (the store audits it; the employee hears of replies and
status changes in their channel). Admins may do all of this too.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from bot.tickets.records import (
    OPEN_STATUSES,
    PRIORITIES,
    STATUSES,
    Account,
    AuditEvent,
    InvalidChange,
    NotFound,
    TicketQuery,
)
from bot.web.auth import AgentDep
from bot.web.deps import CaseworkDep, SettingsDep, StoreDep, get_settings, get_store
from bot.web.pages import render
from bot.web.schemas import Message, ProposedArticle, Ticket, errors
from bot.web.schemas.base import RecordId
from bot.web.views import agent_ticket_dict, conversation_link, message_dict

router = APIRouter(tags=["agent"])


def queue_query(
    status: str = "", priority: str = "", group: str = "", breached: str = ""
) -> TicketQuery:
    """The queue's filters from query parameters: status ``""`` (active: new, open, pending),
    ``all`` or one status; priority; group; breached ``yes``/``no``/``""``."""
    if status and status != "all" and status not in STATUSES:
        raise HTTPException(422, f"unknown status {status!r}; use all or one of {STATUSES}")
    if priority and priority not in PRIORITIES:
        raise HTTPException(422, f"unknown priority {priority!r}; use one of {PRIORITIES}")
    flags = {
        "": None,
        "yes": True,
        "true": True,
        "1": True,
        "no": False,
        "false": False,
        "0": False,
    }
    if breached.lower() not in flags:
        raise HTTPException(422, "breached must be yes or no")
    statuses = OPEN_STATUSES if not status else () if status == "all" else (status,)
    return TicketQuery(
        statuses=statuses,  # type: ignore[arg-type]
        priority=priority or None,  # type: ignore[arg-type]
        group=group or None,
        breached=flags[breached.lower()],
    )


class AgentTextIn(BaseModel):
    """A reply to the employee or an internal note."""

    text: str = Field(max_length=20_000)


class ChangeIn(BaseModel):
    """Fields to change (omitted ones stay)."""

    status: Literal["new", "open", "pending", "resolved", "closed"] | None = None
    priority: Literal["P1", "P2", "P3", "P4"] | None = None
    group: str | None = Field(None, max_length=200)
    category: str | None = Field(None, max_length=100)


class ResolutionIn(BaseModel):
    """What fixed it (required)."""

    resolution: str = Field(max_length=20_000)


class AgentReopenIn(BaseModel):
    """Why the ticket is reopened."""

    reason: str = Field("", max_length=5_000)


class ArticleDraftIn(BaseModel):
    """The proposed article; empty fields default to the ticket's subject and resolution."""

    title: str = Field("", max_length=300)
    body: str = Field("", max_length=100_000)


# -- API ---------------------------------------------------------------------------------------


@router.get(
    "/api/v1/agent/queue",
    response_model=list[Ticket],
    summary="List the queue",
    responses=errors(401, 403, 422),
)
def api_queue(
    agent: AgentDep,
    store: StoreDep,
    status: str = "",
    priority: str = "",
    group: str = "",
    breached: str = "",
) -> list[dict]:
    """The queue, newest first: status ``""`` = new/open/pending, ``all``, or one status."""
    tickets = store.tickets(queue_query(status, priority, group, breached))
    return [{**agent_ticket_dict(t), "messages": [], "transcript": ""} for t in tickets]


@router.get(
    "/api/v1/agent/tickets/{number}",
    response_model=Ticket,
    summary="Read a ticket",
    responses=errors(401, 403, 404),
)
def api_ticket(number: str, agent: AgentDep, store: StoreDep) -> dict:
    """Everything about a ticket: transcript, summary, sources, messages and notes, SLA."""
    return agent_ticket_dict(store.ticket(number))


@router.patch(
    "/api/v1/agent/tickets/{number}",
    response_model=Ticket,
    summary="Change a ticket",
    responses=errors(401, 403, 404, 413, 422),
)
def api_change(number: str, body: ChangeIn, agent: AgentDep, casework: CaseworkDep) -> dict:
    """Change status, priority (due times follow), group or category."""
    ticket = casework.update(number, agent, **body.model_dump())
    return agent_ticket_dict(ticket)


@router.post(
    "/api/v1/agent/tickets/{number}/reply",
    status_code=201,
    response_model=Message,
    summary="Reply to the employee",
    responses=errors(401, 403, 404, 413, 422),
)
def api_reply(number: str, body: AgentTextIn, agent: AgentDep, casework: CaseworkDep) -> dict:
    """Reply to the employee (web chat or Slack thread)."""
    return message_dict(casework.reply(number, agent, body.text))


@router.post(
    "/api/v1/agent/tickets/{number}/notes",
    status_code=201,
    response_model=Message,
    summary="Add an internal note",
    responses=errors(401, 403, 404, 413, 422),
)
def api_note(number: str, body: AgentTextIn, agent: AgentDep, casework: CaseworkDep) -> dict:
    """Add an internal note (agents only)."""
    return message_dict(casework.note(number, agent, body.text))


@router.post(
    "/api/v1/agent/tickets/{number}/resolve",
    response_model=Ticket,
    summary="Resolve a ticket",
    responses=errors(401, 403, 404, 413, 422),
)
def api_resolve(number: str, body: ResolutionIn, agent: AgentDep, casework: CaseworkDep) -> dict:
    """Resolve with a resolution text (422 without one)."""
    return agent_ticket_dict(casework.resolve(number, agent, body.resolution))


@router.post(
    "/api/v1/agent/tickets/{number}/reopen",
    response_model=Ticket,
    summary="Reopen a ticket",
    responses=errors(401, 403, 404, 413, 422),
)
def api_reopen(number: str, body: AgentReopenIn, agent: AgentDep, casework: CaseworkDep) -> dict:
    """Reopen a resolved or closed ticket."""
    return agent_ticket_dict(casework.reopen(number, agent, body.reason))


@router.post(
    "/api/v1/agent/tickets/{number}/article-draft",
    status_code=201,
    response_model=ProposedArticle,
    summary="Propose an article from the resolution",
    responses=errors(401, 403, 404, 413, 422),
)
def api_article_draft(
    number: str, body: ArticleDraftIn, agent: AgentDep, casework: CaseworkDep
) -> dict:
    """Draft a knowledge article from the resolution; it waits in the admin's review queue."""
    draft = casework.draft_article(number, agent, body.title, body.body)
    return {"id": draft.id, "title": draft.title, "status": draft.status, "ticket": number}


# -- pages -------------------------------------------------------------------------------------


@router.get("/agent", response_class=HTMLResponse, include_in_schema=False)
def queue_page(
    request: Request,
    agent: AgentDep,
    store: StoreDep,
    settings: SettingsDep,
    status: str = "",
    priority: str = "",
    group: str = "",
    breached: str = "",
) -> HTMLResponse:
    query = queue_query(status, priority, group, breached)
    return render(
        request,
        "agent_queue.html",
        agent,
        tickets=store.tickets(query),
        filters={"status": status, "priority": priority, "group": group, "breached": breached},
        statuses=STATUSES,
        priorities=PRIORITIES,
        groups=sorted(set(settings.assignment_groups.values())),
    )


def _ticket_page(
    request: Request, number: str, agent: Account, store, settings, error: str = ""
) -> HTMLResponse:
    return render(
        request,
        "agent_ticket.html",
        agent,
        status_code=422 if error else 200,
        ticket=store.ticket(number),
        conversation_link=conversation_link(store.ticket(number)),
        error=error,
        done=request.query_params.get("done", ""),
        statuses=STATUSES,
        priorities=PRIORITIES,
        groups=sorted(set(settings.assignment_groups.values())),
        categories=list(settings.assignment_groups),
    )


@router.get(
    "/agent/conversations/{conversation_id}", response_class=HTMLResponse, include_in_schema=False
)
def conversation_page(
    request: Request, conversation_id: RecordId, agent: AgentDep, store: StoreDep
) -> HTMLResponse:
    """The whole conversation a ticket came from, with what the bot answered and why. Only a
    conversation that became a ticket is the desk's to read (404 otherwise); each read is
    audited (``conversation.read``)."""
    conversation = store.conversation(conversation_id)
    if not conversation.ticket_number:
        raise NotFound(f"no escalated conversation {conversation_id}")
    store.audit(
        AuditEvent(
            actor=agent.username,
            action="conversation.read",
            target=str(conversation_id),
            detail={"ticket": conversation.ticket_number},
        )
    )
    return render(request, "agent_conversation.html", agent, conversation=conversation)


@router.get("/agent/tickets/{number}", response_class=HTMLResponse, include_in_schema=False)
def ticket_page(
    request: Request, number: str, agent: AgentDep, store: StoreDep, settings: SettingsDep
) -> HTMLResponse:
    return _ticket_page(request, number, agent, store, settings)


def _act(request: Request, number: str, agent: Account, done: str, action) -> Response:
    """Run a form's action; back to the ticket page, with the reason when it was refused."""
    try:
        action()
    except InvalidChange as err:
        store, settings = get_store(request), get_settings(request)
        return _ticket_page(request, number, agent, store, settings, str(err))
    return RedirectResponse(f"/agent/tickets/{number}?done={done}", status_code=303)


@router.post("/agent/tickets/{number}/reply", include_in_schema=False)
def reply_form(
    request: Request,
    number: str,
    agent: AgentDep,
    casework: CaseworkDep,
    text: Annotated[str, Form()] = "",
) -> Response:
    return _act(request, number, agent, "reply", lambda: casework.reply(number, agent, text))


@router.post("/agent/tickets/{number}/note", include_in_schema=False)
def note_form(
    request: Request,
    number: str,
    agent: AgentDep,
    casework: CaseworkDep,
    text: Annotated[str, Form()] = "",
) -> Response:
    return _act(request, number, agent, "note", lambda: casework.note(number, agent, text))


@router.post("/agent/tickets/{number}/update", include_in_schema=False)
def update_form(
    request: Request,
    number: str,
    agent: AgentDep,
    casework: CaseworkDep,
    status: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = "",
    group: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
) -> Response:
    def change() -> None:
        if (status and status not in STATUSES) or (priority and priority not in PRIORITIES):
            raise InvalidChange("unknown status or priority")
        casework.update(
            number,
            agent,
            status=status or None,  # type: ignore[arg-type]
            priority=priority or None,  # type: ignore[arg-type]
            group=group or None,
            category=category or None,
        )

    return _act(request, number, agent, "update", change)


@router.post("/agent/tickets/{number}/resolve", include_in_schema=False)
def resolve_form(
    request: Request,
    number: str,
    agent: AgentDep,
    casework: CaseworkDep,
    resolution: Annotated[str, Form()] = "",
) -> Response:
    action = lambda: casework.resolve(number, agent, resolution)  # noqa: E731
    return _act(request, number, agent, "resolve", action)


@router.post("/agent/tickets/{number}/reopen", include_in_schema=False)
def reopen_form(
    request: Request,
    number: str,
    agent: AgentDep,
    casework: CaseworkDep,
    reason: Annotated[str, Form()] = "",
) -> Response:
    return _act(request, number, agent, "reopen", lambda: casework.reopen(number, agent, reason))


@router.post("/agent/tickets/{number}/article-draft", include_in_schema=False)
def article_draft_form(
    request: Request,
    number: str,
    agent: AgentDep,
    casework: CaseworkDep,
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
) -> Response:
    action = lambda: casework.draft_article(number, agent, title, body)  # noqa: E731
    return _act(request, number, agent, "article_draft", action)
