"""The employee's chat: the page at / and its API under /api/v1/conversations.

Answers stream as server-sent events; "Talk to a person" shows an editable draft ticket and
files it once per idempotency key; agent replies come back through ``.../updates`` (polled).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from typing import Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from bot.tickets.casework import public_messages
from bot.tickets.records import PRIORITIES, Account, Conversation, NotFound, TicketDraft
from bot.web import schemas
from bot.web.articles import ANSWER_EVENTS, search_page, sse
from bot.web.auth import SignedInDep, current_account
from bot.web.deps import (
    ConversationsDep,
    EscalationDep,
    RetrieverDep,
    SettingsDep,
    StoreDep,
)
from bot.web.history import recent_conversations
from bot.web.pages import render
from bot.web.schemas.base import MAX_QUESTION_BODY, MAX_RECORD_ID, RecordId
from bot.web.views import message_dict, requester_ticket_dict

router = APIRouter(tags=["chat"])


def conversation_dict(conversation: Conversation) -> dict:
    """A conversation with its turns, JSON-ready."""
    return {
        "id": conversation.id,
        "channel": conversation.channel,
        "created_at": conversation.created_at.isoformat(),
        "ticket_number": conversation.ticket_number,
        "turns": [
            {
                "id": t.id,
                "role": t.role,
                "text": t.text,
                "answer": t.answer,
                "created_at": t.created_at.isoformat(),
            }
            for t in conversation.turns
        ],
    }


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(
    request: Request,
    retriever: RetrieverDep,
    settings: SettingsDep,
    conversations: ConversationsDep,
    store: StoreDep,
    q: str = "",
) -> HTMLResponse:
    """The chat for a signed-in employee; the article search for everyone else (or with ?q=)."""
    account = current_account(request)
    if account is None or q:
        return search_page(request, retriever, settings, q)
    conversation = None
    wanted = record_id(request.query_params.get("c", ""))
    if wanted is not None:
        try:
            conversation = conversations.get(wanted, account)
        except NotFound:
            conversation = None
    initial = {
        "conversation": conversation_dict(conversation) if conversation else None,
        "ticket": _ticket_of(store, conversation),
    }
    recent = recent_conversations(store, account.username)
    current = conversation.id if conversation else None
    return render(request, "chat.html", account, initial=initial, recent=recent, current=current)


def record_id(text: str) -> int | None:
    """The record id ``text`` names, or None: ASCII digits only (``"²".isdigit()`` is true, and
    ``int`` refuses it) and within the store's range."""
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_RECORD_ID else None


def _ticket_of(store, conversation: Conversation | None) -> dict | None:
    if conversation is None or not conversation.ticket_number:
        return None
    return requester_ticket_dict(store.ticket(conversation.ticket_number))


def _owned(conversations, conversation_id: int, account: Account) -> Conversation:
    try:
        return conversations.get(conversation_id, account)
    except NotFound:
        raise HTTPException(404, f"no conversation {conversation_id}") from None


class QuestionIn(BaseModel):
    """The employee's message."""

    question: str = Field(
        max_length=MAX_QUESTION_BODY,
        description="empty or too long (over the question limit) gets a clear message back",
    )


class FeedbackIn(BaseModel):
    """The employee's verdict: on one answer (``turn_id``) or, for ``resolved``, the chat."""

    kind: Literal["helpful", "not_helpful", "resolved"]
    turn_id: int | None = Field(None, ge=1, le=MAX_RECORD_ID)


class TicketIn(BaseModel):
    """The draft as the employee confirmed it, with the key that makes filing idempotent."""

    subject: str = Field(max_length=200)
    summary: str = Field(max_length=10_000)
    category: str = Field(max_length=100)
    priority: Literal["P1", "P2", "P3", "P4"] = "P3"
    group: str = Field("", max_length=200)
    language: str = Field("ko", pattern="^(ko|en)$")
    idempotency_key: str = Field(min_length=8, max_length=200)


@router.post(
    "/api/v1/conversations",
    status_code=201,
    response_model=schemas.Conversation,
    summary="Start a conversation",
    responses=schemas.errors(401, 403, 429),
)
def start_conversation(account: SignedInDep, conversations: ConversationsDep) -> dict:
    """Start a web conversation for the signed-in user."""
    return conversation_dict(conversations.start("web", account.username))


@router.get(
    "/api/v1/conversations",
    response_model=list[schemas.ConversationSummary],
    summary="List my conversations",
    responses=schemas.errors(401, 429),
)
def my_conversations(account: SignedInDep, store: StoreDep) -> list[dict]:
    """The signed-in user's conversations, newest first, with their first question."""
    mine = store.conversations(user=account.username, limit=100)
    out = []
    for c in sorted(mine, key=lambda c: c.created_at, reverse=True):
        first = next((t.text for t in c.turns if t.role == "user"), "")
        out.append({**conversation_dict(c), "turns": [], "first_question": first[:200]})
    return out


@router.get(
    "/api/v1/conversations/{conversation_id}",
    response_model=schemas.Conversation,
    summary="Read a conversation",
    responses=schemas.errors(401, 404, 422, 429),
)
def get_conversation(
    conversation_id: RecordId, account: SignedInDep, conversations: ConversationsDep
) -> dict:
    """One of the user's conversations with every turn (404 for anyone else's)."""
    return conversation_dict(_owned(conversations, conversation_id, account))


@router.post(
    "/api/v1/conversations/{conversation_id}/messages",
    response_model=schemas.Asked,
    summary="Ask in a conversation",
    responses=schemas.errors(401, 403, 404, 413, 422, 429),
)
def ask(
    conversation_id: RecordId,
    body: QuestionIn,
    account: SignedInDep,
    conversations: ConversationsDep,
) -> dict:
    """Ask within the conversation: ``answer`` (``Answer``) and the stored ``turn_id``."""
    _owned(conversations, conversation_id, account)
    answer, turn = conversations.ask_turn(conversation_id, body.question, account)
    return {"answer": answer.to_dict(), "turn_id": turn.id}


