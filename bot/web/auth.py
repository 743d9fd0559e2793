"""Sign-in sessions, roles, CSRF and trusted-header single sign-on for the web app.

What other routers use (``from bot.web.auth import ...``):

- ``current_account(request) -> Account | None``: who is signed in (session cookie, or the
  trusted SSO header when ``settings.sso_header`` is set and the request comes from a peer in
  ``settings.sso_trusted_proxies``); inactive accounts count as nobody.
- ``require_role(*roles)``: a dependency returning the ``Account``. Signed out: API paths
  (``/api/...``) get 401 JSON, pages a redirect to ``/login?next=<path>``. Wrong role: 403 (JSON
  for the API, a page otherwise). ``admin`` passes wherever ``agent`` does; agents never pass
  ``require_role("admin")``. Aliases: ``SignedInDep``, ``AgentDep``, ``AdminDep``, e.g.
  ``def page(request: Request, account: AdminDep): ...``. An account that must change its
  (seeded) password passes none of them: pages redirect to ``/account/password?next=<path>``,
  the API answers 403; ``PendingDep`` lets it reach that page.
- CSRF: every POST/PUT/PATCH/DELETE from a browser session (a valid session cookie, or SSO) must
  carry the session's token, as form field ``csrf_token`` or header ``X-CSRF-Token``; otherwise
  403. The check is an app-wide dependency (``csrf_guard``), so routers get it for free.
  Templates: ``<input type="hidden" name="csrf_token" value="{{ csrf_token }}">`` in every form;
  base.html puts it in ``<meta name="csrf-token">`` for JavaScript.
- ``page_context(request, account, **extra) -> dict`` for templates: ``t`` (UI texts), ``ui``
  (``ko``/``en``), ``account``, ``csrf_token``, plus ``extra``. ``bot.web.pages.render`` wraps
  it with the shared ``TEMPLATES``.
- ``sign_in(response, request, account)`` / ``sign_out(response, request)`` set or clear the
  cookie.

The session is a signed cookie (``bot.web.sessions``; HttpOnly, SameSite=Lax, Secure per
``settings.cookie_secure``, then named ``__Host-sd_session``; lasting ``settings.session_hours``,
signed out after ``settings.session_idle_minutes`` unused, its last-use time re-issued at most
once a minute); it carries the account's
session version, so bumping that (``bot.tickets.accounts``) revokes it. Its secret is
``settings.session_secret`` or one generated once into ``<data_dir>/session_secret`` (0600;
``data_dir`` is the knowledge base's).
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from functools import lru_cache
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bot.tickets.accounts import vouched_account
from bot.tickets.records import Account, Role
from bot.web.deps import get_session_secret, get_settings, get_store
from bot.web.i18n import pick_language, texts
from bot.web.sessions import (
    cookie_header,
    cookie_name,
    decode_session,
    encode_session,
    idle_too_long,
    new_session,
)

COOKIE = "sd_session"
LANG_COOKIE = "lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PEER = "servicedesk.peer"  # scope key: the connection's own peer, before proxy headers


SEEN_EVERY = 60  # seconds: how stale a session's last-use time may get before re-issuing it


def session_cookie(request: Request) -> str:
    """The session cookie's name: ``__Host-sd_session`` when ``cookie_secure`` is on."""
    return cookie_name(COOKIE, get_settings(request))


def session_of(request: Request) -> dict | None:
    """The request's valid session (cookie or one minted during this request), if any; a
    signed-in session idle past ``settings.session_idle_minutes`` is none."""
    minted = getattr(request.state, "minted_session", None)
    if minted is not None:
        return minted
    if not hasattr(request.state, "session"):
        raw = request.cookies.get(session_cookie(request), "")
        session = decode_session(raw, get_session_secret(request)) if raw else None
        if session is not None and idle_too_long(session, get_settings(request)):
            session = None
        request.state.session = session
        if session is not None and session.get("u"):
            _mark_seen(request, session)
    return request.state.session


def _mark_seen(request: Request, session: dict) -> None:
    """Re-issue the cookie with a new last-use time, at most once a minute."""
    now = int(time.time())
    if now - session.get("seen", 0) < SEEN_EVERY:
        return
    session["seen"] = now
    _queue_session_cookie(request, session)


def _queue_cookie(request: Request, header: str) -> None:
    """Have :class:`CookieMiddleware` add ``header`` to this request's response."""
    request.state.set_cookies = [*getattr(request.state, "set_cookies", []), header]


def _queue_session_cookie(request: Request, session: dict) -> None:
    settings = get_settings(request)
    value = encode_session(session, get_session_secret(request))
    max_age = max(int(session["exp"] - time.time()), 0)
    header = cookie_header(session_cookie(request), value, settings, max_age)
    request.state.session_cookie = header
    _queue_cookie(request, header)


