"""Passwords, sign-in and the demo accounts of a fresh install."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.settings import DEFAULT_SLA_HOURS
from bot.store import SqlStore, upgrade
from bot.tickets.accounts import (
    ALPHABET,
    authenticate,
    generate_password,
    hash_password,
    seed_demo_accounts,
    verify_password,
    vouched_account,
)
from bot.tickets.records import Account

pytestmark = pytest.mark.unit


@pytest.fixture()
def store() -> Iterator[SqlStore]:
    # A real store in memory: fast, and the same code the app runs.
    sql = SqlStore("sqlite://", DEFAULT_SLA_HOURS)
    upgrade(sql.engine)
    yield sql
    sql.close()


def test_hash_verifies_only_its_password() -> None:
    hashed = hash_password("비밀번호-correct horse")
    assert "correct horse" not in hashed
    assert hashed != hash_password("비밀번호-correct horse")  # salted
    assert verify_password(hashed, "비밀번호-correct horse")
    assert not verify_password(hashed, "비밀번호-correct hors")
    assert not verify_password(hashed, "")


@pytest.mark.parametrize("garbage", ["", None, "not-a-hash", "$argon2id$v=19$m=1$broken"])
def test_garbage_hashes_never_verify_and_never_raise(garbage) -> None:
    assert verify_password(garbage, "anything") is False


def test_generated_passwords_are_long_random_and_unambiguous() -> None:
    passwords = {generate_password() for _ in range(50)}
    assert len(passwords) == 50
    for password in passwords:
        assert len(password) == 16
        assert set(password) <= set(ALPHABET)
    assert not set("0O1lI") & set(ALPHABET)


def test_demo_accounts_are_seeded_once(store: SqlStore) -> None:
    created = seed_demo_accounts(store)
    assert set(created) == {"admin", "agent", "employee"}
    roles = {a.username: (a.role, a.groups) for a in store.accounts()}
    assert roles == {
        "admin": ("admin", []),
        "agent": ("agent", ["Service Desk"]),
        "employee": ("employee", []),
    }
    for username, password in created.items():
        assert authenticate(store, username, password).username == username
    assert seed_demo_accounts(store) == {}
    assert len(store.accounts()) == 3


def test_no_seeding_when_someone_already_exists(store: SqlStore) -> None:
    store.add_account(Account("boss", "admin"), hash_password("x"))
    assert seed_demo_accounts(store) == {}
    assert [a.username for a in store.accounts()] == ["boss"]


def test_authenticate_refuses_wrong_unknown_inactive_and_passwordless(store: SqlStore) -> None:
    store.add_account(Account("kim"), hash_password("right"))
    store.add_account(Account("slack-user"), None)
    assert authenticate(store, "kim", "right").username == "kim"
    assert authenticate(store, "kim", "wrong") is None
    assert authenticate(store, "nobody", "right") is None
    assert authenticate(store, "slack-user", "") is None
    store.update_account("kim", active=False)
    assert authenticate(store, "kim", "right") is None


def test_someone_the_proxy_vouches_for_becomes_an_employee_once(store) -> None:
    first = vouched_account(store, "kim", ["vpn-users"])
    assert first is not None and first.role == "employee" and first.groups == ["vpn-users"]
    again = vouched_account(store, "kim", None)
    assert again is not None and again.id == first.id and len(store.accounts()) == 1
    assert vouched_account(store, "kim", ["finance"]).groups == ["finance"]  # the proxy's, now
