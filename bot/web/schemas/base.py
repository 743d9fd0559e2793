"""What every /api/v1 response model shares: the base class, times, errors and tag names."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, WithJsonSchema

# Bounds on what a request may carry, checked by the request models (422 before any work). The
# question limit itself is the ``max_question_chars`` setting (2,000 by default; the Desk answers
# a longer question with a clear message); the body bound is its order of magnitude above.
MAX_QUESTION_BODY = 20_000
MAX_TURN_CHARS = 8_000  # one earlier turn of the stateless ask API's history
MAX_HISTORY_TURNS = 50
MAX_HISTORY_CHARS = 40_000  # all the history's turns together

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


ERRORS: dict[int, dict[str, Any]] = {
    401: {"model": Error, "description": "Not signed in (signing in: wrong username or password)"},
    403: {
        "model": Error,
        "description": "The role may not do this, or a browser session's write lacks its "
        "X-CSRF-Token",
    },
    404: {"model": Error, "description": "No such record, or not the caller's"},
    409: {"model": Error, "description": "Already decided (or the key belongs to another ticket)"},
    413: {"model": Error, "description": "The upload is over max_upload_mb; nothing was taken in"},
    422: {"model": Invalid, "description": "Invalid input, or a refused change with the reason"},
    429: {
        "model": Error,
        "description": "Too many requests or failed sign-ins; wait Retry-After seconds",
    },
    507: {"model": Error, "description": "The disk is full; nothing was taken in"},
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Return the documented error responses ``codes`` for a route's ``responses=``."""
    return {code: ERRORS[code] for code in codes}


def event_stream(events: str, *codes: int) -> dict[int | str, dict[str, Any]]:
    """Return ``responses=`` documenting a 200 ``text/event-stream`` of ``events``, and the
    error responses ``codes``."""
    schema = {
        "type": "string",
        "description": "Server-sent events (`event: <name>` then `data: <JSON>`): " + events,
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
