"""Security headers on every response: a strict Content Security Policy, no framing, no sniffing,
no referrer beyond this origin, HSTS when cookies are HTTPS-only, and ``no-store`` on what a
signed-in person sees.

A pure ASGI middleware: it only adds headers to ``http.response.start``, so streamed answers
(SSE) pass through untouched. The pages have no inline script, style attribute or ``on*=``
handler (``tests/unit/test_web_templates_csp.py`` keeps it so), which lets the policy forbid them.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web.auth import COOKIE

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's Swagger UI loads its script and stylesheet from a CDN: only that page, only when
# SERVICEDESK_API_DOCS is on (off in the production compose).
DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = (
    f"default-src 'self'; script-src 'self' 'unsafe-inline' {DOCS_CDN}; "
    f"style-src 'self' {DOCS_CDN}; img-src 'self' data: https://fastapi.tiangolo.com; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """Add the security headers to every HTTP response of ``app``."""

    def __init__(self, app: ASGIApp, *, docs_path: str | None, https_only: bool) -> None:
        self.app = app
        self.docs_path = docs_path
        self.https_only = https_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers as the response starts."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers_for(scope["path"], signed_in=_has_session(scope))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [(k, v) for k, v in extra if k not in present]
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def headers_for(self, path: str, signed_in: bool) -> list[tuple[bytes, bytes]]:
        """The headers a response to ``path`` gets (``signed_in``: the request has a session)."""
        csp = DOCS_CSP if self.docs_path and path == self.docs_path else CSP
        headers = {
            "content-security-policy": csp,
            "x-frame-options": "DENY",
            "x-content-type-options": "nosniff",
            "referrer-policy": "same-origin",
            "cross-origin-opener-policy": "same-origin",
        }
        if self.https_only:
            headers["strict-transport-security"] = HSTS
        if signed_in and not path.startswith("/static/"):
            # A shared or back-button cache must not keep a signed-in person's pages.
            headers["cache-control"] = "no-store"
        return [(k.encode(), v.encode()) for k, v in headers.items()]


def _has_session(scope: Scope) -> bool:
    """Whether the request carries a session cookie (valid or not: no-store either way)."""
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            cookies = SimpleCookie()
            try:
                cookies.load(value.decode("latin-1"))
            except CookieError:  # a malformed cookie header: treat as signed in, the safe side
                return True
            if COOKIE in cookies or f"__Host-{COOKIE}" in cookies:
                return True
    return False
