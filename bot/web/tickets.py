"""The requester's tickets: /tickets pages and /api/v1/tickets (their own tickets only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from bot.tickets.casework import public_messages
from bot.tickets.records import InvalidChange, TicketQuery
from bot.web.auth import SignedInDep
from bot.web.deps import CaseworkDep, StoreDep
from bot.web.pages import render
from bot.web.schemas import Message, MyTicket, errors
from bot.web.views import message_dict, requester_ticket_dict

router = APIRouter(tags=["tickets"])


class MyMessageIn(BaseModel):
    """A message for the ticket."""

    text: str = Field(max_length=20_000)


class MyReopenIn(BaseModel):
    """Why the ticket is reopened (optional)."""

    reason: str = Field("", max_length=5_000)


@router.get(
    "/api/v1/tickets",
    response_model=list[MyTicket],
    summary="List my tickets",
    responses=errors(401),
)
def my_tickets(account: SignedInDep, store: StoreDep) -> list[dict]:
    """Tickets the signed-in user asked for, newest first, with status."""
    mine = store.tickets(TicketQuery(requester=account.username))
    return [{**requester_ticket_dict(t), "messages": []} for t in mine]


@router.get(
    "/api/v1/tickets/{number}",
    response_model=MyTicket,
    summary="Read my ticket",
    responses=errors(401, 404),
)
def my_ticket(number: str, account: SignedInDep, casework: CaseworkDep) -> dict:
    """One of the user's tickets: status, summary, agents' replies (never internal notes)."""
    return requester_ticket_dict(casework.requester_ticket(number, account))


@router.post(
    "/api/v1/tickets/{number}/messages",
    status_code=201,
    response_model=Message,
    summary="Add a message to my ticket",
    responses=errors(401, 403, 404, 413, 422),
)
def add_my_message(
    number: str, body: MyMessageIn, account: SignedInDep, casework: CaseworkDep
) -> dict:
    """Add a message to the user's own ticket (agents see it)."""
    return message_dict(casework.employee_message(number, account, body.text))


@router.post(
    "/api/v1/tickets/{number}/reopen",
    response_model=MyTicket,
    summary="Reopen my ticket",
    responses=errors(401, 403, 404, 413, 422),
)
def reopen_mine(number: str, body: MyReopenIn, account: SignedInDep, casework: CaseworkDep) -> dict:
    """Reopen the user's resolved ticket: the problem came back."""
    casework.requester_ticket(number, account)
    return requester_ticket_dict(casework.reopen(number, account, body.reason))


@router.get("/tickets", response_class=HTMLResponse, include_in_schema=False)
def tickets_page(request: Request, account: SignedInDep, store: StoreDep) -> HTMLResponse:
    mine = store.tickets(TicketQuery(requester=account.username))
    return render(request, "my_tickets.html", account, tickets=mine)


@router.get("/tickets/{number}", response_class=HTMLResponse, include_in_schema=False)
def ticket_page(
    request: Request, number: str, account: SignedInDep, casework: CaseworkDep, error: str = ""
) -> HTMLResponse:
    ticket = casework.requester_ticket(number, account)
    return render(
        request,
        "my_ticket.html",
        account,
        ticket=ticket,
        messages=public_messages(ticket),
        error=error,
        status_code=422 if error else 200,
    )


@router.post("/tickets/{number}/messages", include_in_schema=False)
def message_form(
    request: Request,
    number: str,
    account: SignedInDep,
    casework: CaseworkDep,
    text: Annotated[str, Form()] = "",
) -> Response:
    try:
        casework.employee_message(number, account, text)
    except InvalidChange as err:
        return ticket_page(request, number, account, casework, error=str(err))
    return RedirectResponse(f"/tickets/{number}", status_code=303)


@router.post("/tickets/{number}/reopen", include_in_schema=False)
def reopen_form(
    request: Request,
    number: str,
    account: SignedInDep,
    casework: CaseworkDep,
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        casework.reopen(number, account, reason)
    except InvalidChange as err:
        return ticket_page(request, number, account, casework, error=str(err))
    return RedirectResponse(f"/tickets/{number}", status_code=303)
