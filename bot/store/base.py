"""What every part of the store shares: the engine, sessions, the clock and the SLA targets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.store.engine import make_engine
from bot.tickets.records import PRIORITIES, InvalidChange, utcnow


class StoreBase:
    """Holds the engine; each public method of the store runs in one transaction."""

    def __init__(
        self,
        url: str,
        sla_hours: dict[str, tuple[float, float]],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        missing = [p for p in PRIORITIES if p not in sla_hours]
        if missing:
            raise ValueError(f"sla_hours needs every priority; missing {missing}")
        self.url = url
        self.sla_hours = {p: (float(r), float(f)) for p, (r, f) in sla_hours.items()}
        self.clock = clock
        self.engine: Engine = make_engine(url)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        # On SQLite, writers take the lock when they begin (see engine._tune_sqlite).
        writer_engine = self.engine.execution_options(sqlite_immediate=True)
        self._writer = sessionmaker(writer_engine, expire_on_commit=False)

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._reader() as session:
            yield session

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with self._writer() as session, session.begin():
            yield session

    def _now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()


def required(value: str, what: str) -> str:
    """``value`` stripped, or InvalidChange when it is empty."""
    value = (value or "").strip()
    if not value:
        raise InvalidChange(f"{what} must not be empty")
    return value


def one_of(value: str, allowed: tuple[str, ...], what: str) -> str:
    """``value`` when it is one of ``allowed``, else InvalidChange naming the choices."""
    if value not in allowed:
        raise InvalidChange(f"unknown {what} {value!r}; use one of {', '.join(allowed)}")
    return value
