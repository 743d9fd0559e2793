"""A request id on every request, and one access record and one metric sample per request.

The id comes from the ``X-Request-ID`` header when it is a short token (a proxy's or a client's
id, so its logs and ours line up), else a new one; it goes back in the response's
``X-Request-ID`` and onto every log record emitted while the request runs
(:data:`bot.observability.logs.REQUEST_ID`). Requests are labelled by route template
(``/api/v1/tickets/{number}``), never by raw path: ids in paths would make a time series each.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.observability.logs import REQUEST_ID
from bot.observability.metrics import Metrics

HEADER = b"x-request-id"
_VALID = re.compile(rb"^[A-Za-z0-9._:=+/-]{1,128}$")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # every path no route serves (scanners' guesses) shares one label
access = logging.getLogger("bot.web.access")


def request_id(scope: Scope) -> str:
    """The caller's id when it is a token of at most 128 safe characters, else a new one."""
    for name, value in scope.get("headers", []):
        if name == HEADER and _VALID.match(value):
            return value.decode("ascii")
    return uuid.uuid4().hex


def route_of(scope: Scope) -> str:
    """The template of the route that served the request, ``unmatched`` when none did."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class RequestIds:
    """Give each HTTP request an id, log it once it is answered and count it in ``metrics``."""

    def __init__(self, app: ASGIApp, metrics: Metrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request with its id set; record how it ended."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        # Not reset afterwards: each request runs in a task of its own, whose context ends with
        # it, and the server's own record of an unhandled error still carries the id.
        REQUEST_ID.set(rid)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message["headers"] = [*kept, (HEADER, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if not status:  # nothing sent yet: a plain 500 that still names the request
                status = 500
                await _server_error(send_with_id)
            raise
        finally:
            self._record(scope, status or 500, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        method = scope.get("method", "")
        method = method if method in METHODS else "other"
        route = route_of(scope)
        if self.metrics is not None:
            self.metrics.request(route, method, status, seconds)
        access.info(
            "%s %s %d",
            method,
            route,
            status,
            extra={
                "method": method,
                "route": route,
                "path": scope.get("path", "")[:200],  # the query string is never kept
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
            },
        )


async def _server_error(send: Send) -> None:
    body = b"Internal Server Error"
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"21")]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})
