"""Passwords (argon2), sign-in, and the demo accounts a fresh install starts with."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.tickets.records import ROLES, Account, InvalidChange, NotFound, TicketStore

# No 0/O, 1/l/I: passwords are read off a terminal and typed by hand.
ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
DEMO_ACCOUNTS = (
    Account(username="admin", role="admin", display_name="Admin"),
    Account(username="agent", role="agent", display_name="Agent", groups=["Service Desk"]),
    Account(username="employee", role="employee", display_name="Employee"),
)
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """Hash ``password`` with argon2id (salted; the hash names its own parameters)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; False (never an error) for anything else."""
    if not password_hash or not isinstance(password, str):
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError, ValueError, TypeError):
        return False


def generate_password(length: int = 16) -> str:
    """A random password of ``length`` unambiguous letters and digits."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def authenticate(store: TicketStore, username: str, password: str) -> Account | None:
    """The active account ``username`` when ``password`` is right, else None."""
    account = store.account(username)
    if account is None or not account.active:
        # Hash anyway, so a missing account takes as long to refuse as a wrong password.
        verify_password(_dummy_hash(), password)
        return None
    return account if verify_password(store.password_hash(username), password) else None


def vouched_account(store: TicketStore, username: str, groups: list[str] | None) -> Account | None:
    """The account of someone a trusted proxy vouches for (SSO), created at first sight.

    ``groups`` are the proxy's when it sends them: current, so they replace the stored ones for
    this request. None when the account could not be created or read back, or when it has a
    password: a local account (a seeded admin) is never taken over by a name the proxy sends.
    """
    account = store.account(username)
    if account is not None and store.password_hash(username):
        return None
    if account is None:
        # First sight of someone the proxy vouches for: an employee until an admin says otherwise.
        try:
            account = store.add_account(Account(username, "employee", groups=groups or []), None)
        except InvalidChange:  # a parallel first request created it a moment ago
            account = store.account(username)
        if account is None:
            return None
    if groups is not None:
        account.groups = groups
    return account


def seed_demo_accounts(store: TicketStore, force_change: bool = True) -> dict[str, str]:
    """Create admin, agent and employee with new passwords when there are no accounts yet.

    Returns {username: password} to show once; empty when any account already exists. The
    passwords are printed at start-up (so they may sit in a container's log): with
    ``force_change`` each account must choose its own at first sign-in.
    """
    if store.accounts():
        return {}
    created: dict[str, str] = {}
    for template in DEMO_ACCOUNTS:
        password = generate_password()
        account = Account(
            username=template.username,
            role=template.role,
            display_name=template.display_name,
            groups=list(template.groups),
            must_change_password=force_change,
        )
        store.add_account(account, hash_password(password))
        created[account.username] = password
    return created


MIN_PASSWORD = 8
MAX_PASSWORD = 1000


def _existing(store: TicketStore, username: str) -> Account:
    account = store.account(username)
    if account is None:
        raise NotFound(f"no account {username!r}")
    return account


def _keeps_an_admin(store: TicketStore, username: str) -> None:
    """Refuse a change that would leave no active admin (nobody could manage accounts)."""
    others = [
        a for a in store.accounts() if a.role == "admin" and a.active and a.username != username
    ]
    if not others:
        raise InvalidChange(f"{username!r} is the last active admin")


def change_password(store: TicketStore, username: str, password: str) -> Account:
    """Set a new password for ``username`` and sign out its existing sessions."""
    _existing(store, username)
    if not isinstance(password, str) or len(password.strip()) < MIN_PASSWORD:
        raise InvalidChange(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidChange(f"a password may have at most {MAX_PASSWORD} characters")
    store.set_password_hash(username, hash_password(password))
    store.update_account(username, must_change_password=False)
    return store.revoke_sessions(username)


def set_active(store: TicketStore, username: str, active: bool) -> Account:
    """Enable or disable ``username``; disabling signs out its sessions."""
    account = _existing(store, username)
    if not active and account.role == "admin":
        _keeps_an_admin(store, username)
    store.update_account(username, active=active)
    return store.revoke_sessions(username)


def set_role(store: TicketStore, username: str, role: str) -> Account:
    """Give ``username`` another role; its sessions are signed out (they carried the old one)."""
    account = _existing(store, username)
    if role not in ROLES:
        raise InvalidChange(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if account.role == "admin" and role != "admin":
        _keeps_an_admin(store, username)
    store.update_account(username, role=role)
    return store.revoke_sessions(username)


def sign_out_everywhere(store: TicketStore, username: str) -> Account:
    """End every session of ``username`` (on every browser and API client)."""
    return store.revoke_sessions(username)


def delete_account(store: TicketStore, username: str) -> None:
    """Remove ``username`` (its tickets and conversations stay, under the same name)."""
    account = _existing(store, username)
    if account.role == "admin" and account.active:
        _keeps_an_admin(store, username)
    store.delete_account(username)


@cache
def _dummy_hash() -> str:
    return hash_password(generate_password())
