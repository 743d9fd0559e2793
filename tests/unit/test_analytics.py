"""Dashboard figures over a synthetic history whose correct numbers are worked out by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.insights.analytics import build_dashboard, iso_week
from bot.insights.outcomes import normalise_question, topic_of
from bot.tickets.records import Conversation, Feedback, Ticket, TurnRecord

pytestmark = pytest.mark.unit

NOW = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)  # a Thursday of ISO week 12
MINUTE = timedelta(minutes=1)


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2025, 3, day, hour, 0, tzinfo=UTC)


def answered(cited: list[str], retrieved: list[str] | None = None) -> dict:
    return {
        "decision": "answered",
        "citations": [{"n": i + 1, "article_id": a} for i, a in enumerate(cited)],
        "retrieved": retrieved if retrieved is not None else list(cited),
    }


def declined(query: str = "") -> dict:
    return {"decision": "declined", "citations": [], "retrieved": [], "query": query}


def conv(cid, channel, user, start, *exchanges, ticket=None) -> Conversation:
    """A conversation whose exchanges (question, answer dict) are one minute apart."""
    turns = []
    moment = start
    for question, answer in exchanges:
        turns.append(TurnRecord("user", question, created_at=moment))
        moment += MINUTE
        turns.append(TurnRecord("assistant", "...", answer=answer, created_at=moment))
        moment += MINUTE
    return Conversation(channel, user, id=cid, turns=turns, created_at=start, ticket_number=ticket)


def ticket(num, conv_id, channel, priority, status, created, **times) -> Ticket:
    hours = {"P1": (0.25, 4), "P2": (1, 8), "P3": (4, 24), "P4": (8, 72)}[priority]
    return Ticket(
        number=num,
        status=status,
        requester="x",
        channel=channel,
        conversation_id=conv_id,
        subject="s",
        summary="s",
        transcript="",
        category="other",
        priority=priority,
        group="Service Desk",
        response_due=created + timedelta(hours=hours[0]),
        resolution_due=created + timedelta(hours=hours[1]),
        created_at=created,
        updated_at=created,
        **times,
    )


CONVERSATIONS = [
    # 1 confirmed: Resolved pressed, no ticket
    conv(1, "web", "alice", at(3), ("vpn?", answered(["vpn-setup"]))),
    # 2 potential: answered, >72 h ago; bob's later chat (9) is on another topic
    conv(2, "web", "bob", at(3, 10), ("printer?", answered(["printer"]))),
    # 3 escalated through Conversation.ticket_number
    conv(3, "slack", "carol", at(4), ("otp?", answered(["mfa"])), ticket="SD-000001"),
    # 4 returned: dave came back on the same article (5's first retrieved) within 24 h
    conv(4, "web", "dave", at(10), ("vpn drops", answered(["vpn-setup"]))),
    # 5 potential: same topic as 4, nobody came back after it
    conv(5, "web", "dave", at(11), ("vpn again", answered(["vpn-dc"], ["vpn-setup", "vpn-dc"]))),
    # 6 undetermined: answered only 24 h before NOW (the 72 h have not passed); one decline too
    conv(
        6,
        "slack",
        "erin",
        at(19, 12),
        ("회사 주차 등록은 어떻게 하나요?", declined()),
        ("otp 재발급", answered(["mfa"])),
    ),
    # 7 undetermined: only declined
    conv(7, "slack", "frank", at(11, 14), ("How do I order a standing desk?", declined())),
    # 8 escalated through a ticket's conversation_id
    conv(8, "web", "gina", at(18, 12), ("how do I order a  standing desk", declined())),
    # 9 potential
    conv(9, "web", "bob", at(4, 10), ("outlook?", answered(["outlook"]))),
    # 10 and 11 potential: the same topic, but 81 h apart (outside the window)
    conv(10, "web", "harry", at(5), ("wifi?", answered(["wifi"]))),
    conv(11, "web", "harry", at(8, 18), ("wifi again", answered(["wifi"]))),
]

FEEDBACK = [
    Feedback(1, "alice", "resolved", channel="web", created_at=at(3)),
    Feedback(1, "alice", "helpful", channel="web", created_at=at(3)),
    Feedback(2, "bob", "helpful", channel="web", created_at=at(3)),
    Feedback(4, "dave", "not_helpful", channel="web", created_at=at(10)),
    Feedback(5, "dave", "helpful", channel="web", created_at=at(11)),
    Feedback(6, "erin", "not_helpful", channel="slack", created_at=at(19, 13)),
]

TICKETS = [
    # open, first response late, resolution overdue
    ticket("SD-000001", 3, "slack", "P2", "open", at(4), first_response_at=at(4, 11)),
    # new, never answered: both targets missed by NOW
    ticket("SD-000002", 8, "web", "P3", "new", at(18, 12)),
    # closed: answered in time, resolved late, reopened once
    ticket(
        "SD-000003",
        None,
        "web",
        "P1",
        "closed",
        at(5),
        first_response_at=at(5) + timedelta(minutes=5),
        resolved_at=at(5, 15),
        closed_at=at(5, 16),
        reopened=1,
    ),
    # resolved in time
    ticket(
        "SD-000004",
        None,
        "web",
        "P4",
        "resolved",
        at(12),
        first_response_at=at(12, 10),
        resolved_at=at(13),
    ),
]


@pytest.fixture(scope="module")
def dash():
    return build_dashboard(CONVERSATIONS, FEEDBACK, TICKETS, now=NOW)


def test_every_conversation_gets_the_outcome_worked_out_by_hand(dash) -> None:
    o = dash.overall
    assert o.conversations == 11
    assert o.outcomes == {
        "confirmed": 1,
        "potential": 5,
        "escalated": 2,
        "returned": 1,
        "undetermined": 2,
    }
    assert (o.fcr_confirmed, o.fcr_potential) == (round(1 / 11, 4), round(5 / 11, 4))
    assert (o.not_resolved, o.not_resolved_rate) == (3, round(3 / 11, 4))


def test_deflection_counts_conversations_without_a_ticket(dash) -> None:
    assert (dash.overall.deflected, dash.overall.deflection) == (9, round(9 / 11, 4))
    assert dash.by_channel["web"].deflection == 0.875  # 7 of 8
    assert dash.by_channel["slack"].deflection == round(2 / 3, 4)


def test_csat_is_helpful_over_helpful_and_not_helpful_votes(dash) -> None:
    assert (dash.overall.votes_helpful, dash.overall.votes_not_helpful) == (3, 2)
    assert dash.overall.csat == 0.6  # the Resolved press is not a vote
    assert dash.by_channel["web"].csat == 0.75
    assert dash.by_channel["slack"].csat == 0.0
    weeks = {w: f.csat for w, f in dash.by_week.items()}
    assert weeks == {"2025-W10": 1.0, "2025-W11": 0.5, "2025-W12": 0.0}


def test_tickets_by_status_priority_and_sla_breaches(dash) -> None:
    o = dash.overall
    assert o.tickets_by_status == {"new": 1, "open": 1, "pending": 0, "resolved": 1, "closed": 1}
    assert o.tickets_by_priority == {"P1": 1, "P2": 1, "P3": 1, "P4": 1}
    assert o.sla_breaches == {
        "open": {"response": 2, "resolution": 2},
        "closed": {"response": 0, "resolution": 1},
    }
    assert o.tickets_reopened == 1
    assert dash.by_channel["slack"].tickets_by_priority["P2"] == 1
    assert dash.by_channel["slack"].tickets == 1


def test_top_declined_groups_questions_by_normalised_text(dash) -> None:
    top = dash.overall.top_declined
    assert [(d["count"], d["key"]) for d in top] == [
        (2, "how do i order a standing desk"),
        (1, "회사 주차 등록은 어떻게 하나요"),
    ]
    assert top[0]["question"] == "how do I order a  standing desk"  # the latest wording
    assert [d["count"] for d in dash.by_channel["slack"].top_declined] == [1, 1]


def test_weeks_are_iso_weeks_oldest_first(dash) -> None:
    assert list(dash.by_week) == ["2025-W10", "2025-W11", "2025-W12"]
    assert [f.conversations for f in dash.by_week.values()] == [6, 3, 2]
    assert dash.by_week["2025-W11"].outcomes["returned"] == 1


def test_since_keeps_later_records_but_still_sees_come_backs() -> None:
    dash = build_dashboard(CONVERSATIONS, FEEDBACK, TICKETS, now=NOW, since=at(10))
    assert dash.overall.conversations == 5  # 4, 5, 6, 7, 8
    assert dash.overall.outcomes["returned"] == 1
    assert dash.overall.tickets == 2  # SD-000002 and SD-000004
    assert dash.overall.csat == round(1 / 3, 4)


def test_a_resolved_press_on_an_escalated_conversation_is_not_success() -> None:
    c = conv(1, "web", "a", at(3), ("q", answered(["x"])), ticket="SD-000009")
    dash = build_dashboard([c], [Feedback(1, "a", "resolved", created_at=at(3))], [], now=NOW)
    assert dash.overall.outcomes["escalated"] == 1 and dash.overall.fcr_confirmed == 0.0


def test_empty_history_gives_counts_of_zero_and_no_rates() -> None:
    dash = build_dashboard([], [], [], now=NOW)
    assert dash.overall.conversations == 0
    assert dash.overall.deflection is None and dash.overall.csat is None
    assert dash.by_week == {}


def test_to_dict_is_json_ready(dash) -> None:
    data = json.loads(json.dumps(dash.to_dict()))
    assert data["overall"]["conversations"] == 11
    assert data["by_channel"]["web"]["outcomes"]["confirmed"] == 1


def test_topic_falls_back_to_the_first_question_without_articles() -> None:
    c = conv(1, "web", "a", at(3), ("  VPN, please!! ", declined()))
    assert topic_of(c) == {"q:vpn please"}
    d = conv(2, "web", "a", at(3), ("x", answered(["b", "c"], ["a", "b"])))
    assert topic_of(d) == {"a", "b", "c"}


def test_helpers() -> None:
    assert iso_week(datetime(2024, 12, 30, tzinfo=UTC)) == "2025-W01"
    assert normalise_question("ＶＰＮ이  안 돼요?") == "vpn이 안 돼요"
