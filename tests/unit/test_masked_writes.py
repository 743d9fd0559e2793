"""Personal data is masked wherever the core writes an employee's words (issue 13): ticket
subjects and summaries as filed, employee ticket messages, Slack follow-ups, reopen reasons."""

from __future__ import annotations

import pytest

from bot.settings import BotSettings
from bot.store import SqlStore, upgrade
from bot.tickets.casework import Casework
from bot.tickets.escalation import Escalation
from bot.tickets.records import Account, TicketDraft
from tests.fakes import FixedTriage

pytestmark = pytest.mark.unit

PHONE = "010-1234-5678"
PASSWORD = "Summer2024!"
OTP = "482913"


@pytest.fixture()
def store(tmp_path):
    sql = SqlStore(f"sqlite:///{tmp_path}/desk.db", BotSettings().sla_hours)
    upgrade(sql.engine)
    yield sql
    sql.close()


def _file(store: SqlStore, subject: str, summary: str, channel: str = "web"):
    conversation = store.start_conversation(channel, "kim", "D0EMP:1.0")  # type: ignore[arg-type]
    draft = TicketDraft(subject, summary, "network", "P3", "", "ko")
    escalation = Escalation(store, FixedTriage(), BotSettings())
    ticket = escalation.file(conversation, draft, "kim", f"key-{conversation.id}")
    return store.ticket(ticket.number), store.conversation(conversation.id)


def test_an_edited_subject_and_summary_are_stored_masked(store) -> None:
    ticket, _ = _file(
        store,
        f"VPN 안 됨 {PHONE}",
        f"비밀번호는 {PASSWORD}입니다. 인증번호 {OTP} 도 안 돼요. kim@corp.example 로 연락",
    )
    stored = ticket.subject + ticket.summary
    for secret in (PHONE, PASSWORD, OTP, "kim@corp.example"):
        assert secret not in stored
    assert ticket.subject == "VPN 안 됨 [PHONE]"
    assert "[PASSWORD]" in ticket.summary and "[OTP]" in ticket.summary


def test_a_subject_at_the_limit_stays_within_it_once_masked(store) -> None:
    subject = "x" * 194 + "a@b.co"  # 200 characters; the label is one longer than the address
    ticket, _ = _file(store, subject, "drops")
    assert len(ticket.subject) <= 200 and "a@b.co" not in ticket.subject


def test_employee_messages_and_slack_follow_ups_are_stored_masked(store) -> None:
    casework = Casework(store)
    web_ticket, _ = _file(store, "VPN", "drops")
    _, slack_conversation = _file(store, "VPN", "drops", channel="slack")
    casework.employee_message(
        web_ticket.number, Account("kim", "employee"), f"제 번호는 {PHONE} 입니다"
    )
    casework.follow_up(slack_conversation, f"password is {PASSWORD}")
    texts = [
        m.text
        for number in (web_ticket.number, slack_conversation.ticket_number)
        for m in store.ticket(number).messages
        if m.kind == "employee"
    ]
    assert texts == ["제 번호는 [PHONE] 입니다", "password is [PASSWORD]"]


def test_a_reopen_reason_is_stored_masked(store) -> None:
    casework = Casework(store)
    ticket, _ = _file(store, "VPN", "drops")
    casework.resolve(ticket.number, Account("agent", "agent"), "Reset the token")
    casework.reopen(ticket.number, Account("kim", "employee"), f"still broken, call {PHONE}")
    status = [m.text for m in store.ticket(ticket.number).messages if m.kind == "status"]
    assert status[-1].endswith("still broken, call [PHONE]")
    assert PHONE not in repr(store.audit_events())
