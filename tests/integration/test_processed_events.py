"""Claimed deliveries, on SQLite and on a real PostgreSQL server: one claim wins, ever."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.settings import DEFAULT_SLA_HOURS
from bot.store import SqlStore, upgrade
from bot.tickets.records import InvalidChange

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/desk.db"
    else:
        url = request.getfixturevalue("postgres").create_database()
    sql = SqlStore(url, DEFAULT_SLA_HOURS)
    upgrade(sql.engine)
    yield sql
    sql.close()


def test_the_first_claim_wins_and_every_later_one_loses(store: SqlStore) -> None:
    assert store.claim_event("slack:event:Ev1") is True
    assert store.claim_event("slack:event:Ev1") is False
    assert store.claim_event("slack:event:Ev1") is False
    assert store.claim_event("slack:event:Ev2") is True


def test_claims_survive_reopening_the_database(store: SqlStore) -> None:
    assert store.claim_event("slack:message:C1:1700000000.000100")
    other = SqlStore(store.url, DEFAULT_SLA_HOURS)  # a second worker on the same database
    try:
        assert other.claim_event("slack:message:C1:1700000000.000100") is False
    finally:
        other.close()


def test_concurrent_claims_of_one_key_let_exactly_one_through(store: SqlStore) -> None:
    workers = [SqlStore(store.url, DEFAULT_SLA_HOURS) for _ in range(6)]
    results: list[bool] = []
    start = threading.Barrier(len(workers))

    def claim(worker: SqlStore) -> None:
        start.wait()
        results.append(worker.claim_event("slack:view:V123"))

    threads = [threading.Thread(target=claim, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for w in workers:
        w.close()
    assert sorted(results) == [False] * 5 + [True]


def test_blank_or_oversized_keys_are_refused(store: SqlStore) -> None:
    with pytest.raises(InvalidChange):
        store.claim_event("  ")
    with pytest.raises(ValueError):
        store.claim_event("x" * 256)
    assert store.claim_event("x" * 255) is True


def test_forgetting_old_claims_lets_their_keys_be_claimed_again(store: SqlStore) -> None:
    store.claim_event("old")
    assert store.forget_events(datetime.now(UTC) - timedelta(hours=1)) == 0
    assert store.forget_events(datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert store.claim_event("old") is True
