"""Signing in and out: the /login page and form, and /api/v1/session for API clients."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from bot.tickets.accounts import authenticate, change_password, sign_out_everywhere
from bot.tickets.records import Account, InvalidChange
from bot.tickets.throttle import SignInThrottle, minutes
from bot.web.auth import (
    PendingDep,
    SignedInDep,
    csrf_token,
    current_account,
    language,
    sign_in,
    sign_out,
)
from bot.web.deps import StoreDep, ThrottleDep, get_settings
from bot.web.i18n import texts
from bot.web.pages import render
from bot.web.schemas import Session, errors

router = APIRouter()


def safe_next(target: str) -> str:
    """Where to go after signing in: a path on this site only (no open redirect)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def account_dict(account: Account) -> dict:
    """The public fields of an account (never a password hash)."""
    return {
        "username": account.username,
        "role": account.role,
        "display_name": account.display_name,
        "email": account.email,
        "groups": list(account.groups),
    }


def _authenticate(store, username: str, password: str) -> Account | None:
    return authenticate(store, username.strip(), password)


class Throttled(Exception):
    """Too many failed sign-ins: refused without checking the password."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after


def _attempt(
    request: Request, throttle: SignInThrottle, store, username: str, password: str
) -> Account | None:
    """Authenticate unless throttled (:class:`Throttled`), counting failures and successes."""
    client = request.client.host if request.client else ""
    wait = throttle.retry_after(username, client)
    if wait:
        raise Throttled(wait)
    account = _authenticate(store, username, password)
    if account is None:
        throttle.failed(username, client)
    else:
        throttle.succeeded(username, client)
    return account


PASSWORDS_OFF = "password sign-in is turned off: sign in through your organisation's single sign-on"


def _passwords_allowed(request: Request) -> None:
    """Refuse (403) a password sign-in where ``password_login`` is off (SSO only)."""
    if not get_settings(request).password_login:
        raise HTTPException(403, PASSWORDS_OFF)


def throttled_text(ui: str, retry_after: int) -> str:
    """The sign-in page's message for a throttled attempt, in whole minutes."""
    return texts(ui)["login_throttled"].replace("{minutes}", str(minutes(retry_after)))


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "/") -> Response:
    account = current_account(request)
    if account is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    _passwords_allowed(request)
    return render(request, "login.html", None, next=safe_next(next), error="", username="")


@router.post("/login", include_in_schema=False)
def login_form(
    request: Request,
    store: StoreDep,
    throttle: ThrottleDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    _passwords_allowed(request)
    # A browser form always carries the token of the session the login page started.
    if not getattr(request.state, "csrf_ok", False):
        raise HTTPException(403, "CSRF token missing or invalid; reload the page and try again")
    try:
        account = _attempt(request, throttle, store, username, password)
    except Throttled as refused:
        page = render(
            request,
            "login.html",
            None,
            status_code=429,
            next=safe_next(next),
            error=throttled_text(language(request), refused.retry_after),
            username=username,
        )
        page.headers["Retry-After"] = str(refused.retry_after)
        return page
    if account is None:
        return render(
            request,
            "login.html",
            None,
            status_code=401,
            next=safe_next(next),
            error=texts(language(request))["login_failed"],
            username=username,
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    sign_in(response, request, account)
    return response


@router.post("/logout", include_in_schema=False)
def logout_form(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    sign_out(response, request)
    return response


@router.post("/logout/everywhere", include_in_schema=False)
def logout_everywhere_form(request: Request, account: SignedInDep, store: StoreDep) -> Response:
    """Sign out here and revoke every other session of the account (other browsers, API)."""
    sign_out_everywhere(store, account.username)
    return logout_form(request)


@router.get("/account/password", include_in_schema=False)
def password_page(request: Request, account: PendingDep, next: str = "/") -> Response:
    """Change one's own password (where an account with a seeded password is sent first)."""
    return render(request, "account_password.html", account, next=safe_next(next), error="")


@router.post("/account/password", include_in_schema=False)
def password_form(
    request: Request,
    account: PendingDep,
    store: StoreDep,
    throttle: ThrottleDep,
    current: Annotated[str, Form(max_length=1000)] = "",
    new: Annotated[str, Form(max_length=1000)] = "",
    again: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the current password (throttled like sign-in), set the new one, end every other
    session and keep this one."""
    t = texts(language(request))

    def refused(status: int, error: str) -> Response:
        return render(
            request, "account_password.html", account, status, next=safe_next(next), error=error
        )

    try:
        if _attempt(request, throttle, store, account.username, current) is None:
            return refused(401, t["password_wrong"])
    except Throttled as wait:
        page = refused(429, throttled_text(language(request), wait.retry_after))
        page.headers["Retry-After"] = str(wait.retry_after)
        return page
    if new != again:
        return refused(400, t["password_mismatch"])
    if new == current:
        return refused(400, t["password_same"])
    try:
        changed = change_password(store, account.username, new)
    except InvalidChange:
        return refused(400, t["password_short"])
    response = RedirectResponse(safe_next(next), status_code=303)
    sign_in(response, request, changed)
    return response


class Credentials(BaseModel):
    """A username and password."""

    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


@router.post(
    "/api/v1/session",
    tags=["session"],
    response_model=Session,
    summary="Sign in",
    responses=errors(401, 403, 413, 422, 429),
)
def api_sign_in(
    body: Credentials,
    request: Request,
    store: StoreDep,
    throttle: ThrottleDep,
    response: Response,
) -> dict:
    """Sign in: sets the session cookie; send ``csrf_token`` as ``X-CSRF-Token`` on writes.

    After 5 failed attempts for one username (or from one address) within 15 minutes, further
    attempts get 429 with ``Retry-After`` for 15 minutes, whether or not the username exists.
    403 where password sign-in is turned off (single sign-on only)."""
    _passwords_allowed(request)
    try:
        account = _attempt(request, throttle, store, body.username, body.password)
    except Throttled as refused:
        wait = minutes(refused.retry_after)
        raise HTTPException(
            429,
            f"too many failed sign-in attempts; try again in {wait} minutes",
            headers={"Retry-After": str(refused.retry_after)},
        ) from None
    if account is None:
        raise HTTPException(401, "wrong username or password")
    session = sign_in(response, request, account)
    return {"account": account_dict(account), "csrf_token": session["csrf"]}


@router.get(
    "/api/v1/session",
    tags=["session"],
    response_model=Session,
    summary="Read the session",
    responses=errors(401),
)
def api_session(request: Request, account: PendingDep) -> dict:
    """Who is signed in, with the session's CSRF token (also for an account that must change
    its seeded password first at ``/account/password``; every other call answers it 403)."""
    return {"account": account_dict(account), "csrf_token": csrf_token(request)}


@router.delete(
    "/api/v1/session",
    status_code=204,
    tags=["session"],
    summary="Sign out",
    responses=errors(403, 422),
)
def api_sign_out(
    request: Request, response: Response, store: StoreDep, everywhere: bool = False
) -> None:
    """Sign out; with ``everywhere=true`` every other session of the account ends too."""
    account = current_account(request)
    if everywhere and account is not None:
        sign_out_everywhere(store, account.username)
    sign_out(response, request)
