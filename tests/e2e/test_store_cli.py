"""`servicedesk db upgrade` and `servicedesk user ...` as an operator runs them (through Typer's
runner: tests/e2e/test_cli.py runs the installed command in a process of its own)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from bot.cli.main import app
from bot.settings import DEFAULT_SLA_HOURS
from bot.store import SqlStore, head_revision
from bot.tickets.accounts import authenticate

pytestmark = pytest.mark.e2e


def _cli(db: Path, *args: str, stdin: str | None = None) -> Result:
    """Run one command; a crash (not an exit with a code) fails the test with its traceback."""
    env = {"SERVICEDESK_DATABASE_URL": f"sqlite:///{db}"}
    done = CliRunner().invoke(app, list(args), input=stdin, env=env)
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        raise done.exception
    return done


def _store(db: Path) -> SqlStore:
    return SqlStore(f"sqlite:///{db}", DEFAULT_SLA_HOURS)


def _signs_in(db: Path, username: str, password: str) -> bool:
    """Whether ``username`` signs in with ``password`` in the database the commands wrote."""
    store = _store(db)
    try:
        return authenticate(store, username, password) is not None
    finally:
        store.close()


def test_db_upgrade_creates_the_database(tmp_path: Path) -> None:
    db = tmp_path / "data" / "desk.db"
    done = _cli(db, "db", "upgrade")
    assert done.exit_code == 0, done.stderr
    assert f"revision {head_revision()} (head)" in done.stdout
    assert db.exists()
    again = _cli(db, "db", "upgrade")
    assert again.exit_code == 0 and head_revision() in again.stdout


def test_user_add_prints_a_password_that_signs_in(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    args = ["--role", "agent", "--email", "lee@example.com", "--name", "이 상담"]
    groups = ["--group", "Service Desk", "--group", "Network"]
    done = _cli(db, "user", "add", "lee", *args, *groups)
    assert done.exit_code == 0, done.stderr
    password = re.search(r"password: (\S+)", done.stdout)[1]

    store = _store(db)
    try:
        account = authenticate(store, "lee", password)
        assert account is not None
        assert (account.role, account.email, account.display_name) == (
            "agent",
            "lee@example.com",
            "이 상담",
        )
        assert account.groups == ["Service Desk", "Network"]
        assert account.must_change_password  # the printed one is a first password only
    finally:
        store.close()

    listed = _cli(db, "user", "list")
    assert "lee" in listed.stdout and "agent" in listed.stdout
    assert password not in listed.stdout


def test_given_password_is_not_printed_and_duplicates_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    done = _cli(db, "user", "add", "kim", "--stdin", stdin="s3cret-pass\n")
    assert done.exit_code == 0, done.stderr
    assert "s3cret-pass" not in done.stdout and "password:" not in done.stdout

    dup = _cli(db, "user", "add", "kim", "--role", "admin")
    assert dup.exit_code == 2
    assert "kim" in dup.stderr and "taken" in dup.stderr

    bad_role = _cli(db, "user", "add", "park", "--role", "root")
    assert bad_role.exit_code == 2 and "unknown role" in bad_role.stderr
    short = _cli(db, "user", "add", "park", "--stdin", stdin="short\n")
    assert short.exit_code == 2 and "8 characters" in short.stderr

    store = _store(db)
    try:
        assert [(a.username, a.role) for a in store.accounts()] == [("kim", "employee")]
        assert authenticate(store, "kim", "s3cret-pass") is not None
    finally:
        store.close()


def _with_accounts(db: Path) -> None:
    root = _cli(db, "user", "add", "root", "--role", "admin", "--stdin", stdin="root-pass-1\n")
    assert root.exit_code == 0, root.stderr
    assert _cli(db, "user", "add", "kim", "--stdin", stdin="old-pass-1\n").exit_code == 0


def test_passwd_from_stdin_replaces_the_password_and_revokes_sessions(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    _with_accounts(db)
    done = CliRunner().invoke(
        app,
        ["user", "passwd", "kim", "--stdin"],
        input="new-pass-22\n",
        env={"SERVICEDESK_DATABASE_URL": f"sqlite:///{db}"},
    )
    assert done.exit_code == 0, done.stderr
    assert "new-pass-22" not in done.stdout
    store = _store(db)
    try:
        assert authenticate(store, "kim", "new-pass-22") is not None
        assert authenticate(store, "kim", "old-pass-1") is None
        assert store.account("kim").session_version == 1
    finally:
        store.close()


def test_passwd_asks_twice_with_a_hidden_prompt(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    _with_accounts(db)
    done = CliRunner().invoke(
        app,
        ["user", "passwd", "kim"],
        input="prompted-pass-3\nprompted-pass-3\n",
        env={"SERVICEDESK_DATABASE_URL": f"sqlite:///{db}"},
    )
    assert done.exit_code == 0, done.stderr
    assert "prompted-pass-3" not in done.stdout  # hidden: not echoed
    assert _signs_in(db, "kim", "prompted-pass-3")


def test_passwd_refuses_a_short_password(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    _with_accounts(db)
    done = CliRunner().invoke(
        app,
        ["user", "passwd", "kim", "--stdin"],
        input="short\n",
        env={"SERVICEDESK_DATABASE_URL": f"sqlite:///{db}"},
    )
    assert done.exit_code == 2 and "at least" in done.stderr


def test_a_disabled_account_cannot_sign_in_until_enabled(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    _with_accounts(db)
    assert _cli(db, "user", "disable", "kim").exit_code == 0
    assert "(inactive)" in _cli(db, "user", "list").stdout
    assert not _signs_in(db, "kim", "old-pass-1")
    assert _cli(db, "user", "enable", "kim").exit_code == 0
    assert _signs_in(db, "kim", "old-pass-1")


def test_role_and_delete(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    _with_accounts(db)
    assert _cli(db, "user", "role", "kim", "agent").exit_code == 0
    bad = _cli(db, "user", "role", "kim", "root")
    assert bad.exit_code == 2 and "unknown role" in bad.stderr
    assert _cli(db, "user", "delete", "kim").exit_code == 0
    store = _store(db)
    try:
        assert [a.username for a in store.accounts()] == ["root"]
    finally:
        store.close()


@pytest.mark.parametrize(
    "command",
    [
        ["passwd", "ghost", "--stdin"],
        ["disable", "ghost"],
        ["enable", "ghost"],
        ["role", "ghost", "agent"],
        ["delete", "ghost"],
        ["signout", "ghost"],
    ],
)
def test_an_unknown_user_exits_2_with_a_clear_message(tmp_path: Path, command) -> None:
    db = tmp_path / "desk.db"
    _with_accounts(db)
    done = CliRunner().invoke(
        app,
        ["user", *command],
        input="some-long-pass\n",
        env={"SERVICEDESK_DATABASE_URL": f"sqlite:///{db}"},
    )
    assert done.exit_code == 2
    assert "no account 'ghost'" in done.stderr


def test_the_last_admin_cannot_be_disabled_demoted_or_deleted(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    _with_accounts(db)
    for command in (["disable", "root"], ["role", "root", "agent"], ["delete", "root"]):
        done = _cli(db, "user", *command)
        assert done.exit_code == 2 and "last active admin" in done.stderr
