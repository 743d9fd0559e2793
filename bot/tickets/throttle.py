"""Sign-in throttling: too many failed attempts for one username, or from one client address,
and further attempts are refused for a while.

Counters live where ``limits_storage_url`` says, as the rate limits' do
(:mod:`bot.tickets.rate_limit`). ``memory://`` counts in this process (:class:`SignInThrottle`):
each worker of a multi-worker deployment counts on its own, so an attacker spread over ``n``
workers gets up to ``n`` times the attempts, and a restart forgets. ``redis://...`` counts in
Redis (:class:`SharedSignInThrottle`), shared by every process and node. Every username is
counted the same way whether or not an account exists, so the refusal says nothing about which
usernames are real.

When Redis cannot be reached the shared throttle counts in this process's memory, as the memory
throttle does, and logs a warning. Neither failing open (no throttle while the store is down:
an attacker who can upset Redis guesses freely) nor failing closed (nobody signs in with a
password during an outage, a lockout of every user anyone can cause by upsetting Redis) is
acceptable for sign-in; per-process counting keeps the limit within ``n`` times the configured
one and lets everyone else in. A lockout counted in either place holds until it ends.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import redis

from bot.settings import BotSettings
from bot.tickets.rate_limit import RETRY_S, TIMEOUT_S, SharedStore, is_shared

LIMIT = 5  # failed attempts ...
WINDOW_S = 15 * 60  # ... within this many seconds ...
LOCKOUT_S = 15 * 60  # ... refuse further attempts for this long
MAX_KEYS = 10_000  # beyond this, the least recently failed keys are forgotten first
PREFIX = "servicedesk:signin:"  # Redis keys: PREFIX + "user:kim:failures", PREFIX + "ip:...:lock"
NONCE_CHARS = 16  # a failure in Redis: a nonce (two in one ms differ), then the username


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


# KEYS: failures and lockout of the username, then of the address. ARGV: limit, window and
# lockout (ms), a nonce, the username. Redis's clock stamps failures, so nodes' clocks may differ.
FAILED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, window, lockout = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 1, #KEYS, 2 do
  local failures, lock = KEYS[i], KEYS[i + 1]
  redis.call('ZREMRANGEBYSCORE', failures, '-inf', now - window)
  redis.call('ZADD', failures, now, ARGV[4] .. ARGV[5])
  if redis.call('ZCARD', failures) >= limit then
    redis.call('DEL', failures)
    redis.call('SET', lock, '1', 'PX', lockout)
  else
    redis.call('PEXPIRE', failures, window)
  end
end
return 1
"""

# KEYS: the username's failures and lockout, the address's failures. ARGV: nonce length, username.
SUCCEEDED = """
redis.call('DEL', KEYS[1], KEYS[2])
local skip = tonumber(ARGV[1])
for _, member in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  if string.sub(member, skip + 1) == ARGV[2] then redis.call('ZREM', KEYS[3], member) end
end
return 1
"""


class SharedSignInThrottle(SignInThrottle):
    """Counts failed sign-ins in Redis, shared by every process given the same ``url``; while
    Redis cannot be reached, in this process's memory as :class:`SignInThrottle` does.

    Failures are a sorted set per username and per address (scored by Redis's clock, expiring
    with the window); a lockout is a key that expires when it ends.
    """

    def __init__(
        self,
        url: str,
        limit: int = LIMIT,
        window_s: float = WINDOW_S,
        lockout_s: float = LOCKOUT_S,
        prefix: str = PREFIX,
        retry_s: float = RETRY_S,
    ):
        super().__init__(limit, window_s, lockout_s)
        self.prefix = prefix
        self.redis = redis.Redis.from_url(
            url.replace("redis+unix://", "unix://", 1),
            socket_timeout=TIMEOUT_S,
            socket_connect_timeout=TIMEOUT_S,
        )
        self.store = SharedStore("sign-in throttle", (redis.RedisError,), retry_s)
        self._failed = self.redis.register_script(FAILED)
        self._succeeded = self.redis.register_script(SUCCEEDED)

    def _redis_keys(self, username: str, client: str) -> list[str]:
        """Failures and lockout of the username, then of the address."""
        return [self.prefix + k + part for k in self._keys(username, client)
                for part in (":failures", ":lock")]  # fmt: skip

    def retry_after(self, username: str, client: str) -> int:
        """Return the seconds until ``username`` may try again from ``client`` (0: now)."""
        _, user_lock, _, client_lock = self._redis_keys(username, client)
        waits_ms = self.store.run(lambda: self._remaining_ms(user_lock, client_lock))
        shared = math.ceil(max(0, *waits_ms) / 1000) if waits_ms else 0
        return max(shared, super().retry_after(username, client))

    def _remaining_ms(self, *locks: str) -> list[int]:
        """Each lockout's remaining milliseconds (negative: none), in one round trip."""
        with self.redis.pipeline(transaction=False) as pipe:
            for lock in locks:
                pipe.pttl(lock)
            return pipe.execute()

    def failed(self, username: str, client: str) -> None:
        """Record a failed attempt; the ``limit``-th within the window starts a lockout."""
        args = [self.limit, int(self.window_s * 1000), int(self.lockout_s * 1000)]
        args += [secrets.token_hex(NONCE_CHARS // 2), _name(username)]
        keys = self._redis_keys(username, client)
        if self.store.run(lambda: self._failed(keys=keys, args=args)) is None:
            super().failed(username, client)

    def succeeded(self, username: str, client: str) -> None:
        """Forget ``username``'s failures, including those counted against ``client`` (other
        usernames' failures from the address still count)."""
        super().succeeded(username, client)
        user_failures, user_lock, client_failures, _ = self._redis_keys(username, client)
        keys = [user_failures, user_lock, client_failures]
        self.store.run(lambda: self._succeeded(keys=keys, args=[NONCE_CHARS, _name(username)]))


def sign_in_throttle(settings: BotSettings) -> SignInThrottle:
    """The throttle counting where ``limits_storage_url`` says: this process or Redis."""
    if is_shared(settings.limits_storage_url):
        return SharedSignInThrottle(settings.limits_storage_url)
    return SignInThrottle()
