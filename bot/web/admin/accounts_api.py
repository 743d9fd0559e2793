"""The accounts part of the admin JSON API, ``/api/v1/admin/accounts``: what the Accounts pages
do (:mod:`bot.web.admin.accounts`), for scripts and provisioning.

Admins only (401 signed out, 403 for employees and agents); writes from a browser session need
the ``X-CSRF-Token`` header. A generated password comes back once, in the response.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from bot.tickets.records import Account, Role
from bot.web.admin import accounts as account_ops
from bot.web.auth import AdminDep
from bot.web.deps import StoreDep
from bot.web.schemas import Error, errors
from bot.web.schemas.base import ApiModel, Timestamp

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

REFUSED_400 = (
    "The rules refuse the change (a short password, a bad username, too long a field), or the "
    "request could not be read"
)
REFUSED_409 = "The last active admin, or a username that is taken"
REFUSED = {
    400: {"model": Error, "description": REFUSED_400},
    409: {"model": Error, "description": REFUSED_409},
}


class ManagedAccount(ApiModel):
    """An account as an admin sees it (never a password or its hash)."""

    username: str
    role: Role
    display_name: str
    email: str
    groups: list[str]
    active: bool = Field(description="false: may not sign in")
    must_change_password: bool = Field(description="must choose a password at next sign-in")
    created_at: Timestamp


class AccountWithPassword(ApiModel):
    """An account and the password just given to it, to hand over once."""

    account: ManagedAccount
    password: str | None = Field(
        description="the generated password, shown only in this response; null when the "
        "request chose it"
    )


class AccountDeleted(ApiModel):
    """The account removed (its tickets and conversations stay under its name)."""

    deleted: str


class NewAccount(BaseModel):
    """An account to add; it must change its password at first sign-in."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=200)
    role: Role = "employee"
    display_name: str = Field("", max_length=200)
    email: str = Field("", max_length=320)
    groups: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=50)
    password: str | None = Field(None, max_length=1000, description="omit to generate one")


class AccountChange(BaseModel):
    """A new role, or active true/false (both may be sent)."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    active: bool | None = None


class NewPassword(BaseModel):
    """The password to set; omit it to generate one."""

    model_config = ConfigDict(extra="forbid")

    password: str | None = Field(None, max_length=1000)


def managed(account: Account) -> dict:
    """One account, JSON-ready."""
    return {
        "username": account.username,
        "role": account.role,
        "display_name": account.display_name,
        "email": account.email,
        "groups": list(account.groups),
        "active": account.active,
        "must_change_password": account.must_change_password,
        "created_at": account.created_at.isoformat(),
    }


def _refused(refusal: account_ops.Refusal) -> HTTPException:
    return HTTPException(refusal.status, refusal.message)


@router.get(
    "/accounts",
    response_model=list[ManagedAccount],
    summary="List accounts",
    responses=errors(401, 403),
)
def api_accounts(_: AdminDep, store: StoreDep) -> list[dict]:
    """Every account, by username."""
    return [managed(a) for a in store.accounts()]


@router.post(
    "/accounts",
    status_code=201,
    response_model=AccountWithPassword,
    summary="Add an account",
    responses={**errors(401, 403, 422), **REFUSED},
)
def api_add_account(body: NewAccount, actor: AdminDep, store: StoreDep) -> dict:
    """Add an account with a generated password (returned once) or the one sent; it must
    choose its own at first sign-in. 409 when the username is taken."""
    new = Account(body.username, body.role, body.display_name, body.email, body.groups)
    try:
        created, secret = account_ops.create(store, actor, new, body.password)
    except account_ops.Refusal as refusal:
        raise _refused(refusal) from refusal
    return {"account": managed(created), "password": None if body.password else secret}


@router.get(
    "/accounts/{username:path}",
    response_model=ManagedAccount,
    summary="Read an account",
    responses=errors(401, 403, 404),
)
def api_account(username: str, _: AdminDep, store: StoreDep) -> dict:
    """One account."""
    account = account_ops.find(store, username)
    if account is None:
        raise HTTPException(404, f"no account {username!r}")
    return managed(account)


def _apply(store, actor: Account, username: str, action: str, **fields) -> Account | None:
    """Run one account action; the account afterwards (None once deleted)."""
    try:
        return account_ops.apply(store, actor, username, action, **fields).account
    except account_ops.Refusal as refusal:
        raise _refused(refusal) from refusal


def _changed(account: Account | None) -> dict:
    """The changed account, JSON-ready (every action but delete leaves one)."""
    assert account is not None
    return managed(account)


@router.patch(
    "/accounts/{username:path}",
    response_model=ManagedAccount,
    summary="Change an account's role or disable / enable it",
    responses={**errors(401, 403, 404, 422), **REFUSED},
)
def api_change_account(
    username: str, change: AccountChange, actor: AdminDep, store: StoreDep
) -> dict:
    """Set ``role`` and/or ``active``; a new role or disabling ends the account's sessions.
    409 when it would leave no active admin."""
    if change.role is None and change.active is None:
        raise HTTPException(422, "send role or active")
    account = None
    if change.role is not None:
        account = _apply(store, actor, username, "role", role=change.role)
    if change.active is not None:
        account = _apply(store, actor, username, "enable" if change.active else "disable")
    return _changed(account)


@router.post(
    "/accounts/{username:path}/password",
    response_model=AccountWithPassword,
    summary="Set a new password",
    responses={**errors(401, 403, 404, 422), **REFUSED},
)
def api_account_password(
    username: str, actor: AdminDep, store: StoreDep, body: NewPassword | None = None
) -> dict:
    """Set the password sent, or a generated one (returned once); the account's sessions end
    and it must choose its own password at its next sign-in."""
    password = (body.password if body else None) or ""
    try:
        outcome = account_ops.apply(store, actor, username, "password", password=password)
    except account_ops.Refusal as refusal:
        raise _refused(refusal) from refusal
    shown = None if password else outcome.password
    return {"account": _changed(outcome.account), "password": shown}


@router.post(
    "/accounts/{username:path}/signout",
    response_model=ManagedAccount,
    summary="Sign an account out everywhere",
    responses=errors(401, 403, 404),
)
def api_account_signout(username: str, actor: AdminDep, store: StoreDep) -> dict:
    """End every session of the account, on every browser and API client."""
    return _changed(_apply(store, actor, username, "signout"))


@router.delete(
    "/accounts/{username:path}",
    response_model=AccountDeleted,
    summary="Delete an account",
    responses={**errors(401, 403, 404), **REFUSED},
)
def api_delete_account(username: str, actor: AdminDep, store: StoreDep) -> dict:
    """Remove the account; its tickets and conversations stay under its name. 409 for the last
    active admin."""
    _apply(store, actor, username, "delete")
    return {"deleted": username}
