"""Rate limits and sign-in throttling counted in Redis, shared by every node: two separately
built apps, served on two ports with the same ``limits_storage_url``, count together; while
Redis is down each process counts alone (nobody is refused for the outage, nobody guesses
freely), and counting returns to Redis once it answers again.

Redis is Debian's ``redis-server`` (`make system-deps`), started here on a free loopback port
without persistence and stopped after.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import limits
import pytest
import redis
from pydantic import ValidationError

from bot.settings import BotSettings
from bot.tickets.accounts import hash_password
from bot.tickets.rate_limit import RateLimiter
from bot.tickets.records import Account
from bot.tickets.throttle import SharedSignInThrottle
from tests.fakes import HashEmbeddings
from tests.redis import RedisServer
from tests.sites import Site, build_site, site_config

pytestmark = pytest.mark.integration

PASSWORD = "alice-password-1"
LOCKED = "too many failed sign-in attempts; try again in 15 minutes"


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


def make_node(folder: Path, url: str) -> Site:
    """One app node counting in ``url``, with alice's account (each node has its own database:
    only the counters are shared)."""
    config = site_config(
        folder, rate_limit_ask="5/minute", rate_limit_api="5/minute", limits_storage_url=url
    )
    site = build_site(config, embedder=HashEmbeddings(), serve=True)
    site.store.add_account(Account("alice", "employee"), hash_password(PASSWORD))  # type: ignore[arg-type]
    return site


@pytest.fixture(scope="module")
def nodes(redis_server, tmp_path_factory) -> Iterator[tuple[Site, Site]]:
    a = make_node(tmp_path_factory.mktemp("node-a"), redis_server.url)
    b = make_node(tmp_path_factory.mktemp("node-b"), redis_server.url)
    yield a, b
    for node in (a, b):
        node.stop()
        node.services.close()


@pytest.fixture(autouse=True)
def empty_counters(redis_server) -> None:
    with redis.Redis.from_url(redis_server.url) as client:
        client.flushdb()


def client(node: Site, address: str) -> httpx.Client:
    """An HTTP client of ``node`` connecting from ``address`` (any 127.x address is loopback)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=node.url, transport=transport, timeout=30)


def ask(c: httpx.Client) -> int:
    return c.post("/api/v1/ask", json={"question": "printer offline", "history": []}).status_code


def sign_in(c: httpx.Client, username: str, password: str) -> httpx.Response:
    return c.post("/api/v1/session", json={"username": username, "password": password})


def test_asks_through_both_nodes_count_against_one_rate(nodes) -> None:
    a, b = nodes
    with client(a, "127.0.0.2") as via_a, client(b, "127.0.0.2") as via_b:
        codes = [ask(via_a) for _ in range(3)] + [ask(via_b) for _ in range(3)]
        assert codes == [200] * 5 + [429]  # 5/minute in all, not 5 per node
        assert ask(via_a) == 429
        assert via_b.get("/api/v1/search", params={"q": "printer"}).status_code == 200
    with client(b, "127.0.0.3") as other:  # another caller has its own count
        assert ask(other) == 200


@pytest.mark.parametrize("username", ["alice", "nobody"])
def test_failed_sign_ins_split_over_both_nodes_lock_the_username_on_both(nodes, username) -> None:
    a, b = nodes
    # Five addresses, one failure each: only the username's count reaches the limit.
    for n, node in enumerate([a, b, a, b, a]):
        with client(node, f"127.0.1.{n + 1}") as c:
            assert sign_in(c, username, "wrong").status_code == 401
    for node in (a, b):
        with client(node, "127.0.1.9") as c:
            refused = sign_in(c, username, PASSWORD)  # even the right password
            assert refused.status_code == 429
            assert refused.json()["detail"] == LOCKED
            assert 890 <= int(refused.headers["Retry-After"]) <= 900
    with client(b, "127.0.1.9") as c:
        assert sign_in(c, "bob", "wrong").status_code == 401  # other usernames are not locked