def _drop_queued_session_cookie(request: Request) -> None:
    """Forget a session cookie queued earlier in this request (a refresh), so a sign-in or
    sign-out on the response is the last word."""
    queued = getattr(request.state, "session_cookie", None)
    if queued is not None:
        request.state.set_cookies = [
            c for c in getattr(request.state, "set_cookies", []) if c != queued
        ]


def _mint(request: Request, account: Account | None) -> dict:
    username, version = (account.username, account.session_version) if account else ("", 0)
    session = new_session(username, get_settings(request), version)
    request.state.minted_session = session
    _drop_queued_session_cookie(request)
    _queue_session_cookie(request, session)
    return session


def sign_in(response: Response, request: Request, account: Account) -> dict:
    """Start a new session for ``account`` on ``response`` (a new CSRF token too)."""
    settings = get_settings(request)
    session = new_session(account.username, settings, account.session_version)
    value = encode_session(session, get_session_secret(request))
    _drop_queued_session_cookie(request)
    name = session_cookie(request)
    max_age = int(settings.session_hours * 3600)
    response.headers.append("set-cookie", cookie_header(name, value, settings, max_age))
    return session


def sign_out(response: Response, request: Request) -> None:
    """End the session on ``response``."""
    _drop_queued_session_cookie(request)
    settings = get_settings(request)
    response.delete_cookie(
        session_cookie(request), path="/", secure=settings.cookie_secure, httponly=True
    )


def csrf_token(request: Request) -> str:
    """The session's CSRF token, starting an anonymous session when there is none."""
    session = session_of(request)
    account = current_account(request)
    if session is None or (account is not None and session.get("u") != account.username):
        session = _mint(request, account)
    return session["csrf"]


# -- who is signed in --------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def from_trusted_proxy(request: Request) -> bool:
    """Whether the request's peer (the hop that sent it, not an address a header reports) is one
    of ``settings.sso_trusted_proxies``."""
    peer = request.scope.get(PEER, request.scope.get("client"))
    host = peer[0] if peer else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # no peer address (a test client, a Unix socket): nobody to trust
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    networks = _networks(tuple(get_settings(request).sso_trusted_proxies))
    return any(address.version == net.version and address in net for net in networks)


def sso_username(request: Request) -> str:
    """The name the authenticating proxy vouches for; "" when SSO is off, the header is absent
    or the request did not come through a trusted proxy (anyone else may send any header)."""
    header = get_settings(request).sso_header
    if not header or header not in request.headers or not from_trusted_proxy(request):
        return ""
    return request.headers[header].strip()


def _sso_account(request: Request, username: str) -> Account | None:
    settings = get_settings(request)
    store = get_store(request)
    groups_header = settings.sso_groups_header
    groups = None
    if groups_header and groups_header in request.headers:
        groups = [g.strip() for g in request.headers[groups_header].split(",") if g.strip()]
    return vouched_account(store, username, groups)


def current_account(request: Request) -> Account | None:
    """Return who is signed in (SSO header first when enabled), or ``None``."""
    if hasattr(request.state, "account"):
        return request.state.account
    account = None
    username = sso_username(request)
    if username and len(username) <= 200:
        account = _sso_account(request, username)
    else:
        session = session_of(request)
        if session and session.get("u"):
            account = get_store(request).account(session["u"])
            if account is not None and session.get("v", 0) != account.session_version:
                account = None  # revoked: signed out everywhere, new password, disabled, role
    if account is not None and not account.active:
        account = None
    request.state.account = account
    return account


# -- roles -------------------------------------------------------------------------------------


class SignInRequired(Exception):
    """A page needs a signed-in user: redirect to the sign-in page (or to ``page``, the
    change-password page, for an account that must change its password first)."""

    def __init__(self, next_url: str, page: str = "/login"):
        self.next_url = next_url
        self.page = page


PASSWORD_PAGE = "/account/password"
CHANGE_FIRST = "change your password first (the page /account/password)"


class PageForbidden(Exception):
    """A page the signed-in user's role may not see."""


def is_api(request: Request) -> bool:
    """Whether the request is for the JSON API (errors as JSON, never redirects)."""
    return request.url.path.startswith("/api/")


def allowed(account: Account, roles: tuple[Role, ...]) -> bool:
    """Whether ``account`` may act in one of ``roles`` (an admin may do what an agent may)."""
    if not roles or account.role in roles:
        return True
    return account.role == "admin" and "agent" in roles


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def signed_in_pending(request: Request) -> Account:
    """The signed-in account even when it must change its password (the change-password page
    itself); signed out: as :func:`require_role`."""
    account = current_account(request)
    if account is None:
        if is_api(request):
            raise HTTPException(401, "sign in first")
        raise SignInRequired(_here(request))
    return account


