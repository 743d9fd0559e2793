"""Rate limits on what costs the desk work: asks (retrieval and the LLM) and other API calls,
counted per account or per client address in a moving window (the ``limits`` library).

Counters live where ``limits_storage_url`` says: ``memory://`` (the default) counts in this
process, so each worker of a multi-worker deployment counts on its own and a restart forgets;
``redis://host:6379/1`` counts in Redis, shared by every process and node that names it (the
sign-in throttle, :mod:`bot.tickets.throttle`, counts there too).

When Redis cannot be reached, counting falls back to this process's memory, as if it were the
only node, and a warning is logged: the rates still hold per process (a deployment of ``n``
processes lets through up to ``n`` times the rate) rather than not at all, and nobody is
refused for an outage of the store. Redis is tried again every :data:`RETRY_S` seconds, so an
outage costs one timeout per interval, not one per request.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

import limits
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from bot.settings import BotSettings

KINDS = ("ask", "api")
MEMORY = "memory://"
REDIS_SCHEMES = ("redis", "rediss", "redis+unix")
TIMEOUT_S = 0.5  # the longest a request waits for Redis (connecting, then each reply)
RETRY_S = 10.0  # after a failure, count in memory this long before trying Redis again

log = logging.getLogger(__name__)
T = TypeVar("T")


def is_shared(url: str) -> bool:
    """True when ``url`` names a store shared between processes (Redis), False for memory."""
    return urlsplit(url).scheme in REDIS_SCHEMES


class SharedStore:
    """Runs calls on the shared store, remembering an outage: after a failure, calls are skipped
    (the caller counts in memory) for ``retry_s``; the outage and the recovery are logged once."""

    def __init__(
        self,
        what: str,
        errors: tuple[type[Exception], ...],
        retry_s: float = RETRY_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.what = what
        self.errors = errors
        self.retry_s = retry_s
        self.clock = clock
        self._skip_until = 0.0
        self._down = False
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        """Whether the last call failed (counting is in this process's memory)."""
        return self._down

    def run(self, call: Callable[[], T]) -> T | None:
        """Return ``call()``, or None when the store failed just now or recently."""
        if self.clock() < self._skip_until:
            return None
        try:
            result = call()
        except self.errors as error:
            self._failed(error)
            return None
        if self._down:
            with self._lock:
                self._down = False
            log.warning("%s: the shared store answers again; counting there", self.what)
        return result

    def _failed(self, error: Exception) -> None:
        with self._lock:
            self._skip_until = self.clock() + self.retry_s
            first, self._down = not self._down, True
        if first:
            log.warning(
                "%s: the shared store cannot be reached (%s); counting in this process's "
                "memory, trying again every %g s",
                self.what,
                error,
                self.retry_s,
            )


def redis_window(url: str) -> MovingWindowRateLimiter:
    """A moving-window limiter counting in the Redis database ``url`` names."""
    storage = storage_from_string(
        url,
        wrap_exceptions=True,  # every Redis failure arrives as a StorageError
        socket_timeout=TIMEOUT_S,
        socket_connect_timeout=TIMEOUT_S,
    )
    return MovingWindowRateLimiter(storage)  # type: ignore[arg-type]


@dataclass
class RateLimiter:
    """Counts calls of each kind (``ask``, ``api``) per key, refusing those over the kind's rate
    (thread-safe: the memory storage locks; Redis counts atomically)."""

    rates: dict[str, limits.RateLimitItem]
    clock: Callable[[], float] = time.time
    storage_url: str = MEMORY
    retry_s: float = RETRY_S  # after a failure of the shared store, count in memory this long

    def __post_init__(self) -> None:
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared = redis_window(self.storage_url) if is_shared(self.storage_url) else None
        self.store = SharedStore("rate limits", (StorageError,), self.retry_s)

    @classmethod
    def from_settings(cls, settings: BotSettings) -> RateLimiter:
        """The rates ``settings`` set (``rate_limit_ask``, ``rate_limit_api``), counted in the
        store ``limits_storage_url`` names."""
        ask, api = settings.rate_limit_ask, settings.rate_limit_api
        rates = {"ask": limits.parse(ask), "api": limits.parse(api)}
        return cls(rates, storage_url=settings.limits_storage_url)

    def hit(self, kind: str, key: str) -> int:
        """Count one call of ``kind`` by ``key``: 0 when allowed, else the seconds to wait."""
        rate = self.rates[kind]
        if self._shared is not None:
            shared = self._shared
            wait = self.store.run(lambda: self._count(shared, rate, kind, key))
            if wait is not None:
                return wait
        return self._count(self._local, rate, kind, key)

    def _count(
        self, window: MovingWindowRateLimiter, rate: limits.RateLimitItem, kind: str, key: str
    ) -> int:
        if window.hit(rate, kind, key):
            return 0
        reset = window.get_window_stats(rate, kind, key).reset_time
        return max(1, math.ceil(reset - self.clock()))
