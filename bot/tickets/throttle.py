"""Sign-in throttling: too many failed attempts for one username, or from one client address,
and further attempts are refused for a while.

Counters live in this process's memory: each worker of a multi-worker deployment counts on its
own (an attacker spread over ``n`` workers gets up to ``n`` times the attempts), and a restart
forgets them. Every username is counted the same way whether or not an account exists, so the
refusal says nothing about which usernames are real.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

LIMIT = 5  # failed attempts ...
WINDOW_S = 15 * 60  # ... within this many seconds ...
LOCKOUT_S = 15 * 60  # ... refuse further attempts for this long
MAX_KEYS = 10_000  # beyond this, the least recently failed keys are forgotten first


def minutes(seconds: int) -> int:
    """Return ``seconds`` as whole minutes, rounded up (at least 1), for "try again in N"."""
    return max(1, math.ceil(seconds / 60))


def _name(username: str) -> str:
    # Case and surrounding spaces do not make a new username to guess against.
    return username.strip().casefold()[:200]


@dataclass
class _Counter:
    failures: list[tuple[float, str]] = field(default_factory=list)  # (when, username)
    blocked_until: float = 0.0


class SignInThrottle:
    """Counts failed sign-ins per username and per client address (thread-safe).

    ``clock`` returns seconds (monotonic by default); tests pass one they can move.
    """

    def __init__(
        self,
        limit: int = LIMIT,
        window_s: float = WINDOW_S,
        lockout_s: float = LOCKOUT_S,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ):
        self.limit = limit
        self.window_s = window_s
        self.lockout_s = lockout_s
        self.clock = clock
        self.max_keys = max_keys
        self._counters: OrderedDict[str, _Counter] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many usernames and addresses have failures or a lockout remembered."""
        with self._lock:
            return len(self._counters)

    @staticmethod
    def _keys(username: str, client: str) -> tuple[str, str]:
        return "user:" + _name(username), "ip:" + (client or "?")

    def retry_after(self, username: str, client: str) -> int:
        """Return the seconds until ``username`` may try again from ``client`` (0: now)."""
        now = self.clock()
        with self._lock:
            waits = [
                counter.blocked_until - now
                for key in self._keys(username, client)
                if (counter := self._counters.get(key)) is not None
            ]
        longest = max(waits, default=0.0)
        return math.ceil(longest) if longest > 0 else 0

    def failed(self, username: str, client: str) -> None:
        """Record a failed attempt; the ``limit``-th within the window starts a lockout."""
        now = self.clock()
        name = _name(username)
        with self._lock:
            for key in self._keys(username, client):
                counter = self._counters.pop(key, None) or _Counter()
                self._counters[key] = counter  # most recently failed last
                recent = [f for f in counter.failures if now - f[0] < self.window_s]
                counter.failures = [*recent, (now, name)]
                if len(counter.failures) >= self.limit:
                    counter.failures = []
                    counter.blocked_until = now + self.lockout_s
            self._forget_old(now)

    def succeeded(self, username: str, client: str) -> None:
        """Forget ``username``'s failures, including those counted against ``client``.

        Other usernames' failures from the same address still count: signing in to one's own
        account between guesses at others' does not reset the address's counter.
        """
        user_key, client_key = self._keys(username, client)
        name = _name(username)
        with self._lock:
            self._counters.pop(user_key, None)
            counter = self._counters.get(client_key)
            if counter is not None:
                counter.failures = [f for f in counter.failures if f[1] != name]

    def _forget_old(self, now: float) -> None:
        """Past ``max_keys``, forget counters with nothing to remember, then the oldest ones that
        are not locked out, then any (down to 90%, so a flood does not clean on every call)."""
        if len(self._counters) <= self.max_keys:
            return
        target = int(self.max_keys * 0.9)
        for key in [k for k, c in self._counters.items() if self._idle(c, now)]:
            del self._counters[key]
        unlocked = [k for k, c in self._counters.items() if c.blocked_until <= now]
        for key in unlocked[: max(0, len(self._counters) - target)]:
            del self._counters[key]
        while len(self._counters) > target:
            self._counters.popitem(last=False)

    def _idle(self, counter: _Counter, now: float) -> bool:
        fresh = any(now - when < self.window_s for when, _ in counter.failures)
        return not fresh and counter.blocked_until <= now
