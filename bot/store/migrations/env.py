"""Alembic environment: migrate the engine handed over by bot.store.migrate (or the configured
database when run through the ``alembic`` command)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from bot.settings import AppSettings, BotSettings
from bot.store import database_url, ensure_sqlite_folder
from bot.store.columns import UtcDateTime
from bot.store.engine import make_engine
from bot.store.schema import Base

config = context.config
target_metadata = Base.metadata


def _database_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    # Run as the ``alembic`` command: this module is that entry point, so it reads the settings
    # (as the app does: no URL means SQLite in the data folder).
    url = database_url(BotSettings(), AppSettings().data_dir)
    ensure_sqlite_folder(url)
    return url


def _render_item(kind: str, obj: object, _context: object) -> str | bool:
    # Migrations stay independent of the app's code: UtcDateTime is a timestamptz column.
    if kind == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=target_metadata, compare_type=True, render_item=_render_item, **kwargs
    )


def run_offline() -> None:
    """Print the SQL instead of running it (``alembic upgrade --sql``)."""
    _configure(url=_database_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    # SQLite alters a table by copying it: batch mode does that for us.
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate through a live connection."""
    engine = config.attributes.get("engine")
    owned = engine is None
    if owned:
        engine = make_engine(_database_url())
    try:
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        if owned:
            engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