def test_one_address_guessing_through_both_nodes_is_locked_on_both(nodes) -> None:
    a, b = nodes
    for n, node in enumerate([a, b, a, b, a]):
        with client(node, "127.0.2.1") as c:
            assert sign_in(c, f"guess{n}", "wrong").status_code == 401
    for node in (a, b):
        with client(node, "127.0.2.1") as c:
            assert sign_in(c, "alice", PASSWORD).status_code == 429
        with client(node, "127.0.2.2") as c:
            assert sign_in(c, "alice", PASSWORD).status_code == 200


def test_signing_in_on_one_node_forgets_the_failures_counted_through_the_other(nodes) -> None:
    a, b = nodes
    with client(a, "127.0.3.1") as via_a:
        assert [sign_in(via_a, "alice", "wrong").status_code for _ in range(4)] == [401] * 4
    with client(b, "127.0.3.1") as via_b:
        assert sign_in(via_b, "alice", PASSWORD).status_code == 200
    with client(a, "127.0.3.1") as via_a:
        assert sign_in(via_a, "alice", "wrong").status_code == 401  # the 5th failure, or the 1st
    with client(a, "127.0.3.1") as via_a:
        assert sign_in(via_a, "alice", PASSWORD).status_code == 200  # the 1st: not locked


def test_shared_failures_leave_the_window_and_lockouts_end(redis_server) -> None:
    throttle = SharedSignInThrottle(redis_server.url, window_s=0.5, lockout_s=0.5)
    for _ in range(4):
        throttle.failed("kim", "10.0.0.1")
    time.sleep(0.6)  # the four leave the window
    for _ in range(4):
        throttle.failed("kim", "10.0.0.1")
    assert throttle.retry_after("kim", "10.0.0.1") == 0
    throttle.failed("kim", "10.0.0.1")
    assert throttle.retry_after("kim", "10.0.0.2") == 1  # 0.5 s, told in whole seconds
    time.sleep(0.6)
    assert throttle.retry_after("kim", "10.0.0.2") == 0
    assert len(throttle) == 0  # nothing was counted in this process's memory


def test_while_redis_is_down_each_process_counts_alone_then_shares_again(tmp_path, caplog) -> None:
    server = RedisServer(tmp_path).start()
    retry_s = 0.3  # how long counting stays in memory after a failure (10 s in production)
    limiter = RateLimiter(
        {"ask": limits.parse("2/minute")}, storage_url=server.url, retry_s=retry_s
    )
    throttle = SharedSignInThrottle(server.url, retry_s=retry_s)
    try:
        assert [limiter.hit("ask", "kim") for _ in range(2)] == [0, 0]
        server.stop()
        with caplog.at_level(logging.WARNING, "bot.tickets"):
            started = time.monotonic()
            waits = [limiter.hit("ask", "kim") for _ in range(3)]
            for _ in range(5):
                assert throttle.retry_after("kim", "10.0.0.1") == 0
                throttle.failed("kim", "10.0.0.1")
            assert throttle.retry_after("kim", "10.0.0.1") == 900  # locked in this process
            assert time.monotonic() - started < 2  # a refused connection is not waited on
        assert waits[:2] == [0, 0] and waits[2] > 0  # this process's count: 2 more, then 429
        down = [r.getMessage() for r in caplog.records if "cannot be reached" in r.getMessage()]
        assert len(down) == 2  # one warning each (rates, sign-in), not one per request

        server.start()  # back, and empty: a restart without persistence forgot the counts
        time.sleep(retry_s)
        assert [limiter.hit("ask", "lee") for _ in range(3)][-1] > 0
        assert throttle.retry_after("kim", "10.0.0.1") > 0  # the lockout counted alone holds
        assert not limiter.store.down and not throttle.store.down
        with redis.Redis.from_url(server.url) as shared:
            assert shared.keys("LIMITS*")  # counted in Redis again
    finally:
        server.stop()


def test_a_store_other_than_memory_or_redis_stops_start_up() -> None:
    assert BotSettings(_env_file=None).limits_storage_url == "memory://"
    with pytest.raises(ValidationError, match="limits_storage_url takes memory://") as refused:
        BotSettings(_env_file=None, limits_storage_url="memcached://:secret@cache:11211")
    assert "secret" not in str(refused.value)  # a URL may hold a password: never echoed
