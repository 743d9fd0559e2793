"""The TicketStore contract, on SQLite and on a real PostgreSQL server: the same behaviour."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.settings import DEFAULT_SLA_HOURS
from bot.store import SqlStore, upgrade
from bot.tickets.records import (
    Account,
    ArticleDraft,
    AuditEvent,
    Feedback,
    InvalidChange,
    NotFound,
    TicketDraft,
    TicketMessage,
    TicketQuery,
    TurnRecord,
)
from tests.fakes import FakeClock

pytestmark = pytest.mark.integration

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


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


def draft(
    priority: str = "P3", subject: str = "VPN 접속 불가", group: str = "Network"
) -> TicketDraft:
    return TicketDraft(subject, "재택 중 VPN이 연결되지 않습니다", "network", priority, group)  # type: ignore[arg-type]


def file(store: SqlStore, key: str, **kwargs) -> str:
    requester = kwargs.pop("requester", "kim")
    return store.file_ticket(None, draft(**kwargs), requester, "web", key).number


# -- filing


def test_the_same_key_files_one_ticket_and_returns_the_first(store: SqlStore) -> None:
    first = store.file_ticket(None, draft(subject="첫 요청"), "kim", "web", "conv-1:escalate")
    again = store.file_ticket(None, draft(subject="두 번째"), "kim", "web", "conv-1:escalate")
    assert again.number == first.number == "SD-000001"
    assert again.subject == "첫 요청"
    assert len(store.tickets(TicketQuery())) == 1


def test_racing_requests_with_one_key_file_one_ticket(store: SqlStore) -> None:
    barrier = threading.Barrier(6)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def press_the_button() -> None:
        try:
            barrier.wait()
            numbers.append(store.file_ticket(None, draft(), "kim", "web", "double-click").number)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=press_the_button) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(numbers) == 6 and len(set(numbers)) == 1
    assert len(store.tickets(TicketQuery())) == 1


def test_two_tabs_filing_one_conversation_under_different_keys_file_one_ticket(
    store: SqlStore,
) -> None:
    conv = store.start_conversation("web", "kim")
    barrier = threading.Barrier(4)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def press_the_button(tab: int) -> None:
        try:
            barrier.wait()
            numbers.append(store.file_ticket(conv.id, draft(), "kim", "web", f"tab-{tab}").number)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=press_the_button, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(numbers) == 4 and len(set(numbers)) == 1
    assert [t.number for t in store.tickets(TicketQuery())] == numbers[:1]
    assert store.conversation(conv.id).ticket_number == numbers[0]


def test_numbers_count_up_and_unknown_numbers_are_not_found(store: SqlStore) -> None:
    assert [file(store, f"k{i}", subject=f"s{i}") for i in range(3)] == [
        "SD-000001",
        "SD-000002",
        "SD-000003",
    ]
    assert store.ticket("SD-000002").subject == "s1"
    for missing in ("SD-000099", "SD-", "garbage", ""):
        with pytest.raises(NotFound):
            store.ticket(missing)


def test_bad_drafts_are_refused_and_nothing_is_filed(store: SqlStore) -> None:
    bad = [
        TicketDraft(" ", "summary", "network", "P3"),
        TicketDraft("subject", "", "network", "P3"),
        TicketDraft("subject", "summary", "network", "P9"),  # type: ignore[arg-type]
    ]
    for d in bad:
        with pytest.raises(InvalidChange):
            store.file_ticket(None, d, "kim", "web", f"key-{d.subject}-{d.priority}")
    with pytest.raises(InvalidChange):
        store.file_ticket(None, draft(), "kim", "web", "")
    with pytest.raises(NotFound):
        store.file_ticket(12345, draft(), "kim", "web", "no-such-conversation")
    assert store.tickets(TicketQuery()) == []


def test_due_times_follow_the_priority_from_filing(store: SqlStore, clock: FakeClock) -> None:
    for priority, (response_h, resolution_h) in DEFAULT_SLA_HOURS.items():
        ticket = store.file_ticket(None, draft(priority), "kim", "web", f"sla-{priority}")
        assert ticket.created_at == T0
        assert ticket.response_due == T0 + timedelta(hours=response_h)
        assert ticket.resolution_due == T0 + timedelta(hours=resolution_h)


def test_breaches_are_judged_when_the_queue_is_read(store: SqlStore, clock: FakeClock) -> None:
    answered = file(store, "a", priority="P1")  # response due in 15 minutes, resolution in 4 h
    silent = file(store, "b", priority="P1")
    relaxed = file(store, "c", priority="P4")
    reply = TicketMessage("reply", "agent", "확인 중입니다", created_at=T0 + timedelta(minutes=5))
    store.add_message(answered, reply)

    def breached() -> set[str]:
        return {t.number for t in store.tickets(TicketQuery(breached=True))}

    clock.advance(minutes=10)
    assert breached() == set()
    clock.advance(minutes=10)  # 20 minutes in: the silent P1 missed its first response
    assert breached() == {silent}
    assert {t.number for t in store.tickets(TicketQuery(breached=False))} == {answered, relaxed}
    assert store.ticket(silent).response_breached(clock.now)
    assert not store.ticket(answered).response_breached(clock.now)

    clock.advance(minutes=40)
    store.resolve(answered, "agent", "인증서 재발급")
    clock.advance(hours=4)  # past every P1 resolution target; only the resolved one made it
    assert breached() == {silent}
    assert not store.ticket(answered).breached(clock.now)


def test_priority_change_recomputes_due_times_from_creation(
    store: SqlStore, clock: FakeClock
) -> None:
    number = file(store, "p", priority="P4")
    clock.advance(hours=2)
    ticket = store.update_ticket(number, "agent", priority="P1")
    assert ticket.priority == "P1"
    assert ticket.response_due == T0 + timedelta(minutes=15)
    assert ticket.resolution_due == T0 + timedelta(hours=4)
    assert ticket.updated_at == clock.now
    event = store.audit_events()[0]
    assert (event.actor, event.action, event.target) == ("agent", "ticket.priority", number)
    assert event.detail == {"before": "P4", "after": "P1"}


def test_group_and_category_changes_are_audited(store: SqlStore) -> None:
    number = file(store, "g")
    ticket = store.update_ticket(number, "lee", group="Identity & Access", category="account")
    assert (ticket.group, ticket.category) == ("Identity & Access", "account")
    actions = {e.action: e.detail for e in store.audit_events()}
    assert actions["ticket.group"] == {"before": "Network", "after": "Identity & Access"}
    assert actions["ticket.category"] == {"before": "network", "after": "account"}
    store.update_ticket(number, "lee", group="Identity & Access")  # no change: not audited
    assert len(store.audit_events()) == 2


def test_status_changes_leave_a_message_and_an_audit_event(
    store: SqlStore, clock: FakeClock
) -> None:
    number = file(store, "s")
    clock.advance(hours=1)
    ticket = store.update_ticket(number, "agent", status="pending")
    assert ticket.status == "pending"
    assert [(m.kind, m.author) for m in ticket.messages] == [("status", "agent")]
    assert "pending" in ticket.messages[0].text
    assert store.audit_events()[0].detail == {"before": "new", "after": "pending"}

    clock.advance(hours=1)
    closed = store.update_ticket(number, "agent", status="closed")
    assert closed.closed_at == clock.now
    with pytest.raises(InvalidChange):
        store.update_ticket(number, "agent", status="open")  # a closed ticket is reopened
    assert store.ticket(number).status == "closed"


def test_refused_changes_change_nothing(store: SqlStore) -> None:
    number = file(store, "r", priority="P3")
    for change in ({"status": "resolved"}, {"status": "done"}, {"priority": "P0"}, {"group": " "}):
        with pytest.raises(InvalidChange):
            store.update_ticket(number, "agent", **change)
    with pytest.raises(InvalidChange):  # one bad field spoils the whole change
        store.update_ticket(number, "agent", priority="P1", status="resolved")
    with pytest.raises(InvalidChange):
        store.resolve(number, "agent", "   ")
    with pytest.raises(InvalidChange):
        store.reopen(number, "agent")
    with pytest.raises(NotFound):
        store.update_ticket("SD-000404", "agent", status="open")
    ticket = store.ticket(number)
    assert (ticket.status, ticket.priority, ticket.messages) == ("new", "P3", [])
    assert store.audit_events() == []


def test_first_reply_sets_first_response_and_opens_the_ticket(store: SqlStore) -> None:
    number = file(store, "m")
    store.add_message(number, TicketMessage("note", "agent", "내부 메모"))
    store.add_message(number, TicketMessage("employee", "kim", "아직 안 됩니다"))
    assert store.ticket(number).first_response_at is None
    assert store.ticket(number).status == "new"

    first = T0 + timedelta(minutes=30)
    store.add_message(number, TicketMessage("reply", "agent", "재부팅 해보세요", created_at=first))
    later = T0 + timedelta(hours=2)
    store.add_message(number, TicketMessage("reply", "agent", "해결되었나요?", created_at=later))
    ticket = store.ticket(number)
    assert ticket.first_response_at == first
    assert ticket.status == "open"
    assert [m.kind for m in ticket.messages] == ["note", "employee", "reply", "status", "reply"]
    assert ticket.messages[2].text == "재부팅 해보세요"
    with pytest.raises(InvalidChange):
        store.add_message(number, TicketMessage("reply", "agent", "  "))
    with pytest.raises(InvalidChange):
        store.add_message(number, TicketMessage("shout", "agent", "hi"))  # type: ignore[arg-type]


def test_resolve_and_reopen_round_trip(store: SqlStore, clock: FakeClock) -> None:
    number = file(store, "rr")
    clock.advance(hours=3)
    resolved = store.resolve(number, "agent", "VPN 프로필을 다시 받으세요")
    assert (resolved.status, resolved.resolved_at) == ("resolved", clock.now)
    assert resolved.resolution == "VPN 프로필을 다시 받으세요"
    with pytest.raises(InvalidChange):
        store.resolve(number, "agent", "again")

    clock.advance(hours=1)
    reopened = store.reopen(number, "kim", "still broken")
    assert (reopened.status, reopened.reopened, reopened.resolved_at) == ("open", 1, None)
    assert "still broken" in reopened.messages[-1].text

    store.resolve(number, "agent", "재설치")
    closed = store.update_ticket(number, "agent", status="closed")
    assert closed.closed_at is not None
    again = store.reopen(number, "kim")
    assert (again.reopened, again.closed_at, again.resolved_at) == (2, None, None)
    actions = [e.action for e in reversed(store.audit_events())]
    assert actions == [
        "ticket.resolve",
        "ticket.reopen",
        "ticket.resolve",
        "ticket.status",
        "ticket.reopen",
    ]


def test_queue_filters_and_order(store: SqlStore, clock: FakeClock) -> None:
    a = file(store, "qa", priority="P1", group="Network", requester="kim")
    clock.advance(minutes=1)
    b = file(store, "qb", priority="P3", group="Network", requester="lee")
    clock.advance(minutes=1)
    c = file(store, "qc", priority="P3", group="Service Desk", requester="kim")
    store.update_ticket(b, "agent", status="pending")
    store.resolve(c, "agent", "done")

    def numbers(**query) -> list[str]:
        return [t.number for t in store.tickets(TicketQuery(**query))]

    assert numbers() == [c, b, a]  # newest first
    assert numbers(statuses=("new", "pending")) == [b, a]
    assert numbers(priority="P3") == [c, b]
    assert numbers(group="Network") == [b, a]
    assert numbers(requester="kim") == [c, a]
    assert numbers(requester="kim", statuses=("resolved",)) == [c]
    assert numbers(limit=1) == [c]
    assert store.tickets(TicketQuery())[0].messages == []  # the queue carries no messages


# -- conversations


def test_conversation_turns_keep_korean_text_and_answer_json(store: SqlStore) -> None:
    conv = store.start_conversation("web", "kim")
    answer = {
        "text": "OTP 앱을 다시 등록하세요 [1]",
        "citations": [{"n": 1, "article_id": "KB-OTP", "title": "OTP 재등록"}],
        "confidence": 0.87,
        "latencies_ms": {"total": 812.5},
    }
    store.add_turn(conv.id, TurnRecord("user", "휴대폰을 바꿨어요. OTP는 어떻게 하나요?"))
    store.add_turn(conv.id, TurnRecord("assistant", answer["text"], answer=answer))
    loaded = store.conversation(conv.id)
    assert [(t.role, t.text) for t in loaded.turns] == [
        ("user", "휴대폰을 바꿨어요. OTP는 어떻게 하나요?"),
        ("assistant", "OTP 앱을 다시 등록하세요 [1]"),
    ]
    assert loaded.turns[0].answer is None
    assert loaded.turns[1].answer == answer
    with pytest.raises(NotFound):
        store.conversation(9999)
    with pytest.raises(NotFound):
        store.add_turn(9999, TurnRecord("user", "hello"))


def test_filing_from_a_conversation_marks_it(store: SqlStore) -> None:
    conv = store.start_conversation("slack", "U123", thread_ref="C1:1700000000.1")
    ticket = store.file_ticket(
        conv.id,
        draft(),
        "U123",
        "slack",
        f"conv-{conv.id}",
        transcript="U123: VPN이 안 돼요",
        sources=[{"article_id": "KB-VPN", "title": "VPN"}],
        thread_ref=conv.thread_ref,
    )
    assert store.conversation(conv.id).ticket_number == ticket.number
    loaded = store.ticket(ticket.number)
    assert (loaded.conversation_id, loaded.channel, loaded.thread_ref) == (
        conv.id,
        "slack",
        "C1:1700000000.1",
    )
    assert loaded.sources == [{"article_id": "KB-VPN", "title": "VPN"}]
    assert loaded.transcript == "U123: VPN이 안 돼요"


def test_threads_and_listing_conversations(store: SqlStore, clock: FakeClock) -> None:
    first = store.start_conversation("slack", "U1", thread_ref="C1:111.1")
    store.add_turn(first.id, TurnRecord("user", "프린터가 안 돼요"))
    clock.advance(hours=1)
    second = store.start_conversation("web", "kim")
    clock.advance(hours=1)
    third = store.start_conversation("web", "kim")

    found = store.conversation_by_thread("slack", "C1:111.1")
    assert found is not None and found.id == first.id
    assert [t.text for t in found.turns] == ["프린터가 안 돼요"]
    assert store.conversation_by_thread("slack", "C1:999.9") is None
    assert store.conversation_by_thread("web", "C1:111.1") is None

    assert [c.id for c in store.conversations()] == [third.id, second.id, first.id]
    assert [c.id for c in store.conversations(user="kim")] == [third.id, second.id]
    assert [c.id for c in store.conversations(since=T0 + timedelta(hours=1))] == [
        third.id,
        second.id,
    ]
    assert [c.id for c in store.conversations(limit=1)] == [third.id]
    assert store.conversations()[-1].turns[0].text == "프린터가 안 돼요"


# -- feedback, audit, drafts, accounts


def test_feedback_is_kept_and_checked(store: SqlStore) -> None:
    conv = store.start_conversation("web", "kim")
    turn = store.add_turn(conv.id, TurnRecord("assistant", "답변"))
    early = Feedback(conv.id, "kim", "helpful", turn.id, created_at=T0)
    late = Feedback(conv.id, "kim", "resolved", channel="web", created_at=T0 + timedelta(days=2))
    store.add_feedback(early)
    store.add_feedback(late)
    assert [(f.kind, f.turn_id) for f in store.feedback()] == [
        ("helpful", turn.id),
        ("resolved", None),
    ]
    assert [f.kind for f in store.feedback(since=T0 + timedelta(days=1))] == ["resolved"]
    with pytest.raises(InvalidChange):
        store.add_feedback(Feedback(conv.id, "kim", "meh"))  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        store.add_feedback(Feedback(9999, "kim", "helpful"))


def test_a_later_verdict_replaces_the_same_persons_earlier_one(store: SqlStore) -> None:
    conv = store.start_conversation("web", "kim")
    first = store.add_turn(conv.id, TurnRecord("assistant", "첫 답변"))
    second = store.add_turn(conv.id, TurnRecord("assistant", "두 번째 답변"))
    for _ in range(3):
        store.replace_feedback(Feedback(conv.id, "kim", "helpful", first.id))
    store.replace_feedback(Feedback(conv.id, "kim", "not_helpful", first.id))
    store.replace_feedback(Feedback(conv.id, "lee", "helpful", first.id))
    store.replace_feedback(Feedback(conv.id, "kim", "helpful", second.id))
    store.replace_feedback(Feedback(conv.id, "kim", "resolved"))
    store.replace_feedback(Feedback(conv.id, "kim", "resolved"))
    kept = sorted((f.user, f.turn_id or 0, f.kind) for f in store.feedback())
    assert kept == [
        ("kim", 0, "resolved"),
        ("kim", first.id, "not_helpful"),
        ("kim", second.id, "helpful"),
        ("lee", first.id, "helpful"),
    ]
    with pytest.raises(InvalidChange):
        store.replace_feedback(Feedback(conv.id, "kim", "meh"))  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        store.replace_feedback(Feedback(9999, "kim", "helpful"))
    assert len(store.feedback()) == 4


def test_audit_events_newest_first(store: SqlStore) -> None:
    for n in range(3):
        store.audit(
            AuditEvent("admin", "article.delete", f"KB-{n}", {"why": "중복"}, created_at=T0)
        )
    events = store.audit_events(limit=2)
    assert [e.target for e in events] == ["KB-2", "KB-1"]
    assert events[0].detail == {"why": "중복"}


def test_article_drafts_wait_for_an_admin(store: SqlStore) -> None:
    pending = store.add_draft(
        ArticleDraft("VPN 인증서 재발급", "1. 포털 접속...", "agent", "SD-000001")
    )
    assert [d.title for d in store.drafts()] == ["VPN 인증서 재발급"]
    approved = store.set_draft_status(pending.id, "approved", "admin", article_id="KB-VPN-CERT")
    assert (approved.status, approved.article_id) == ("approved", "KB-VPN-CERT")
    assert store.drafts() == []
    assert [d.id for d in store.drafts("approved")] == [pending.id]
    assert [d.id for d in store.drafts(None)] == [pending.id]
    event = store.audit_events()[0]
    assert (event.action, event.actor, event.target) == ("draft.approve", "admin", str(pending.id))
    with pytest.raises(NotFound):
        store.set_draft_status(9999, "rejected", "admin")
    with pytest.raises(InvalidChange):
        store.set_draft_status(pending.id, "published", "admin")


def test_accounts(store: SqlStore) -> None:
    agent = Account("lee", "agent", "이 상담", "lee@example.com", ["Service Desk", "Network"])
    saved = store.add_account(agent, "hash-1")
    assert saved.id > 0 and saved.groups == ["Service Desk", "Network"]
    store.add_account(Account("admin", "admin"), None)
    with pytest.raises(InvalidChange):
        store.add_account(Account("lee", "employee"), "hash-2")
    with pytest.raises(InvalidChange):
        store.add_account(Account("boss", "king"), None)  # type: ignore[arg-type]
    assert [a.username for a in store.accounts()] == ["admin", "lee"]
    assert store.account("lee").display_name == "이 상담"
    assert store.account("nobody") is None
    assert store.password_hash("lee") == "hash-1"
    assert store.password_hash("admin") is None
    store.set_password_hash("lee", "hash-3")
    assert store.password_hash("lee") == "hash-3"
    with pytest.raises(NotFound):
        store.set_password_hash("nobody", "x")
    store.update_account("lee", groups=["Security"], active=False)
    assert (store.account("lee").groups, store.account("lee").active) == (["Security"], False)


def test_times_come_back_as_aware_utc(db_url: str) -> None:
    seoul = timezone(timedelta(hours=9))
    clock = FakeClock(datetime(2025, 3, 3, 18, 0, tzinfo=seoul))
    store = SqlStore(db_url, DEFAULT_SLA_HOURS, clock=clock)
    upgrade(store.engine)
    try:
        ticket = store.file_ticket(None, draft(), "kim", "web", "tz")
        conv = store.start_conversation("web", "kim")
        naive = datetime(2025, 3, 3, 9, 30)  # taken as UTC
        turn = store.add_turn(conv.id, TurnRecord("user", "hi", created_at=naive))
        loaded = store.ticket(ticket.number)
        for value in (
            loaded.created_at,
            loaded.response_due,
            store.conversation(conv.id).turns[0].created_at,
        ):
            assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
        assert loaded.created_at == datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
        assert store.conversation(conv.id).turns[0].created_at == naive.replace(tzinfo=UTC)
        assert turn.id > 0
    finally:
        store.close()


def test_sql_store_has_every_method_of_the_protocol() -> None:
    import inspect

    from bot.tickets.records import TicketStore

    methods = [n for n, f in vars(TicketStore).items() if callable(f) and not n.startswith("_")]
    assert len(methods) >= 20
    for name in methods:
        wanted = inspect.signature(getattr(TicketStore, name)).parameters
        have = inspect.signature(getattr(SqlStore, name)).parameters
        assert list(wanted) == list(have), name


def test_account_session_versions_and_deletion(store: SqlStore) -> None:
    assert store.add_account(Account("lee", "agent"), "hash-1").session_version == 0
    assert store.revoke_sessions("lee").session_version == 1
    assert store.revoke_sessions("lee").session_version == 2
    assert store.account("lee").session_version == 2
    with pytest.raises(NotFound):
        store.revoke_sessions("nobody")
    store.delete_account("lee")
    assert store.account("lee") is None
    with pytest.raises(NotFound):
        store.delete_account("lee")
