"""What every /api/v1 response model shares: the base class, times, errors and tag names."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, WithJsonSchema

# Bounds on what a request may carry, checked by the request models (422 before any work). The
# question limit itself is the ``max_question_chars`` setting (2,000 by default; the Desk answers
# a longer question with a clear message); the body bound is its order of magnitude above.
MAX_QUESTION_BODY = 20_000
MAX_TURN_CHARS = 8_000  # one earlier turn of the stateless ask API's history
MAX_HISTORY_TURNS = 50
MAX_HISTORY_CHARS = 40_000  # all the history's turns together

# The store's ids are INTEGER columns: no record has an id past PostgreSQL's 32-bit maximum, and
# a number past SQLite's 64 bits makes its driver raise (a 500). Such ids are refused with 422.
MAX_RECORD_ID = 2**31 - 1
RecordId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID, description="a record's id (from 1)")]

# Times travel as Python's ``isoformat()`` strings (``2025-01-31T14:05:00+00:00``); typing them
# ``datetime`` would make pydantic re-render them (``...Z``) and change what clients receive.
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


class ApiModel(BaseModel):
    """A JSON response body. Fields a route adds later pass through untouched (``extra``), so
    the document can only lag behind the data, never cut it; clients should ignore unknown
    fields."""

    model_config = ConfigDict(extra="allow")


class Error(BaseModel):
    """An error: ``detail`` says what went wrong in words."""

    detail: str


class ValidationIssue(BaseModel):
    """One field FastAPI refused."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int]
    msg: str
    type: str


class Invalid(BaseModel):
    """A 422: the request failed validation (a list of issues) or the change was refused (text)."""

    detail: str | list[ValidationIssue]


RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before the next attempt counts",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}

ERRORS: dict[int, dict[str, Any]] = {
    400: {
        "model": Error,
        "description": "The request could not be read: a body that is not UTF-8 JSON (or not a "
        "form), or a Content-Length that is not a number",
    },
    401: {"model": Error, "description": "Not signed in (signing in: wrong username or password)"},
    403: {
        "model": Error,
        "description": "The role may not do this, or a browser session's write lacks its "
        "X-CSRF-Token",
    },
    404: {"model": Error, "description": "No such record, or not the caller's"},
    409: {"model": Error, "description": "Already decided (or the key belongs to another ticket)"},
    413: {
        "model": Error,
        "description": "The body is over its budget (max_body_kb, max_staff_body_kb; uploads: "
        "max_upload_mb); nothing was read past it",
    },
    422: {"model": Invalid, "description": "Invalid input, or a refused change with the reason"},
    429: {
        "model": Error,
        "description": "Too many requests or failed sign-ins; wait Retry-After seconds",
        "headers": RETRY_AFTER,
    },
    507: {"model": Error, "description": "The disk is full; nothing was taken in"},
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Return the documented error responses ``codes`` for a route's ``responses=``, and 400:
    any request can be unreadable (``bot.web.body_limit`` and FastAPI's body parsing)."""
    return {code: ERRORS[code] for code in (400, *codes)}


def event_stream(events: str, names: tuple[str, ...], *codes: int) -> dict[int | str, dict]:
    """Return ``responses=`` documenting a 200 ``text/event-stream`` of the events ``names``
    (``events`` says in words what each carries), and the error responses ``codes``.

    Before OpenAPI 3.2 (``itemSchema``), a stream's ``schema`` describes one event, as clients
    and the fuzzer read it: ``event`` (its name) and ``data`` (a JSON text)."""
    schema = {
        "type": "object",
        "description": "One server-sent event (`event: <name>` then `data: <JSON>`): " + events,
        "required": ["event", "data"],
        "properties": {
            "event": {"type": "string", "enum": list(names)},
            "data": {"type": "string", "description": "JSON, as the event's name says"},
        },
    }
    stream = {"description": events, "content": {"text/event-stream": {"schema": schema}}}
    return {200: stream, **errors(*codes)}


TAGS: list[dict[str, str]] = [
    {"name": "session", "description": "Sign in and out; the CSRF token for writes."},
    {"name": "search", "description": "Search articles and ask once, nothing stored."},
    {"name": "chat", "description": "The employee's conversations, feedback and escalation."},
    {"name": "tickets", "description": "The signed-in employee's own tickets."},
    {"name": "agent", "description": "The agents' queue and ticket work (agents and admins)."},
    {"name": "admin", "description": "Dashboard, articles, uploads, drafts, audit (admins)."},
    {"name": "health", "description": "Liveness."},
]
