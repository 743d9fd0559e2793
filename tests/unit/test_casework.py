"""Casework: an employee's follow-up is one rule, whether it comes from the web or Slack."""

from __future__ import annotations

import pytest

from bot.settings import DEFAULT_SLA_HOURS
from bot.store import SqlStore, upgrade
from bot.tickets.casework import Casework
from bot.tickets.records import Account, Conversation, InvalidChange, NotFound, TicketDraft

pytestmark = pytest.mark.unit

DRAFT = TicketDraft("VPN drops", "VPN drops every hour", "network", "P3", "Network", "en")


@pytest.fixture()
def store(tmp_path):
    sql = SqlStore(f"sqlite:///{tmp_path}/desk.db", DEFAULT_SLA_HOURS)
    upgrade(sql.engine)
    yield sql
    sql.close()


def _filed(store: SqlStore, requester: str, channel: str = "slack") -> Conversation:
    """A conversation of ``channel`` with a ticket filed from it for ``requester``."""
    conversation = store.start_conversation(channel, "U0EMP", "D0EMP:1.0")  # type: ignore[arg-type]
    store.file_ticket(conversation.id, DRAFT, requester, channel, f"key-{conversation.id}")  # type: ignore[arg-type]
    return store.conversation(conversation.id)


def test_a_follow_up_goes_to_the_open_ticket_as_the_requesters_message(store) -> None:
    conversation = _filed(store, "kim@corp.example")
    message = Casework(store).follow_up(conversation, "It started after the update")
    assert message is not None
    ticket = store.ticket(conversation.ticket_number)
    employee = [(m.kind, m.author, m.text) for m in ticket.messages if m.kind == "employee"]
    assert employee == [("employee", "kim@corp.example", "It started after the update")]


def test_slack_and_web_follow_ups_are_recorded_alike(store) -> None:
    casework = Casework(store)
    slack = _filed(store, "kim")
    web = _filed(store, "kim", channel="web")
    casework.follow_up(slack, "  still broken  ")
    casework.employee_message(web.ticket_number, Account("kim", "employee"), "  still broken  ")

    def recorded(number: str) -> list[tuple[str, str, str]]:
        return [(m.kind, m.author, m.text) for m in store.ticket(number).messages]

    assert recorded(slack.ticket_number) == recorded(web.ticket_number)
    assert ("employee", "kim", "still broken") in recorded(web.ticket_number)


def test_no_ticket_or_a_resolved_one_takes_no_follow_up(store) -> None:
    casework = Casework(store)
    plain = store.start_conversation("slack", "U0EMP", "D0EMP:2.0")
    assert casework.follow_up(plain, "hello again") is None
    conversation = _filed(store, "kim")
    casework.resolve(conversation.ticket_number, Account("agent", "agent"), "Reset the token")
    assert casework.follow_up(conversation, "thanks") is None
    messages = store.ticket(conversation.ticket_number).messages
    assert not [m for m in messages if m.kind == "employee"]


def test_an_empty_follow_up_is_refused(store) -> None:
    conversation = _filed(store, "kim")
    with pytest.raises(InvalidChange):
        Casework(store).follow_up(conversation, "   ")


def test_someone_elses_ticket_takes_no_web_message(store) -> None:
    conversation = _filed(store, "kim", channel="web")
    with pytest.raises(NotFound):
        Casework(store).employee_message(
            conversation.ticket_number, Account("lee", "employee"), "let me in"
        )
