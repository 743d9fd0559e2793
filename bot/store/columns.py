"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A point in time stored as UTC and always read back timezone-aware.

    SQLite keeps no time zone, so values are written as naive UTC there and given their zone back
    on the way out; PostgreSQL keeps ``timestamptz``. Naive values handed in are taken as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        value = as_utc(value)
        if value is None:
            return None
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return as_utc(value)


def as_utc(value: datetime | None) -> datetime | None:
    """``value`` as aware UTC (naive values are taken as UTC); None stays None."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def dumps(value: object) -> str:
    """Serialize JSON columns readably (Korean stays Korean in the database)."""
    return json.dumps(value, ensure_ascii=False)


__all__ = ["JSON", "UtcDateTime", "as_utc", "dumps"]
