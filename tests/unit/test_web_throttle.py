"""Sign-in throttling: counts per username and per address, windows, lockouts and resets."""

from __future__ import annotations

import pytest

from bot.tickets.throttle import SignInThrottle, minutes
from tests.fakes import FakeClock

pytestmark = pytest.mark.unit

MINUTE = 60.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1000.0)  # seconds that only move when the test says so


@pytest.fixture
def throttle(clock: FakeClock) -> SignInThrottle:
    return SignInThrottle(clock=clock)


def fail(throttle: SignInThrottle, username: str, client: str, times: int) -> None:
    for _ in range(times):
        assert throttle.retry_after(username, client) == 0
        throttle.failed(username, client)


def test_the_fifth_failure_locks_the_username_for_fifteen_minutes(throttle, clock) -> None:
    fail(throttle, "kim", "10.0.0.1", 4)
    assert throttle.retry_after("kim", "10.0.0.1") == 0
    throttle.failed("kim", "10.0.0.1")
    assert throttle.retry_after("kim", "10.0.0.1") == 15 * MINUTE
    assert throttle.retry_after("kim", "10.0.0.2") > 0  # from anywhere
    assert throttle.retry_after(" KIM ", "10.0.0.3") > 0  # spelled any way
    clock.advance(seconds=10 * MINUTE)
    assert throttle.retry_after("kim", "10.0.0.2") == 5 * MINUTE
    clock.advance(seconds=5 * MINUTE + 1)
    assert throttle.retry_after("kim", "10.0.0.2") == 0
    fail(throttle, "kim", "10.0.0.2", 4)  # the lockout's end starts a fresh count
    assert throttle.retry_after("kim", "10.0.0.2") == 0


def test_failures_older_than_the_window_do_not_count(throttle, clock) -> None:
    fail(throttle, "kim", "10.0.0.1", 4)
    clock.advance(seconds=15 * MINUTE + 1)
    fail(throttle, "kim", "10.0.0.1", 4)
    assert throttle.retry_after("kim", "10.0.0.1") == 0


def test_a_success_resets_the_count(throttle) -> None:
    fail(throttle, "kim", "10.0.0.1", 4)
    throttle.succeeded("kim", "10.0.0.1")
    fail(throttle, "kim", "10.0.0.1", 4)
    assert throttle.retry_after("kim", "10.0.0.1") == 0


def test_one_address_guessing_at_many_usernames_is_locked_out(throttle) -> None:
    for name in ("a", "b", "c", "d", "e"):
        fail(throttle, name, "10.0.0.9", 1)
    assert throttle.retry_after("f", "10.0.0.9") > 0
    assert throttle.retry_after("a", "10.0.0.8") == 0  # each username failed only once


def test_signing_in_to_ones_own_account_does_not_forgive_guesses_at_others(throttle) -> None:
    fail(throttle, "mallory", "10.0.0.9", 1)
    for name in ("a", "b", "c"):
        fail(throttle, name, "10.0.0.9", 1)
    throttle.succeeded("mallory", "10.0.0.9")  # forgives only mallory's own typo
    fail(throttle, "d", "10.0.0.9", 1)
    assert throttle.retry_after("e", "10.0.0.9") == 0
    throttle.failed("e", "10.0.0.9")
    assert throttle.retry_after("f", "10.0.0.9") > 0


def test_memory_stays_bounded_and_lockouts_are_forgotten_last(clock) -> None:
    throttle = SignInThrottle(clock=clock, max_keys=10)
    fail(throttle, "old", "10.0.0.1", 5)  # locked out, and the oldest counters
    for n in range(100):
        clock.advance(seconds=1)
        throttle.failed(f"user{n}", f"10.1.0.{n}")
        assert len(throttle) <= 10
    assert throttle.retry_after("old", "10.9.9.9") > 0
    assert throttle.retry_after("new", "10.0.0.1") > 0


def test_the_wait_is_told_in_whole_minutes_rounded_up() -> None:
    assert [minutes(s) for s in (1, 60, 61, 900, 901)] == [1, 1, 2, 15, 16]
