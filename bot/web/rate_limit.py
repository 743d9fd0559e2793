"""Rate limits over HTTP: which requests count as what (an ask, another API call), counted per
account when signed in, per client address otherwise; over the rate, 429 with ``Retry-After``.

Installed as an app-wide dependency (``bot.web.app``); the counting is
:class:`bot.tickets.rate_limit.RateLimiter`, built once per app by ``bot.wiring``.
"""

from __future__ import annotations

import re

from fastapi import HTTPException, Request

from bot.web.auth import current_account
from bot.web.deps import get_limiter

# Asks run retrieval and, when answers use it, the LLM; drafting a ticket summarises with it.
ASKS = re.compile(r"^/api/v1/(ask(/stream)?|conversations/\d+/(messages(/stream)?|draft))$")
API = re.compile(r"^/api/v1/(search|conversations(/.*)?)$")
# The pages that search for visitors (/ and /search with ?q=) cost what the JSON search costs.
SEARCH_PAGES = ("/", "/search")


def kind_of(method: str, path: str, searches: bool = False) -> str | None:
    """``ask``, ``api`` or None (not limited) for a request to ``path``; ``searches``: the
    request carries a search query (``?q=``)."""
    if method == "POST" and ASKS.match(path):
        return "ask"
    if API.match(path) or (searches and method == "GET" and path in SEARCH_PAGES):
        return "api"
    return None


def caller_key(request: Request) -> str:
    """Who is counted: the signed-in account, else the client's address."""
    account = current_account(request)
    if account is not None:
        return f"account:{account.username}"
    return f"address:{request.client.host if request.client else ''}"


def rate_limited(request: Request) -> None:
    """Count this request against its kind's rate; 429 with ``Retry-After`` when over it."""
    searches = bool(request.query_params.get("q", "").strip())
    kind = kind_of(request.method, request.url.path, searches)
    if kind is None:
        return
    wait = get_limiter(request).hit(kind, caller_key(request))
    if wait:
        raise TooManyRequests(
            429,
            f"too many requests: try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )


class TooManyRequests(HTTPException):
    """Over the rate: JSON for the API, the error page for pages (``bot.web.pages``)."""
