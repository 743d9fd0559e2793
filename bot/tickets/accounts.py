"""Passwords (argon2), sign-in, and the demo accounts a fresh install starts with."""

from __future__ import annotations

import os
import re
import secrets
from functools import cache
from pathlib import Path

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

    Returns {username: password} to show once; empty when any account already exists. ``serve``
    keeps them in :func:`keep_first_start_passwords`'s file: with ``force_change`` each account
    must choose its own at first sign-in.
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


FIRST_START_FILE = "first-start-passwords.txt"


def keep_first_start_passwords(created: dict[str, str], folder: Path) -> Path:
    """Write the seeded passwords to ``folder/first-start-passwords.txt``, readable by its owner
    only (0600 from creation, whatever the umask), whole or not at all; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FIRST_START_FILE
    draft = folder / f".{FIRST_START_FILE}.{os.getpid()}"
    draft.unlink(missing_ok=True)  # O_EXCL: never reuse a stale file with a wider mode
    lines = [f"{name} {password}" for name, password in created.items()]
    text = (
        "# servicedesk first start: username and generated password. Each must be changed at\n"
        "# first sign-in. Delete this file once read.\n" + "\n".join(lines) + "\n"
    )
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(draft, path)
    finally:
        draft.unlink(missing_ok=True)
    return path


MIN_PASSWORD = 8
MAX_PASSWORD = 1000
MAX_NAME = 200  # the store's column widths: username, display name, one group
MAX_EMAIL = 320
MAX_GROUPS = 50
# A username appears in URLs, logs and audit lines: no spaces or control characters.
USERNAME = re.compile(r"[^\s\x00-\x1f\x7f]{1,200}")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class AccountRefused(InvalidChange):
    """An account change refused for ``reason`` (front ends translate it): ``last_admin``,
    ``taken``, ``password_short``, ``password_long``, ``role``, ``username``, ``field``."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def _plain(text: str, limit: int) -> bool:
    """Whether ``text`` fits ``limit`` and has no control characters (PostgreSQL refuses NUL)."""
    return len(text) <= limit and not CONTROL.search(text)


def findable(username: str) -> bool:
    """Whether ``username`` could name an account: a hostile name (a NUL, which PostgreSQL
    refuses with an error; too long for the column) is nobody, without asking the store."""
    return _plain(username, MAX_NAME) and bool(username)


def _existing(store: TicketStore, username: str) -> Account:
    account = store.account(username) if findable(username) else None
    if account is None:
        raise NotFound(f"no account {username!r}")
    return account


def _keeps_an_admin(store: TicketStore, username: str) -> None:
    """Refuse a change that would leave no active admin (nobody could manage accounts)."""
    others = [
        a for a in store.accounts() if a.role == "admin" and a.active and a.username != username
    ]
    if not others:
        raise AccountRefused("last_admin", f"{username!r} is the last active admin")


def _checked_password(password: str) -> str:
    if not isinstance(password, str) or len(password.strip()) < MIN_PASSWORD:
        raise AccountRefused(
            "password_short", f"a password needs at least {MIN_PASSWORD} characters"
        )
    if len(password) > MAX_PASSWORD:
        raise AccountRefused(
            "password_long", f"a password may have at most {MAX_PASSWORD} characters"
        )
    return password


def _checked_role(role: str) -> str:
    if role not in ROLES:
        raise AccountRefused("role", f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    return role


def change_password(
    store: TicketStore, username: str, password: str, must_change: bool = False
) -> Account:
    """Set a new password for ``username`` and sign out its existing sessions; with
    ``must_change`` the account has to choose its own at its next sign-in."""
    _existing(store, username)
    store.set_password_hash(username, hash_password(_checked_password(password)))
    store.update_account(username, must_change_password=must_change)
    return store.revoke_sessions(username)


def reset_password(
    store: TicketStore, username: str, password: str | None = None
) -> tuple[Account, str]:
    """Give ``username`` a password an admin chose (or a generated one when None); since
    someone else knows it, the account must choose its own at its next sign-in."""
    password = password or generate_password()
    return change_password(store, username, password, must_change=True), password


def _checked_account(account: Account) -> Account:
    """``account`` with its fields trimmed, or AccountRefused naming what is wrong."""
    username = account.username.strip()
    if not USERNAME.fullmatch(username):
        raise AccountRefused(
            "username",
            f"a username has 1 to {MAX_NAME} characters and no spaces or control characters",
        )
    groups = [g.strip() for g in account.groups if g.strip()]
    fits = (
        _plain(account.display_name, MAX_NAME)
        and _plain(account.email, MAX_EMAIL)
        and len(groups) <= MAX_GROUPS
        and all(_plain(g, MAX_NAME) for g in groups)
    )
    if not fits:
        raise AccountRefused(
            "field",
            f"a name has at most {MAX_NAME} characters, an e-mail {MAX_EMAIL}, and an account "
            f"at most {MAX_GROUPS} groups; none has control characters",
        )
    return Account(
        username,
        _checked_role(account.role),  # type: ignore[arg-type]
        account.display_name.strip(),
        account.email.strip(),
        list(dict.fromkeys(groups)),
        must_change_password=True,
    )


def create_account(
    store: TicketStore, account: Account, password: str | None = None
) -> tuple[Account, str]:
    """Add ``account`` with ``password`` (a generated one when None) that it must change at
    first sign-in; return the account and the password, to be shown once."""
    checked = _checked_account(account)
    password = _checked_password(password or generate_password())
    if store.account(checked.username) is not None:
        raise AccountRefused("taken", f"the username {checked.username!r} is taken")
    try:
        created = store.add_account(checked, hash_password(password))
    except InvalidChange as err:  # created a moment ago by a parallel request
        raise AccountRefused("taken", str(err)) from err
    return created, password


def set_active(store: TicketStore, username: str, active: bool) -> Account:
    """Enable or disable ``username``; disabling signs out its sessions."""
    account = _existing(store, username)
    if not active and account.role == "admin":
        _keeps_an_admin(store, username)
    updated = store.update_account(username, active=active)
    return updated if active else store.revoke_sessions(username)


def set_role(store: TicketStore, username: str, role: str) -> Account:
    """Give ``username`` another role; its sessions are signed out (they carried the old one)."""
    account = _existing(store, username)
    _checked_role(role)
    if account.role == "admin" and role != "admin":
        _keeps_an_admin(store, username)
    store.update_account(username, role=role)
    return store.revoke_sessions(username)


def sign_out_everywhere(store: TicketStore, username: str) -> Account:
    """End every session of ``username`` (on every browser and API client)."""
    _existing(store, username)
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
