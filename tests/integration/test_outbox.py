"""The outbox, on SQLite and on a real PostgreSQL server: an agent's Slack reply is committed
with its outbox row, delivered when the channel is back, retried with backoff, given up after the
last attempt (audited), and never claimed by two workers at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from bot.settings import DEFAULT_SLA_HOURS
from bot.store import SqlStore, upgrade
from bot.tickets.casework import Casework
from bot.tickets.notify import Notifiers, Outbox, RetryPolicy
from bot.tickets.records import Account, TicketDraft, TicketMessage
from tests.fakes import FakeClock

pytestmark = pytest.mark.integration

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
AGENT = Account("agent", "agent")
THREAD = "C0HELP001:1700000000.000100"


class SlackStandIn:
    """A ReplyNotifier that is down until told otherwise, recording what reached it."""

    def __init__(self, up: bool = False) -> None:
        self.up = up
        self.sent: list[tuple[str, str, str, str]] = []  # number, kind, text, status then
        self.tries = 0
        self._lock = threading.Lock()

    def notify(self, ticket, message) -> None:
        with self._lock:
            self.tries += 1
            if not self.up:
                raise ConnectionError("slack.com is unreachable")
            self.sent.append((ticket.number, message.kind, message.text, ticket.status))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/desk.db"
    return request.getfixturevalue("postgres").create_database()


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture()
def store(db_url: str, clock: FakeClock) -> Iterator[SqlStore]:
    sql = SqlStore(db_url, DEFAULT_SLA_HOURS, clock=clock)
    upgrade(sql.engine)
    yield sql
    sql.close()


@pytest.fixture()
def slack() -> SlackStandIn:
    return SlackStandIn()


@pytest.fixture()
def notifiers(slack: SlackStandIn) -> Notifiers:
    notifiers = Notifiers()
    notifiers.register("slack", slack)
    return notifiers


def ticket(store: SqlStore, channel: str = "slack", key: str = "k1") -> str:
    draft = TicketDraft("VPN 접속 불가", "재택 중 VPN이 안 됩니다", "network", "P3", "Network")
    thread = THREAD if channel == "slack" else ""
    return store.file_ticket(None, draft, "U0EMP", channel, key, thread_ref=thread).number  # type: ignore[arg-type]


def outbox(store: SqlStore, clock: FakeClock, notifiers: Notifiers, attempts: int = 4) -> Outbox:
    policy = RetryPolicy(max_attempts=attempts, first_s=10, max_s=25)
    return Outbox(store, notifiers, policy, clock=clock)


def test_a_reply_is_kept_with_a_pending_row_while_slack_is_down_and_sent_when_it_is_back(
    store, clock, notifiers, slack
) -> None:
    number = ticket(store)
    reply = Casework(store, notifiers).reply(number, AGENT, "재부팅 해보세요")
    assert [m.text for m in store.ticket(number).messages if m.kind == "reply"] == [reply.text]
    [row] = store.outbox()
    assert (row.message_id, row.status, row.attempts) == (reply.id, "pending", 0)

    sender = outbox(store, clock, notifiers)
    assert sender.deliver_due().retried == 1  # Slack is down: the reply waits, nothing lost
    [row] = store.outbox()
    assert (row.status, row.attempts) == ("pending", 1)
    assert "unreachable" in row.last_error and row.next_attempt_at == T0 + timedelta(seconds=10)

    slack.up = True
    assert not sender.deliver_due()  # not due before its backoff has passed
    clock.advance(seconds=10)
    assert sender.deliver_due().sent == 1
    assert slack.sent == [(number, "reply", "재부팅 해보세요", "open")]
    assert store.outbox_counts() == {"pending": 0, "sending": 0, "sent": 1, "failed": 0}
    assert not sender.deliver_due() and slack.tries == 2  # delivered once, never again


def test_the_reply_and_its_outbox_row_commit_or_fail_together(store, notifiers) -> None:
    number = ticket(store)

    def refuse_outbox_rows(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX"):
            raise RuntimeError("the database refused the outbox row")

    event.listen(store.engine, "before_cursor_execute", refuse_outbox_rows)
    try:
        with pytest.raises(RuntimeError, match="outbox row"):
            Casework(store, notifiers).reply(number, AGENT, "this reply must not be half-kept")
    finally:
        event.remove(store.engine, "before_cursor_execute", refuse_outbox_rows)
    kept = store.ticket(number)
    assert [m for m in kept.messages if m.kind == "reply"] == [] and kept.status == "new"
    assert store.outbox() == []


def test_only_what_the_employee_hears_about_on_slack_tickets_is_queued(store, notifiers) -> None:
    casework = Casework(store, notifiers)
    on_slack, on_web = ticket(store, "slack", "k-slack"), ticket(store, "web", "k-web")
    for number in (on_slack, on_web):
        casework.reply(number, AGENT, "확인 중입니다")
        casework.note(number, AGENT, "internal only")
        casework.update(number, AGENT, priority="P2")  # no status change: nothing to tell
        casework.resolve(number, AGENT, "VPN 인증서를 재발급했습니다")
    queued = sorted(store.outbox(), key=lambda item: item.id)
    assert {item.ticket_number for item in queued} == {on_slack}  # the web chat polls instead
    kinds = {m.id: m.kind for m in store.ticket(on_slack).messages}
    assert [kinds[item.message_id] for item in queued] == ["reply", "status"]
    assert queued[1].snapshot == {"status": "resolved", "resolution": "VPN 인증서를 재발급했습니다"}
    Casework(store, Notifiers()).reply(on_slack, AGENT, "a process without a Slack notifier")
    assert len(store.outbox()) == 2  # ...queues nothing


def test_backoff_doubles_up_to_its_cap_and_the_last_failure_is_audited(
    store, clock, notifiers, slack
) -> None:
    number = ticket(store)
    Casework(store, notifiers).reply(number, AGENT, "Slack never comes back")
    sender = outbox(store, clock, notifiers, attempts=4)
    waits = []
    for _ in range(3):
        assert sender.deliver_due().retried == 1
        [row] = store.outbox()
        waits.append((row.next_attempt_at - clock.now).total_seconds())
        clock.set(row.next_attempt_at)
    assert waits == [10, 20, 25]  # 10 s, doubled, capped at 25 s
    assert sender.deliver_due().failed == 1
    [row] = store.outbox()
    assert (row.status, row.attempts) == ("failed", 4)
    clock.advance(hours=1)
    assert not sender.deliver_due() and slack.tries == 4  # failed rows are not tried again
    [alert] = [e for e in store.audit_events() if e.action == "outbox.failed"]
    assert alert.target == number and alert.detail["attempts"] == 4
    assert "unreachable" in alert.detail["error"]
    assert store.outbox_counts()["failed"] == 1 and store.outbox("failed")[0].id == row.id


def test_while_slack_is_down_replies_wait_in_order_spending_one_attempt_per_pass(
    store, clock, notifiers, slack
) -> None:
    one, other = ticket(store, key="k1"), ticket(store, key="k2")
    for number, text in ((one, "first"), (one, "second"), (other, "elsewhere"), (one, "third")):
        store.add_message(number, _reply(text), deliver_to=("slack",))
    sender = outbox(store, clock, notifiers)
    assert sender.deliver_due().retried == 1 and slack.tries == 1  # not one timeout per reply
    assert sorted(item.attempts for item in store.outbox()) == [0, 0, 0, 1]
    slack.up = True
    assert sender.deliver_due().sent == 1  # the other ticket's; "second" waits behind "first"
    clock.advance(seconds=10)
    assert sender.deliver_due().sent == 3
    assert [text for _, _, text, _ in slack.sent] == ["elsewhere", "first", "second", "third"]


def test_two_workers_never_claim_one_row_twice(db_url, clock) -> None:
    first = SqlStore(db_url, DEFAULT_SLA_HOURS, clock=clock)
    upgrade(first.engine)
    second = SqlStore(db_url, DEFAULT_SLA_HOURS, clock=clock)  # another process's engine
    numbers = [ticket(first, key=f"k{n}") for n in range(8)]
    for i in range(40):
        first.add_message(numbers[i % 8], _reply(f"reply {i}"), deliver_to=("slack",))
    claimed: list[int] = []
    barrier = threading.Barrier(6)

    def work(store: SqlStore, n: int) -> None:
        barrier.wait()
        while items := store.claim_outbox(f"worker-{n}", ("slack",), limit=3):
            for item in items:
                claimed.append(item.id)
                assert store.outbox_sent(item.id, f"worker-{n}")

    try:
        workers = enumerate([first, second] * 3)
        threads = [threading.Thread(target=work, args=(s, n)) for n, s in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        items = {item.id: item.ticket_number for item in first.outbox()}
        assert sorted(claimed) == sorted(items) and len(claimed) == len(set(claimed)) == 40
        assert first.outbox_counts()["sent"] == 40
        for number in numbers:  # each ticket's replies went out in the order they were said
            mine = [i for i in claimed if items[i] == number]
            assert mine == sorted(mine)
    finally:
        first.close()
        second.close()


def test_a_lease_that_ran_out_passes_the_row_on_and_the_late_worker_cannot_mark_it(
    store, clock
) -> None:
    number = ticket(store)
    store.add_message(number, _reply("only once"), deliver_to=("slack",))
    [held] = store.claim_outbox("crashed", ("slack",), lease_s=60)
    assert store.claim_outbox("other", ("slack",)) == []  # held while the lease runs
    clock.advance(seconds=61)
    [again] = store.claim_outbox("other", ("slack",))
    assert again.id == held.id and again.attempts == 2
    assert not store.outbox_sent(held.id, "crashed")  # the first claim no longer holds it
    assert not store.outbox_retry(held.id, "crashed", "late", None)
    assert store.outbox_sent(again.id, "other")
    assert store.outbox("sent")[0].id == held.id


def test_retention_forgets_delivered_rows_old_events_and_old_audit_detail(store, clock) -> None:
    number = ticket(store)
    store.add_message(number, _reply("delivered"), deliver_to=("slack",))
    [item] = store.claim_outbox("w", ("slack",))
    store.outbox_sent(item.id, "w")
    assert store.claim_event("slack:event:Ev01")
    clock.advance(days=40)
    store.add_message(number, _reply("still pending"), deliver_to=("slack",))
    before = clock.now - timedelta(days=30)
    assert store.forget_outbox(before) == 1
    assert [i.status for i in store.outbox()] == ["pending"]
    old = [e for e in store.audit_events() if e.created_at < before]
    assert old and all(e.detail for e in old if e.action == "ticket.reply")
    assert store.forget_audit_detail(before) == len([e for e in old if e.detail])
    assert all(e.detail == {} for e in store.audit_events() if e.created_at < before)
    assert any(e.detail for e in store.audit_events() if e.created_at >= before)
    assert store.forget_audit_detail(before) == 0  # already emptied: nothing rewritten
    assert store.forget_events(before) == 1 and store.claim_event("slack:event:Ev01")


def _reply(text: str) -> TicketMessage:
    return TicketMessage("reply", "agent", text, created_at=T0)
