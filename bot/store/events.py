"""Processed events: a delivery is claimed once, whichever worker or retry sees it first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot.store.base import StoreBase, required
from bot.store.schema import ProcessedEventRow

MAX_KEY = 255


class EventRecords(StoreBase):
    """The processed-events part of the store."""

    def claim_event(self, key: str) -> bool:
        """Record ``key`` as handled; True for the first claim, False for every later one."""
        key = required(key, "event key")
        if len(key) > MAX_KEY:
            raise ValueError(f"event keys are limited to {MAX_KEY} characters")
        try:
            with self._write() as session:
                if session.get(ProcessedEventRow, key) is not None:
                    return False
                session.add(ProcessedEventRow(key=key, created_at=self._now()))
        except IntegrityError:
            # Another worker inserted the same key between our check and our commit.
            return False
        return True

    def forget_events(self, before: datetime) -> int:
        """Drop claims older than ``before`` (retries never come that late); how many went."""
        with self._write() as session:
            result = session.execute(
                delete(ProcessedEventRow).where(ProcessedEventRow.created_at < before)
            )
            return result.rowcount or 0
