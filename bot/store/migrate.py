"""Alembic migrations, run from code: no alembic.ini is needed at run time.

Every process migrates as it opens the store; :func:`upgrade` holds a lock meanwhile, so nodes
starting together migrate one after another (the later ones find the schema at head): on
PostgreSQL an advisory lock, on a SQLite file a lock file beside the database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from filelock import FileLock, Timeout
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# pg_advisory_lock's key (any bigint the database's other users do not take): "svcdesk!".
ADVISORY_KEY = int.from_bytes(b"svcdesk!", "big", signed=True)

log = logging.getLogger(__name__)


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic configuration pointing at this package's migrations (and ``engine``)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Migrate the database behind ``engine`` to ``revision`` under :func:`migration_lock`;
    return the revision it is at."""
    with migration_lock(engine):
        command.upgrade(alembic_config(engine), revision)
    return current_revision(engine)


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's migration lock (waiting for another process's migration to end)."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine):
            yield
    elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        with _file_lock(Path(engine.url.database)):
            yield
    else:  # an in-memory database belongs to one process
        yield


@contextmanager
def _advisory_lock(engine: Engine) -> Iterator[None]:
    # A session lock on a connection of its own, outside any transaction: the migration's
    # connection commits and rolls back on its own; the lock ends with this connection at worst.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        key = {"key": ADVISORY_KEY}
        if not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), key).scalar():
            log.info("another process is migrating the database: waiting for it")
            connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)


@contextmanager
def _file_lock(database: Path) -> Iterator[None]:
    lock = FileLock(database.with_name(database.name + ".migrate.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.info("another process is migrating %s: waiting for it", database)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` when it was never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision this code ships."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
