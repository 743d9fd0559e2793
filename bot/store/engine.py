"""One SQLAlchemy engine per database URL, tuned for SQLite or PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from bot.store.columns import dumps

BUSY_TIMEOUT_MS = 15_000


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; nothing connects until first use."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, json_serializer=dumps, pool_pre_ping=True)
    memory = parsed.database in (None, "", ":memory:")
    engine = create_engine(
        url,
        json_serializer=dumps,
        # Sync FastAPI endpoints run in a thread pool: connections move between threads.
        connect_args={"check_same_thread": False},
        # An in-memory database lives in its one connection.
        poolclass=StaticPool if memory else None,
    )
    _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and transactions SQLite can serialize."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # A writer takes the write lock up front, so a later read-then-write in the same
        # transaction waits for other writers (busy_timeout) instead of failing outright.
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
