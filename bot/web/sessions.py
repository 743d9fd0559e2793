"""The signed session cookie (HMAC-SHA256 over a small JSON payload; the secret comes from
``bot.wiring.load_session_secret``).

The payload is ``{"u": username ("" before sign-in), "v": the account's session version,
"csrf": token, "exp": unix time, "seen": unix time of its last use}``; a cookie whose ``v`` is
not the account's current ``session_version`` counts as signed out (a password change,
disabling, a role change or "sign out everywhere" bumps it). It is
signed, not encrypted, and holds nothing secret but the CSRF token, which the cookie's owner may
read anyway.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

from fastapi.responses import Response

from bot.settings import BotSettings


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_session(session: dict, secret: str) -> str:
    """Serialise and sign ``session`` for the cookie."""
    body = _b64(json.dumps(session, separators=(",", ":")).encode())
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def decode_session(value: str, secret: str, now: float | None = None) -> dict | None:
    """Return the session in a cookie value, or ``None`` if forged, malformed or expired."""
    try:
        body, mac = value.split(".", 1)
        expected = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            return None
        session = json.loads(_unb64(body))
    except (ValueError, TypeError):
        return None
    if not isinstance(session, dict) or session.get("exp", 0) < (now or time.time()):
        return None
    return session


def new_session(username: str, settings: BotSettings, version: int = 0) -> dict:
    """A fresh session for ``username`` ("" = not signed in yet) with its own CSRF token;
    ``version`` is the account's current session version."""
    return {
        "u": username,
        "v": version,
        "csrf": secrets.token_urlsafe(24),
        "exp": int(time.time() + settings.session_hours * 3600),
        "seen": int(time.time()),
    }


def idle_too_long(session: dict, settings: BotSettings, now: float | None = None) -> bool:
    """Whether a signed-in ``session`` went unused past ``settings.session_idle_minutes``."""
    seen = session.get("seen")
    if not session.get("u"):
        return False  # an anonymous session only carries a CSRF token
    if not isinstance(seen, int | float):
        return True
    return (now or time.time()) - seen > settings.session_idle_minutes * 60


def cookie_name(base: str, settings: BotSettings) -> str:
    """``base``, or ``__Host-base`` over HTTPS: browsers then refuse the cookie from a subdomain
    or over plain HTTP, and only with Secure, Path=/ and no Domain."""
    return f"__Host-{base}" if settings.cookie_secure else base


def cookie_header(name: str, value: str, settings: BotSettings, max_age: int) -> str:
    """A ``Set-Cookie`` value with the app's flags (HttpOnly, SameSite=Lax, Secure if set)."""
    response = Response()
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    return response.headers["set-cookie"]
