"""Accounts in the admin area: list, add, new password, disable or enable, role, sign out
everywhere, delete. The pages live under ``/admin/accounts``; their JSON twin under
``/api/v1/admin/accounts`` (:mod:`bot.web.admin.accounts_api`) runs the same operations.

Every operation is ``bot.tickets.accounts``'s rule plus the audit record; a refusal comes back as
:class:`Refusal` (404 unknown account, 409 last active admin or taken username, 400 anything
else the rules refuse), never a 500. A password an admin sets or generates is shown once, in the
response to the admin (pages are ``no-store``), never audited or logged, and the account must
choose its own at its next sign-in. Changing a role, a password, disabling and signing out end
the account's existing sessions, the admin's own included when it is their account.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from bot.tickets import accounts
from bot.tickets.records import ROLES, Account, NotFound, TicketStore
from bot.web.admin.actions import audit
from bot.web.auth import AdminDep, language
from bot.web.deps import StoreDep
from bot.web.i18n import texts
from bot.web.pages import render

# The statuses of refusals by reason; any other reason the rules give is a 400.
CONFLICTS = {"last_admin": 409, "taken": 409}
ACTIONS = ("password", "disable", "enable", "role", "signout", "delete")
FormText = Annotated[str, Form(max_length=10_000)]


@dataclass
class Refusal(Exception):
    """A refused account change: the HTTP ``status``, the ``reason`` (``not_found`` or an
    :class:`~bot.tickets.accounts.AccountRefused` reason) and the rules' own ``message``."""

    status: int
    reason: str
    message: str


@contextmanager
def refusals() -> Iterator[None]:
    """Turn what the account rules refuse into a :class:`Refusal`."""
    try:
        yield
    except NotFound as err:
        raise Refusal(404, "not_found", str(err)) from err
    except accounts.AccountRefused as err:
        raise Refusal(CONFLICTS.get(err.reason, 400), err.reason, str(err)) from err


@dataclass
class Outcome:
    """What an operation did: the account now (None once deleted), the password to show once
    (None unless one was generated or set here) and what was ``done`` (an action name)."""

    account: Account | None
    password: str | None
    done: str


def create(
    store: TicketStore, actor: Account, new: Account, password: str | None
) -> tuple[Account, str]:
    """Add ``new`` with ``password`` (generated when empty), audited; return the account and
    the password to show once. It must change the password at first sign-in."""
    with refusals():
        created, secret = accounts.create_account(store, new, password or None)
    audit(
        store,
        actor,
        "account.create",
        created.username,
        role=created.role,
        groups=created.groups,
        generated=not password,
    )
    return created, secret


def apply(
    store: TicketStore,
    actor: Account,
    username: str,
    action: str,
    role: str = "",
    password: str = "",
) -> Outcome:
    """Run ``action`` (one of :data:`ACTIONS`) on ``username``, audited."""
    shown: str | None = None
    detail: dict = {}
    with refusals():
        before = find(store, username)
        if before is None:
            raise NotFound(f"no account {username!r}")
        if action == "password":
            changed, secret = accounts.reset_password(store, username, password or None)
            shown, detail = secret, {"generated": not password}
        elif action in ("disable", "enable"):
            changed = accounts.set_active(store, username, action == "enable")
        elif action == "role":
            changed = accounts.set_role(store, username, role)
            detail = {"from": before.role, "to": role}
        elif action == "signout":
            changed = accounts.sign_out_everywhere(store, username)
        elif action == "delete":
            accounts.delete_account(store, username)
            changed = None
        else:
            raise NotFound(f"no account action {action!r}")
    audit(store, actor, f"account.{action}", username, **detail)
    return Outcome(changed, shown, action)


def find(store: TicketStore, username: str) -> Account | None:
    """The account ``username``; None when there is none, or the name is one no account has
    (a NUL, too long), which the store is never asked about."""
    return store.account(username) if accounts.findable(username) else None


def split_groups(text: str) -> list[str]:
    """The groups typed in one field, comma-separated."""
    return [g.strip() for g in text.split(",") if g.strip()]


# -- pages -----------------------------------------------------------------------------------

