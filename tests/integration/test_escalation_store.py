"""Filing an escalated conversation into the real store (SQLite in a temporary folder)."""

from __future__ import annotations

import pytest

from bot.desk.answer import Answer, Citation
from bot.settings import BotSettings
from bot.store import SqlStore, upgrade
from bot.tickets.escalation import Escalation
from bot.tickets.records import TicketQuery, TurnRecord
from tests.fakes import FixedTriage

pytestmark = pytest.mark.integration

GUIDE = Citation(1, "KB-VPN-001", "VPN 연결 문제 해결", "증상별 조치", "/articles/KB-VPN-001")


@pytest.fixture()
def store(tmp_path) -> SqlStore:
    store = SqlStore(f"sqlite:///{tmp_path}/desk.db", BotSettings().sla_hours)
    upgrade(store.engine)
    return store


def _conversation(store: SqlStore, channel="web", thread_ref=""):
    conversation = store.start_conversation(channel, "kim", thread_ref)
    store.add_turn(conversation.id, TurnRecord("user", "VPN이 연결되지 않아요"))
    answer = Answer("클라이언트를 재시작하세요 [1]", "answered", "ko", 0.86, [GUIDE], backend="llm")
    store.add_turn(conversation.id, TurnRecord("assistant", answer.text, answer=answer.to_dict()))
    return store.conversation(conversation.id)


def test_filing_twice_with_the_same_key_files_one_ticket(store) -> None:
    triage = FixedTriage("network", "P2", "Network Operations")
    escalation = Escalation(store, triage, BotSettings())
    conversation = _conversation(store)
    draft = escalation.draft(conversation)
    draft.priority = "P4"  # the employee's edit (lowering is theirs to choose)

    first = escalation.file(conversation, draft, "kim", "conv-1-escalate")
    again = escalation.file(conversation, draft, "kim", "conv-1-escalate")

    assert again.number == first.number
    assert [t.number for t in store.tickets(TicketQuery())] == [first.number]
    stored = store.ticket(first.number)
    assert (stored.subject, stored.priority, stored.group) == (
        "VPN이 연결되지 않아요",
        "P4",
        "Network Operations",
    )
    assert stored.conversation_id == conversation.id and stored.requester == "kim"
    assert "직원: VPN이 연결되지 않아요" in stored.transcript
    assert "출처 [1] VPN 연결 문제 해결" in stored.transcript
    assert [s["article_id"] for s in stored.sources] == ["KB-VPN-001"]
    assert store.conversation(conversation.id).ticket_number == first.number


def test_a_slack_thread_keeps_its_channel_and_thread(store) -> None:
    escalation = Escalation(store, FixedTriage(), BotSettings())
    conversation = _conversation(store, "slack", "C123:1700000000.000100")
    ticket = escalation.file(conversation, escalation.draft(conversation), "U42", "slack-key")
    assert (ticket.channel, ticket.thread_ref) == ("slack", "C123:1700000000.000100")


def test_a_different_key_for_the_same_conversation_returns_its_ticket(store) -> None:
    # Two tabs each hold their own key; the conversation still gets one ticket (issue 13).
    escalation = Escalation(store, FixedTriage(), BotSettings())
    conversation = _conversation(store)
    draft = escalation.draft(conversation)
    one = escalation.file(conversation, draft, "kim", "key-a")
    two = escalation.file(conversation, draft, "kim", "key-b")
    assert one.number == two.number
    assert [t.number for t in store.tickets(TicketQuery())] == [one.number]
    other = _conversation(store)
    assert escalation.file(other, escalation.draft(other), "kim", "key-c").number != one.number


@pytest.mark.parametrize(
    ("suggested", "asked", "filed"),
    [("P3", "P1", "P2"), ("P3", "P2", "P2"), ("P2", "P4", "P4"), ("P1", "P1", "P1")],
)
def test_employees_cannot_raise_priority_above_triage_or_p2(store, suggested, asked, filed) -> None:
    triage = FixedTriage("network", suggested, "Network Operations")
    escalation = Escalation(store, triage, BotSettings())
    conversation = _conversation(store)
    draft = escalation.draft(conversation)
    draft.priority = asked
    assert escalation.file(conversation, draft, "kim", f"key-{asked}").priority == filed


def test_employees_cannot_route_their_ticket_to_another_group(store) -> None:
    settings = BotSettings()
    escalation = Escalation(store, FixedTriage(), settings)
    conversation = _conversation(store)
    draft = escalation.draft(conversation)
    draft.group = "Security Operations"  # typed in, not what the category routes to
    ticket = escalation.file(conversation, draft, "kim", "key-group")
    assert ticket.group == settings.assignment_groups["network"] == "Network Operations"
    assert ticket.category == "network"