@router.post(
    "/api/v1/conversations/{conversation_id}/messages/stream",
    response_class=StreamingResponse,
    summary="Ask in a conversation, streamed",
    responses=schemas.event_stream(
        "sources, token, reset, answer (an Answer), then stored ({turn_id, conversation_id})",
        (*ANSWER_EVENTS, "stored"),
        401,
        403,
        404,
        413,
        422,
        429,
    ),
)
def ask_stream(
    conversation_id: RecordId,
    body: QuestionIn,
    account: SignedInDep,
    conversations: ConversationsDep,
) -> StreamingResponse:
    """The same as server-sent events: ``sources``, ``token``, ``reset``, ``answer``, then
    ``stored`` (``{"turn_id", "conversation_id"}``)."""
    _owned(conversations, conversation_id, account)  # 404 before the stream starts

    def events() -> Iterator[str]:
        for event in conversations.ask_stream(conversation_id, body.question, account):
            if event.kind == "stored":
                data = {"turn_id": event.data.id, "conversation_id": conversation_id}
                yield f"event: stored\ndata: {json.dumps(data)}\n\n"
            else:
                yield sse(event)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


@router.post(
    "/api/v1/conversations/{conversation_id}/feedback",
    status_code=201,
    response_model=schemas.FeedbackSaved,
    summary="Give feedback",
    responses=schemas.errors(401, 403, 404, 413, 422, 429),
)
def feedback(
    conversation_id: RecordId,
    body: FeedbackIn,
    account: SignedInDep,
    conversations: ConversationsDep,
) -> dict:
    """Record Resolved / Not helpful (/ helpful) for an answer or the conversation."""
    _owned(conversations, conversation_id, account)
    try:
        saved = conversations.feedback(conversation_id, account, body.kind, body.turn_id)
    except NotFound as err:
        raise HTTPException(404, str(err)) from None
    return {"id": saved.id, "kind": saved.kind, "turn_id": saved.turn_id}


@router.post(
    "/api/v1/conversations/{conversation_id}/draft",
    response_model=schemas.Draft | schemas.AlreadyFiled,
    summary="Draft a ticket",
    responses=schemas.errors(401, 403, 404, 422, 429),
)
def draft_ticket(
    conversation_id: RecordId,
    account: SignedInDep,
    conversations: ConversationsDep,
    escalation: EscalationDep,
    settings: SettingsDep,
    store: StoreDep,
) -> dict:
    """The ticket "Talk to a person" would file: AI summary, category, priority, group (all
    editable), a fresh ``idempotency_key``, and the choices; or the ticket already filed."""
    conversation = _owned(conversations, conversation_id, account)
    if conversation.ticket_number:
        return {"ticket": _ticket_of(store, conversation)}
    draft = escalation.draft(conversation)
    return {
        "draft": asdict(draft),
        "idempotency_key": uuid.uuid4().hex,
        "choices": {
            "categories": list(settings.assignment_groups),
            "priorities": list(PRIORITIES),
            "groups": sorted(set(settings.assignment_groups.values())),
        },
    }


@router.post(
    "/api/v1/conversations/{conversation_id}/ticket",
    status_code=201,
    response_model=schemas.MyTicket,
    summary="File the ticket",
    responses={
        200: {"model": schemas.MyTicket, "description": "Filed before: that ticket, not a second"},
        **schemas.errors(401, 403, 404, 409, 413, 422, 429),
    },
)
def file_ticket(
    conversation_id: RecordId,
    body: TicketIn,
    account: SignedInDep,
    conversations: ConversationsDep,
    escalation: EscalationDep,
    store: StoreDep,
) -> JSONResponse:
    """File the confirmed draft. The same key, or a chat that already has a ticket, returns
    that ticket (200) instead of filing a second one."""
    conversation = _owned(conversations, conversation_id, account)
    if conversation.ticket_number:
        return JSONResponse(_ticket_of(store, conversation), status_code=200)
    draft = TicketDraft(
        subject=body.subject,
        summary=body.summary,
        category=body.category,
        priority=body.priority,
        group=body.group,
        language=body.language,
    )
    # Keys are scoped to the asker's chat: someone else's key can never return their ticket.
    scoped = f"{account.username}\n{conversation_id}\n{body.idempotency_key}"
    key = "web-" + hashlib.sha256(scoped.encode()).hexdigest()
    ticket = escalation.file(conversation, draft, account.username, key)
    if ticket.requester != account.username:  # only if the scoping above were ever undone
        raise HTTPException(409, "this idempotency key belongs to another ticket")
    return JSONResponse(requester_ticket_dict(ticket), status_code=201)


@router.get(
    "/api/v1/conversations/{conversation_id}/updates",
    response_model=schemas.Updates,
    summary="Poll for agents' replies",
    responses=schemas.errors(401, 404, 422, 429),
)
def updates(
    conversation_id: RecordId,
    account: SignedInDep,
    conversations: ConversationsDep,
    store: StoreDep,
    after: int = 0,
) -> dict:
    """What agents said or changed on the chat's ticket since message ``after`` (poll this)."""
    conversation = _owned(conversations, conversation_id, account)
    if not conversation.ticket_number:
        return {"ticket": None, "messages": []}
    ticket = store.ticket(conversation.ticket_number)
    fresh = [message_dict(m) for m in public_messages(ticket) if m.id > after]
    view = requester_ticket_dict(ticket)
    view.pop("messages", None)
    return {"ticket": view, "messages": fresh}
