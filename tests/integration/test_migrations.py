"""Migrations build the schema the code expects, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.settings import BotSettings
from bot.store import current_revision, head_revision, open_store, upgrade
from bot.store.engine import make_engine
from bot.store.migrate import alembic_config
from bot.store.schema import Base

pytestmark = pytest.mark.integration

TABLES = {
    "accounts",
    "conversations",
    "turns",
    "tickets",
    "ticket_messages",
    "feedback",
    "audit_events",
    "article_drafts",
    "processed_events",
    "outbox",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/empty.db"
    return request.getfixturevalue("postgres").create_database()


def test_upgrade_builds_every_table_and_matches_the_models(empty_db: str) -> None:
    engine = make_engine(empty_db)
    try:
        assert current_revision(engine) is None
        assert upgrade(engine) == head_revision() == "0004"
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        assert upgrade(engine) == "0004"  # a second run is a no-op
    finally:
        engine.dispose()


def test_downgrade_removes_the_schema(empty_db: str) -> None:
    engine = make_engine(empty_db)
    try:
        upgrade(engine)
        command.downgrade(alembic_config(engine), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        assert current_revision(engine) is None
    finally:
        engine.dispose()


def test_open_store_creates_the_folder_and_migrates(tmp_path) -> None:
    path = tmp_path / "not" / "yet" / "desk.db"
    store = open_store(BotSettings(database_url=f"sqlite:///{path}"))
    try:
        assert path.exists()
        assert current_revision(store.engine) == head_revision()
        assert store.accounts() == []
    finally:
        store.close()


def test_0003_gives_existing_accounts_session_version_zero_and_no_forced_change(
    empty_db: str,
) -> None:
    engine = make_engine(empty_db)
    try:
        upgrade(engine, "0002")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO accounts (username, role, display_name, email, groups,"
                    " password_hash, active, created_at)"
                    " VALUES ('kim', 'admin', '', '', '[]', NULL, true, CURRENT_TIMESTAMP)"
                )
            )
        assert upgrade(engine, "0003") == "0003"
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT session_version, must_change_password FROM accounts")
            ).all()
        assert [(v, bool(m)) for (v, m) in rows] == [(0, False)]
        command.downgrade(alembic_config(engine), "0002")
        columns = {c["name"] for c in inspect(engine).get_columns("accounts")}
        assert not columns & {"session_version", "must_change_password"}
    finally:
        engine.dispose()
