"""The desk's records in SQL: SQLite by default, PostgreSQL by URL, the same code."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from bot.store.migrate import current_revision, head_revision, upgrade
from bot.store.sql_store import SqlStore

if TYPE_CHECKING:
    from bot.settings import BotSettings

__all__ = ["SqlStore", "current_revision", "head_revision", "open_store", "upgrade"]


def ensure_sqlite_folder(url: str) -> None:
    """Create the folder a SQLite database file will live in (nothing for other databases)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def open_store(settings: BotSettings) -> SqlStore:
    """Open the configured database, migrated to the newest schema."""
    ensure_sqlite_folder(settings.database_url)
    store = SqlStore(settings.database_url, settings.sla_hours)
    upgrade(store.engine)
    return store
