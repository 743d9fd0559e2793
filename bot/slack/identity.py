"""Who is asking in Slack: the user's e-mail (``users.info``) and the groups it maps to.

Groups come from the configured mappings (an e-mail, an ``@domain`` or a Slack user group, each
to our groups) and from a web account with the same e-mail. They apply only in direct messages:
in channels others read along, so answers come from unrestricted articles only.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.tickets.records import Account, TicketStore

log = logging.getLogger(__name__)
RETRY_FAILED_S = 60.0  # a failed lookup is cached this long at most


@dataclass(frozen=True)
class SlackUser:
    """What Slack tells about a user (empty when ``users.info`` failed)."""

    id: str
    email: str = ""
    name: str = ""
    known: bool = True  # False: users.info failed, so nothing is known beyond the id


@dataclass
class _Cached:
    value: object
    until: float


@dataclass
class Identity:
    """Resolves Slack users to accounts with groups; lookups are cached for ``cache_s``."""

    client: WebClient
    mappings: dict[str, list[str]] = field(default_factory=dict)
    store: TicketStore | None = None
    cache_s: float = 3600.0
    clock: Callable[[], float] = time.monotonic
    _cache: dict[str, _Cached] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def account(self, user_id: str, private: bool) -> Account:
        """The asker as an account: id as username, e-mail, and groups only when ``private``."""
        user = self.user(user_id)
        groups = self.groups(user) if private else []
        return Account(
            username=user.id,
            role="employee",
            display_name=user.name,
            email=user.email,
            groups=groups,
        )

    def user(self, user_id: str) -> SlackUser:
        """The user's e-mail and name from ``users.info`` (cached; blank when it fails)."""
        # A failed lookup is retried soon; a user without an e-mail simply has none.
        return self._cached(f"user:{user_id}", lambda: self._lookup(user_id), lambda u: u.known)

    def groups(self, user: SlackUser) -> list[str]:
        """Our groups for ``user``: by e-mail, by domain, by Slack user group, by web account."""
        found: list[str] = []
        email = user.email.lower()
        if email:
            found += self.mappings.get(email, [])
            found += self.mappings.get("@" + email.rpartition("@")[2], [])
            found += self._account_groups(email)
        for key, groups in self.mappings.items():
            if key.startswith("S") and "@" not in key and user.id in self._members(key):
                found += groups
        return sorted(set(found))

    def _lookup(self, user_id: str) -> SlackUser:
        try:
            data = self.client.users_info(user=user_id).get("user") or {}
        except SlackApiError as err:
            # Without the e-mail the user still gets answers, from public articles.
            log.warning("users.info %s failed: %s", user_id, err.response.get("error"))
            return SlackUser(user_id, known=False)
        profile = data.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or data.get("name") or ""
        return SlackUser(user_id, (profile.get("email") or "").strip(), name)

    def _members(self, usergroup: str) -> frozenset[str]:
        def fetch() -> frozenset[str] | None:
            try:
                users = self.client.usergroups_users_list(usergroup=usergroup).get("users")
            except SlackApiError as err:
                log.warning(
                    "usergroups.users.list %s failed: %s", usergroup, err.response.get("error")
                )
                return None
            return frozenset(users or [])

        members = self._cached(f"usergroup:{usergroup}", fetch, lambda m: m is not None)
        return members or frozenset()

    def _account_groups(self, email: str) -> list[str]:
        if self.store is None:
            return []
        accounts = self._cached("accounts", self.store.accounts)
        return [
            g
            for a in accounts
            if a.active and email in (a.email.lower(), a.username.lower())
            for g in a.groups
        ]

    def _cached(self, key: str, fetch: Callable[[], object], good=lambda _: True):
        now = self.clock()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit.until > now:
                return hit.value
        value = fetch()
        ttl = self.cache_s if good(value) else min(self.cache_s, RETRY_FAILED_S)
        with self._lock:
            self._cache[key] = _Cached(value, now + ttl)
        return value
