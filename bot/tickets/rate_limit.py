"""Rate limits on what costs the desk work: asks (retrieval and the LLM) and other API calls,
counted per account or per client address in a moving window (the ``limits`` library).

Like the sign-in throttle, counters live in this process's memory: each worker of a multi-worker
deployment counts on its own, and a restart forgets them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import limits
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from bot.settings import BotSettings

KINDS = ("ask", "api")


@dataclass
class RateLimiter:
    """Counts calls of each kind (``ask``, ``api``) per key, refusing those over the kind's rate
    (thread-safe: the memory storage locks)."""

    rates: dict[str, limits.RateLimitItem]
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self._window = MovingWindowRateLimiter(MemoryStorage())

    @classmethod
    def from_settings(cls, settings: BotSettings) -> RateLimiter:
        """The rates ``settings`` set (``rate_limit_ask``, ``rate_limit_api``)."""
        ask, api = settings.rate_limit_ask, settings.rate_limit_api
        return cls({"ask": limits.parse(ask), "api": limits.parse(api)})

    def hit(self, kind: str, key: str) -> int:
        """Count one call of ``kind`` by ``key``: 0 when allowed, else the seconds to wait."""
        rate = self.rates[kind]
        if self._window.hit(rate, kind, key):
            return 0
        reset = self._window.get_window_stats(rate, kind, key).reset_time
        return max(1, math.ceil(reset - self.clock()))
