"""Retention: what the desk's database keeps only for a while (``SERVICEDESK_RETAIN_*``).

Processed Slack deliveries (``claim_event`` keys: Slack retries within minutes, so a week is
ample), delivered outbox rows, and, when an operator asks for it, the detail of old audit events
(who did what to which record, and when, is kept). Eval history is not in the database (it is
``evals/history.jsonl``, a development record): nothing to do here. Failed outbox rows are never
deleted: the retention pass counts them into the log, for admins to see.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.settings import BotSettings
from bot.tickets.records import TicketStore, utcnow

log = logging.getLogger(__name__)


class Retention:
    """Deletes what ``settings`` keep no longer (a setting of 0 keeps it forever)."""

    def __init__(
        self, store: TicketStore, settings: BotSettings, clock: Callable[[], datetime] = utcnow
    ):
        self.store = store
        self.settings = settings
        self.clock = clock

    def apply(self) -> dict[str, int]:
        """Delete what is older than its setting allows; how many rows went, per kind."""
        now, s = self.clock(), self.settings
        gone = {}
        if s.retain_events_days:
            gone["events"] = self.store.forget_events(now - timedelta(days=s.retain_events_days))
        if s.retain_outbox_days:
            gone["outbox"] = self.store.forget_outbox(now - timedelta(days=s.retain_outbox_days))
        if s.retain_audit_detail_days:
            before = now - timedelta(days=s.retain_audit_detail_days)
            gone["audit_detail"] = self.store.forget_audit_detail(before)
        if any(gone.values()):
            log.info("retention: %s", ", ".join(f"{n} {kind}" for kind, n in gone.items()))
        failed = self.store.outbox_counts()["failed"]
        if failed:
            log.warning(
                "%d replies could not be delivered (audit log: outbox.failed); "
                "they stay in the outbox",
                failed,
            )
        return gone