def require_role(*roles: Role):
    """Build a dependency that returns the signed-in account if its role is one of ``roles``."""

    def dependency(request: Request) -> Account:
        account = current_account(request)
        if account is None:
            if is_api(request):
                raise HTTPException(401, "sign in first")
            raise SignInRequired(_here(request))
        if account.must_change_password:
            if is_api(request):
                raise HTTPException(403, CHANGE_FIRST)
            raise SignInRequired(_here(request), PASSWORD_PAGE)
        if not allowed(account, roles):
            if is_api(request):
                raise HTTPException(403, "your role may not do this")
            raise PageForbidden()
        return account

    return dependency


SignedInDep = Annotated[Account, Depends(require_role())]
AgentDep = Annotated[Account, Depends(require_role("agent"))]
AdminDep = Annotated[Account, Depends(require_role("admin"))]
PendingDep = Annotated[Account, Depends(signed_in_pending)]


# -- CSRF --------------------------------------------------------------------------------------


def _refuse_oversized(request: Request) -> None:
    """Refuse a form body too large for any page before parsing it (parsing spools it to disk)."""
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise HTTPException(411, "a form must be sent with its Content-Length")
    limit = get_settings(request).max_upload_mb * 1024 * 1024 + 64 * 1024  # + multipart framing
    if int(length) > limit:
        raise HTTPException(
            413, f"the upload is too large (limit {get_settings(request).max_upload_mb} MB)"
        )


async def _submitted_token(request: Request) -> str:
    token = request.headers.get(CSRF_HEADER, "")
    content_type = request.headers.get("content-type", "")
    if not token and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        _refuse_oversized(request)
        form = await request.form()
        value = form.get(CSRF_FIELD, "")
        token = value if isinstance(value, str) else ""
    return token


async def csrf_guard(request: Request) -> None:
    """Refuse (403) an unsafe request from a browser session that lacks the session's token."""
    if request.method not in UNSAFE:
        return
    session = session_of(request)
    via_sso = bool(sso_username(request))
    if session is None and not via_sso:
        return  # no ambient credential a forged request could ride on
    token = await _submitted_token(request)
    expected = session.get("csrf", "") if session else ""
    # Bytes: compare_digest refuses non-ASCII str with TypeError (a 500 on a hostile token).
    if not token or not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(403, "CSRF token missing or invalid; reload the page and try again")
    request.state.csrf_ok = True


# -- templates ---------------------------------------------------------------------------------


def language(request: Request) -> str:
    """The UI language: ?lang=, then the ``lang`` cookie, then Accept-Language."""
    explicit = request.query_params.get("lang", "")
    ui = pick_language(
        explicit, request.headers.get("accept-language", ""), request.cookies.get(LANG_COOKIE, "")
    )
    if explicit == ui and request.cookies.get(LANG_COOKIE) != ui:
        # A switch sticks: later pages (and links without ?lang) keep the chosen language.
        header = cookie_header(LANG_COOKIE, ui, get_settings(request), 365 * 24 * 3600)
        _queue_cookie(request, header)
    return ui


def page_context(request: Request, account: Account | None, **extra) -> dict:
    """Everything base.html needs (``t``, ``ui``, ``account``, ``csrf_token``) plus ``extra``."""
    ui = language(request)
    other = "en" if ui == "ko" else "ko"
    query = {**request.query_params, "lang": other}
    return {
        "t": texts(ui),
        "ui": ui,
        "account": account,
        "csrf_token": csrf_token(request),
        "path": request.url.path,
        "switch_url": f"{request.url.path}?{urlencode(query)}",
        **extra,
    }


class PeerMiddleware:
    """Keeps the connection's peer in ``scope[PEER]`` before proxy headers rewrite ``client``."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope[PEER] = scope.get("client")
        await self.app(scope, receive, send)


def behind_proxies(app: ASGIApp, forwarded_allow_ips: str) -> ASGIApp:
    """``app`` as ``serve`` runs it: client addresses from ``X-Forwarded-For`` when sent by
    ``forwarded_allow_ips`` (uvicorn's own middleware; run uvicorn with ``proxy_headers=False``),
    while SSO still checks the hop the request came from."""
    return PeerMiddleware(ProxyHeadersMiddleware(app, trusted_hosts=forwarded_allow_ips))


class CookieMiddleware:
    """Adds cookies queued during a request (a minted session, a language switch) to its reply."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for header in scope.get("state", {}).get("set_cookies", []):
                    headers.append("set-cookie", header)
            await send(message)

        await self.app(scope, receive, send_with_cookies)


def login_redirect(request: Request, exc: SignInRequired) -> Response:
    """Send a signed-out visitor to the sign-in page, coming back afterwards."""
    return RedirectResponse(f"{exc.page}?next={quote(exc.next_url, safe='')}", status_code=303)


def forbidden_json(request: Request, exc: PageForbidden) -> Response:
    """Fallback for :class:`PageForbidden` when no page renderer is installed."""
    return JSONResponse({"detail": "your role may not see this page"}, status_code=403)
