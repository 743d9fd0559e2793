"""Passwords (argon2), sign-in, and the demo accounts a fresh install starts with."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.tickets.records import Account, InvalidChange, TicketStore

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


def seed_demo_accounts(store: TicketStore) -> dict[str, str]:
    """Create admin, agent and employee with new passwords when there are no accounts yet.

    Returns {username: password} to show once; empty when any account already exists.
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
        )
        store.add_account(account, hash_password(password))
        created[account.username] = password
    return created


@cache
def _dummy_hash() -> str:
    return hash_password(generate_password())
