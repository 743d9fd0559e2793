"""Telling employees what agents do: one ``ReplyNotifier`` per channel (web needs none), and the
outbox that carries replies and status changes to those channels.

An agent's reply is stored together with an outbox row (one transaction: see ``deliver_to`` in
:class:`~bot.tickets.records.TicketStore`); the agent's request never waits for Slack. The worker
(``bot.worker``: ``servicedesk worker``, or ``serve``'s own threads) hands each row to the
channel's notifier through :class:`Outbox`: claimed with a lease so two workers never send one
row, retried with exponential backoff while the channel is down, and marked failed (audited as
``outbox.failed``, counted on ``/readyz`` and in the worker's log) after the last attempt.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from bot.tickets.records import (
    Channel,
    MessageKind,
    OutboxItem,
    ReplyNotifier,
    Ticket,
    TicketMessage,
    TicketStore,
    utcnow,
)

log = logging.getLogger(__name__)
# What the employee hears about: agents' replies and status changes. Notes stay with the agents;
# the employee wrote their own messages.
TOLD_KINDS: tuple[MessageKind, ...] = ("reply", "status")
LEASE_S = 120.0  # longer than one delivery may take (Slack's client gives up after 30 s)
SNAPSHOT = ("status", "resolution")  # what a status message reports, as it was when said


class Notifiers:
    """The notifiers of each channel; the Slack bot registers one for ``slack``.

    The web chat needs none: it polls the ticket's messages. Whoever delivers the outbox (the
    worker) registers a waker: an agent's reply wakes it at once instead of at its next poll.
    """

    def __init__(self) -> None:
        self._by_channel: dict[str, ReplyNotifier] = {}
        self._wakers: list[Callable[[], None]] = []

    def register(self, channel: Channel, notifier: ReplyNotifier) -> None:
        """Deliver later messages of ``channel``'s tickets through ``notifier``."""
        self._by_channel[channel] = notifier

    def notifier(self, channel: str) -> ReplyNotifier | None:
        """The notifier registered for ``channel``, if any."""
        return self._by_channel.get(channel)

    def channels(self) -> tuple[Channel, ...]:
        """The channels with a notifier (their tickets' messages go through the outbox)."""
        return tuple(self._by_channel)  # type: ignore[arg-type]

    def deliver_to(self, kind: str) -> tuple[Channel, ...]:
        """The channels a message of ``kind`` is queued for: none for notes and employees'
        own messages, every channel with a notifier for replies and status changes."""
        return self.channels() if kind in TOLD_KINDS else ()

    def on_queued(self, waker: Callable[[], None]) -> None:
        """Call ``waker`` whenever a message was queued (it must return at once)."""
        self._wakers.append(waker)

    def queued(self) -> None:
        """Wake whoever delivers the outbox; a waker that fails is logged (the periodic poll
        still finds the message)."""
        for waker in self._wakers:
            try:
                waker()
            except Exception:
                log.exception("could not wake the outbox delivery (the next poll delivers)")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a delivery is tried: ``first_s``, then twice as long each
    time up to ``max_s``; after ``max_attempts`` the item is marked failed."""

    max_attempts: int = 12
    first_s: float = 10.0
    max_s: float = 3600.0

    @classmethod
    def from_settings(cls, settings) -> RetryPolicy:
        """The policy ``BotSettings`` configure (``SERVICEDESK_OUTBOX_*``)."""
        return cls(
            settings.outbox_max_attempts, settings.outbox_retry_s, settings.outbox_retry_max_s
        )

    def delay_s(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt."""
        return min(self.first_s * 2 ** max(attempts - 1, 0), self.max_s)


@dataclass
class Delivered:
    """What one pass over the outbox did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0

    def __bool__(self) -> bool:
        return bool(self.sent or self.retried or self.failed)


class Outbox:
    """Delivers due outbox items through the channels' notifiers (see the module docstring)."""

    def __init__(
        self,
        store: TicketStore,
        notifiers: Notifiers,
        policy: RetryPolicy | None = None,
        clock: Callable = utcnow,
        lease_s: float = LEASE_S,
    ):
        self.store = store
        self.notifiers = notifiers
        self.policy = policy or RetryPolicy()
        self.clock = clock
        self.lease_s = lease_s

    def deliver_due(self, most: int = 100) -> Delivered:
        """Deliver up to ``most`` due items, one claim at a time (a slow channel cannot outlive
        the leases of items still waiting), until the first failure: a channel that is down
        costs one attempt per pass, not one timeout per waiting item. What was done."""
        done = Delivered()
        channels = self.notifiers.channels()
        for _ in range(most):
            claim = uuid.uuid4().hex
            items = self.store.claim_outbox(claim, channels, limit=1, lease_s=self.lease_s)
            if not items:
                break
            self._deliver(items[0], claim, done)
            if done.retried or done.failed:
                break  # the rest wait for the next pass, their attempts unspent
        if done:
            log.info(
                "outbox: %d sent, %d to retry, %d failed", done.sent, done.retried, done.failed
            )
        return done

    def _deliver(self, item: OutboxItem, claim: str, done: Delivered) -> None:
        try:
            ticket, message = self._message(item)
            notifier = self.notifiers.notifier(item.channel)
            if notifier is None:
                raise LookupError(f"no notifier for {item.channel}")
            notifier.notify(ticket, message)
        except Exception as err:  # the channel is down, refuses, or the ticket is gone
            self._failed(item, claim, err, done)
            return
        if self.store.outbox_sent(item.id, claim):
            done.sent += 1

    def _message(self, item: OutboxItem) -> tuple[Ticket, TicketMessage]:
        """The ticket as it was when the message was said, and the message."""
        ticket = self.store.ticket(item.ticket_number)
        message = next((m for m in ticket.messages if m.id == item.message_id), None)
        if message is None:
            raise LookupError(f"{item.ticket_number} has no message {item.message_id}")
        then = {key: item.snapshot[key] for key in SNAPSHOT if key in item.snapshot}
        return replace(ticket, **then), message

    def _failed(self, item: OutboxItem, claim: str, err: Exception, done: Delivered) -> None:
        error = f"{type(err).__name__}: {err}"
        if item.attempts >= self.policy.max_attempts:
            if self.store.outbox_retry(item.id, claim, error, None):
                done.failed += 1
                what = (item.ticket_number, item.channel, item.attempts, error)
                log.error("outbox: giving up on %s to %s after %d attempts: %s", *what)
            return
        delay = self.policy.delay_s(item.attempts)
        if self.store.outbox_retry(item.id, claim, error, self.clock() + timedelta(seconds=delay)):
            done.retried += 1
            what = (item.ticket_number, item.channel, item.attempts, delay, error)
            log.warning("outbox: %s to %s failed (attempt %d), retrying in %.0f s: %s", *what)
