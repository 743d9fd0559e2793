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


def _cli(db: Path, *args: str) -> Result:
    """Run one command; a crash (not an exit with a code) fails the test with its traceback."""
    done = CliRunner().invoke(app, list(args), env={"SERVICEDESK_DATABASE_URL": f"sqlite:///{db}"})
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        raise done.exception
    return done


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

    store = SqlStore(f"sqlite:///{db}", DEFAULT_SLA_HOURS)
    try:
        account = authenticate(store, "lee", password)
        assert account is not None
        assert (account.role, account.email, account.display_name) == (
            "agent",
            "lee@example.com",
            "이 상담",
        )
        assert account.groups == ["Service Desk", "Network"]
    finally:
        store.close()

    listed = _cli(db, "user", "list")
    assert "lee" in listed.stdout and "agent" in listed.stdout
    assert password not in listed.stdout


def test_given_password_is_not_printed_and_duplicates_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    done = _cli(db, "user", "add", "kim", "--password", "s3cret-pass")
    assert done.exit_code == 0, done.stderr
    assert "s3cret-pass" not in done.stdout and "password" not in done.stdout

    dup = _cli(db, "user", "add", "kim", "--role", "admin")
    assert dup.exit_code == 2
    assert "kim" in dup.stderr and "taken" in dup.stderr

    bad_role = _cli(db, "user", "add", "park", "--role", "root")
    assert bad_role.exit_code == 2 and "unknown role" in bad_role.stderr

    store = SqlStore(f"sqlite:///{db}", DEFAULT_SLA_HOURS)
    try:
        assert [(a.username, a.role) for a in store.accounts()] == [("kim", "employee")]
        assert authenticate(store, "kim", "s3cret-pass") is not None
    finally:
        store.close()
