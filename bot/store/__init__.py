"""The desk's records in SQL: SQLite by default, PostgreSQL by URL, the same code."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from bot.settings import BotSettings
from bot.store.migrate import current_revision, head_revision, upgrade
from bot.store.sql_store import SqlStore

__all__ = [
    "SqlStore",
    "current_revision",
    "database_url",
    "head_revision",
    "open_store",
    "upgrade",
]


def ensure_sqlite_folder(url: str) -> None:
    """Create the folder a SQLite database file will live in (nothing for other databases)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def database_url(settings: BotSettings, data_dir: Path = Path("data")) -> str:
    """The configured URL, or SQLite in the data folder (``SERVICEDESK_DATA_DIR``) when unset."""
    return settings.database_url or f"sqlite:///{data_dir / 'servicedesk.db'}"


def open_store(settings: BotSettings, data_dir: Path = Path("data")) -> SqlStore:
    """Open the configured database, migrated to the newest schema."""
    url = database_url(settings, data_dir)
    ensure_sqlite_folder(url)
    store = SqlStore(url, settings.sla_hours)
    upgrade(store.engine)
    return store