pages = APIRouter(prefix="/admin/accounts", include_in_schema=False)


def _message(request: Request, refusal: Refusal) -> str:
    """The refusal in the page's language (the rules' own words when there is no translation)."""
    return texts(language(request)).get(f"adm_acc_refused_{refusal.reason}", refusal.message)


def _list_page(
    request: Request,
    actor: Account,
    store: TicketStore,
    *,
    status_code: int = 200,
    error: str = "",
    done: str = "",
    filled: dict | None = None,
) -> HTMLResponse:
    return render(
        request,
        "admin_accounts.html",
        actor,
        status_code=status_code,
        section="accounts",
        accounts=store.accounts(),
        roles=ROLES,
        error=error,
        done=done,
        filled=filled or {},
    )


def _account_page(
    request: Request,
    actor: Account,
    target: Account,
    *,
    outcome: Outcome | None = None,
    status_code: int = 200,
    error: str = "",
) -> HTMLResponse:
    signed_out = outcome is not None and outcome.done not in ("create", "enable")
    return render(
        request,
        "admin_accounts_detail.html",
        actor,
        status_code=status_code,
        section="accounts",
        target=target,
        roles=ROLES,
        error=error,
        done=outcome.done if outcome else "",
        password=outcome.password if outcome else None,
        own_sessions_ended=signed_out and target.username == actor.username,
    )


@pages.get("", response_class=HTMLResponse)
def accounts_page(request: Request, actor: AdminDep, store: StoreDep):
    """Every account: role, groups, active, must-change; and the form to add one."""
    return _list_page(request, actor, store)


@pages.post("", response_class=HTMLResponse)
def add_form(
    request: Request,
    actor: AdminDep,
    store: StoreDep,
    username: FormText = "",
    role: FormText = "employee",
    display_name: FormText = "",
    email: FormText = "",
    groups: FormText = "",
    password: FormText = "",
):
    """Add an account; its password (typed, or generated) is shown once on the result page."""
    new = Account(username, role, display_name, email, split_groups(groups))  # type: ignore[arg-type]
    try:
        created, secret = create(store, actor, new, password)
    except Refusal as refusal:
        filled = {"username": username, "role": role, "display_name": display_name}
        filled |= {"email": email, "groups": groups}
        return _list_page(
            request,
            actor,
            store,
            status_code=refusal.status,
            error=_message(request, refusal),
            filled=filled,
        )
    return _account_page(request, actor, created, outcome=Outcome(created, secret, "create"))


@pages.get("/{username:path}", response_class=HTMLResponse)
def account_page(request: Request, username: str, actor: AdminDep, store: StoreDep):
    """One account and what an admin may do to it."""
    target = find(store, username)
    if target is None:
        refusal = Refusal(404, "not_found", f"no account {username!r}")
        return _list_page(request, actor, store, status_code=404, error=_message(request, refusal))
    return _account_page(request, actor, target)


@pages.post("/{username:path}/{action}", response_class=HTMLResponse)
def account_form(
    request: Request,
    username: str,
    action: str,
    actor: AdminDep,
    store: StoreDep,
    role: FormText = "",
    password: FormText = "",
    confirm: FormText = "",
):
    """Run one action on an account: a new password (typed, or generated and shown once),
    disable, enable, role, sign out everywhere, or delete (the form must say ``confirm=yes``)."""
    if action not in ACTIONS:
        raise NotFound(f"no account action {action!r}")  # the 404 page
    target = find(store, username)
    if target is None:
        refusal = Refusal(404, "not_found", f"no account {username!r}")
        return _list_page(request, actor, store, status_code=404, error=_message(request, refusal))
    if action == "delete" and confirm != "yes":
        error = texts(language(request))["adm_acc_confirm_needed"]
        return _account_page(request, actor, target, status_code=400, error=error)
    try:
        outcome = apply(store, actor, username, action, role=role, password=password)
    except Refusal as refusal:
        error = _message(request, refusal)
        return _account_page(request, actor, target, status_code=refusal.status, error=error)
    if outcome.account is None:
        return _list_page(request, actor, store, done=username)
    return _account_page(request, actor, outcome.account, outcome=outcome)
