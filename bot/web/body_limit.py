"""Request bodies bounded before anything reads them: a pure ASGI middleware, the app's outermost.

FastAPI parses JSON and form bodies before any dependency runs (sign-in, roles, CSRF), so without
this an anonymous caller could make the process read gigabytes into memory. Each path has a byte
budget (:class:`BodyBudgets`): a body announced bigger (``Content-Length``) gets 413 before a
byte of it is read; a chunked body is counted as it streams in and refused (413) as soon as the
count passes the budget, the rest left unread (the server then closes the connection).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.library.uploads import UploadLimits
from bot.settings import EVENTS_PATH, BotSettings

KIB = 1024
UPLOAD_PATHS = frozenset({"/admin/upload", "/api/v1/admin/uploads"})
STAFF_PREFIXES = ("/admin/", "/agent/", "/api/v1/admin/", "/api/v1/agent/")
# Multipart framing (boundaries, part headers, the CSRF field) around the files themselves.
MULTIPART_SLACK = 64 * KIB


class BodyTooLarge(HTTPException):
    """A request body over its path's budget (413)."""

    def __init__(self, detail: str) -> None:
        super().__init__(413, detail)


@dataclass(frozen=True)
class BodyBudgets:
    """How many body bytes each path may send."""

    default: int
    staff: int
    slack: int
    upload: UploadLimits

    @classmethod
    def from_settings(cls, settings: BotSettings) -> BodyBudgets:
        """The budgets ``settings`` set (uploads: ``max_upload_mb``)."""
        return cls(
            default=settings.max_body_kb * KIB,
            staff=settings.max_staff_body_kb * KIB,
            slack=settings.max_slack_body_kb * KIB,
            upload=UploadLimits.from_mb(settings.max_upload_mb),
        )

    def of(self, path: str) -> int:
        """The budget in bytes for a request to ``path``."""
        if path in UPLOAD_PATHS:
            return self.upload.max_bytes + MULTIPART_SLACK
        if path == EVENTS_PATH:
            return self.slack
        if path.startswith(STAFF_PREFIXES):
            return self.staff
        return self.default

    def refusal(self, path: str) -> str:
        """What a 413 says for ``path``."""
        if path in UPLOAD_PATHS:
            return self.upload.too_large().reason
        return f"request body too large: the limit here is {self.of(path) // KIB} KiB"


class BodyLimitMiddleware:
    """Refuse (413) request bodies over their path's budget, before or while they are read."""

    def __init__(self, app: ASGIApp, budgets: BodyBudgets) -> None:
        self.app = app
        self.budgets = budgets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        budget = self.budgets.of(path)
        declared = _content_length(scope)
        if declared == -1:
            await _reply(send, 400, "Content-Length is not a number")
            return
        if declared is not None and declared > budget:
            await _reply(send, 413, self.budgets.refusal(path))
            return
        started = False
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > budget:
                    raise BodyTooLarge(self.budgets.refusal(path))
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as err:  # read outside a route (no exception handler saw it)
            if started:
                raise
            await _reply(send, 413, err.detail)


def _content_length(scope: Scope) -> int | None:
    """The declared body length; None when not declared, -1 when it is not a number."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() and len(text) < 20 else -1
    return None


async def _reply(send: Send, status: int, detail: str) -> None:
    """A JSON error response; the connection closes after it (the body stays unread)."""
    body = json.dumps({"detail": detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
