"""Live analytics (DESIGN.md §5) over a synthetic history whose figures are worked out by hand.

Three ISO weeks (2025-W10 to W12), both channels; come-backs within and after 72 hours (one
across channels); reopened tickets; SLA targets met, missed and not yet due. The hand count is
written next to each record and summed in each test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.insights.analytics import build_dashboard
from bot.insights.outcomes import classify
from bot.tickets.records import Conversation, Feedback, Ticket, TurnRecord
from bot.tickets.sla import sla_outcome
from bot.web import schemas
from bot.web.admin.analytics_api import analytics_dict
from bot.web.schemas.analytics import Analytics
from tests.unit.test_api_schemas import assert_documented

pytestmark = pytest.mark.unit

NOW = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)  # Thursday of 2025-W12
SLA = {"P1": (0.25, 4), "P2": (1, 8), "P3": (4, 24), "P4": (8, 72)}


def at(day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


def answered(article: str) -> dict:
    return {"decision": "answered", "citations": [{"article_id": article}], "retrieved": [article]}


DECLINED = {"decision": "declined", "citations": [], "retrieved": []}


def conv(cid: int, channel: str, user: str, start: datetime, answer: dict, ticket=None):
    """One question at ``start`` and its answer a minute later."""
    turns = [
        TurnRecord("user", f"question {cid}", created_at=start),
        TurnRecord("assistant", "...", answer=answer, created_at=start + timedelta(minutes=1)),
    ]
    return Conversation(channel, user, id=cid, turns=turns, created_at=start, ticket_number=ticket)


def ticket(num: int, conv_id, channel: str, priority: str, status: str, created, **times):
    response_h, resolution_h = SLA[priority]
    return Ticket(
        number=f"SD-{num:06d}",
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
        response_due=created + timedelta(hours=response_h),
        resolution_due=created + timedelta(hours=resolution_h),
        created_at=created,
        updated_at=created,
        **times,
    )


CONVERSATIONS = [
    # 2025-W10
    conv(1, "web", "alice", at(3), answered("vpn")),  # confirmed (Resolved)
    conv(2, "web", "bob", at(3, 10), answered("printer")),  # returned: 3 is 48 h later
    conv(3, "web", "bob", at(5, 10), answered("printer")),  # potential
    conv(4, "slack", "carol", at(4), answered("wifi")),  # potential: 5 is 96 h later
    conv(5, "slack", "carol", at(8), answered("wifi")),  # potential
    conv(6, "slack", "dave", at(6), DECLINED),  # escalated (ticket 1's conversation)
    # 2025-W11
    conv(7, "web", "erin", at(10), answered("mfa"), ticket="SD-000002"),  # escalated
    conv(8, "slack", "frank", at(11), answered("vpn")),  # returned: 9 on web 24 h later
    conv(9, "web", "frank", at(12), answered("vpn")),  # potential
    conv(10, "web", "gina", at(13), answered("outlook")),  # confirmed (Resolved)
    # 2025-W12
    conv(11, "web", "harry", at(18), answered("vpn")),  # undetermined: 51 h before NOW
    conv(12, "slack", "ivy", at(17, 10), answered("printer")),  # potential: 74 h before NOW
    conv(13, "slack", "jack", at(19), DECLINED),  # escalated (ticket 3's conversation)
]

FEEDBACK = [
    Feedback(1, "alice", "resolved", channel="web", created_at=at(3)),
    Feedback(10, "gina", "resolved", channel="web", created_at=at(13)),
    Feedback(1, "alice", "helpful", channel="web", created_at=at(3)),
    Feedback(2, "bob", "not_helpful", channel="web", created_at=at(3, 10)),
    Feedback(4, "carol", "helpful", channel="slack", created_at=at(4)),
    Feedback(9, "frank", "helpful", channel="web", created_at=at(12)),
    Feedback(12, "ivy", "not_helpful", channel="slack", created_at=at(17, 10)),
    Feedback(13, "jack", "not_helpful", channel="slack", created_at=at(19)),
]

TICKETS = [
    # W10 slack P3: answered and resolved in time -> response met, resolution met, both met
    ticket(1, 6, "slack", "P3", "resolved", at(6, 9, 5),
           first_response_at=at(6, 10), resolved_at=at(6, 20)),
    # W11 web P2: answered late (due 10:05), resolved in time, reopened once -> missed/met/missed
    ticket(2, 7, "web", "P2", "closed", at(10, 9, 5), first_response_at=at(10, 11),
           resolved_at=at(10, 15), closed_at=at(10, 16), reopened=1),
    # W12 slack P4: never answered, response due 19th 17:05 (passed), resolution due 22nd
    # -> missed/undecided/missed
    ticket(3, 13, "slack", "P4", "new", at(19, 9, 5)),
    # W12 web P4: answered in time, resolution due 22nd -> met/undecided/undecided
    ticket(4, None, "web", "P4", "open", at(19, 10), first_response_at=at(19, 11)),
    # W12 web P3 an hour old: nothing due yet -> undecided/undecided/undecided
    ticket(5, None, "web", "P3", "new", at(20, 11)),
    # W11 slack P2: answered in time, reopened twice, open again past its resolution due
    # -> met/missed/missed
    ticket(6, None, "slack", "P2", "open", at(12), first_response_at=at(12, 9, 30), reopened=2),
    # W10 web P1: resolved in 10 minutes without any reply -> missed/met/missed
    ticket(7, None, "web", "P1", "closed", at(4), resolved_at=at(4, 9, 10), closed_at=at(4, 10)),
]  # fmt: skip


@pytest.fixture(scope="module")
def dash():
    return build_dashboard(CONVERSATIONS, FEEDBACK, TICKETS, now=NOW)


def r(part: int, whole: int) -> float:
    return round(part / whole, 4)


def test_fcr_escalated_and_returned_rates_overall(dash) -> None:
    o = dash.overall
    assert o.conversations == 13
    assert o.outcomes == {
        "confirmed": 2,  # 1, 10
        "potential": 5,  # 3, 4, 5, 9, 12
        "escalated": 3,  # 6, 7, 13
        "returned": 2,  # 2, 8
        "undetermined": 1,  # 11
    }
    assert (o.fcr_confirmed, o.fcr_potential) == (r(2, 13), r(5, 13))
    assert (o.escalated_rate, o.returned_rate) == (r(3, 13), r(2, 13))
    assert (o.deflected, o.deflection) == (10, r(10, 13))


def test_a_come_back_after_72_hours_is_no_return_but_one_within_is() -> None:
    outcomes = classify(CONVERSATIONS, FEEDBACK, TICKETS, NOW)
    conv_outcomes = dict(zip([c.id for c in CONVERSATIONS], outcomes, strict=True))
    assert conv_outcomes[2] == "returned"  # 48 h
    assert conv_outcomes[4] == "potential"  # 96 h
    assert conv_outcomes[8] == "returned"  # slack, then web 24 h later: the same employee


def test_every_rate_per_channel(dash) -> None:
    web, slack = dash.by_channel["web"], dash.by_channel["slack"]
    assert (web.conversations, slack.conversations) == (7, 6)
    assert web.outcomes == {
        "confirmed": 2, "potential": 2, "escalated": 1, "returned": 1, "undetermined": 1
    }  # fmt: skip
    assert slack.outcomes == {
        "confirmed": 0, "potential": 3, "escalated": 2, "returned": 1, "undetermined": 0
    }  # fmt: skip
    assert (web.fcr_confirmed, web.fcr_potential, web.escalated_rate) == (r(2, 7), r(2, 7), r(1, 7))
    assert (slack.fcr_confirmed, slack.escalated_rate, slack.returned_rate) == (
        0.0,
        r(2, 6),
        r(1, 6),
    )
    assert (web.deflection, slack.deflection) == (r(6, 7), r(4, 6))
    assert (web.csat, slack.csat) == (r(2, 3), r(1, 3))  # web 1, 9 / 2; slack 4 / 12, 13


def test_every_rate_per_iso_week(dash) -> None:
    assert list(dash.by_week) == ["2025-W10", "2025-W11", "2025-W12"]
    w10, w11, w12 = dash.by_week.values()
    assert (w10.conversations, w11.conversations, w12.conversations) == (6, 4, 3)
    assert (w10.fcr_confirmed, w10.fcr_potential, w10.returned_rate) == (r(1, 6), r(3, 6), r(1, 6))
    assert (w11.escalated_rate, w11.returned_rate, w11.fcr_confirmed) == (0.25, 0.25, 0.25)
    assert (w12.escalated_rate, w12.fcr_potential, w12.outcomes["undetermined"]) == (
        r(1, 3),
        r(1, 3),
        1,
    )
    assert (w10.csat, w11.csat, w12.csat) == (r(2, 3), 1.0, 0.0)


def test_reopened_tickets_over_all_tickets(dash) -> None:
    assert (dash.overall.tickets, dash.overall.tickets_reopened) == (7, 2)  # 2 (once), 6 (twice)
    assert dash.overall.reopened_rate == r(2, 7)
    assert dash.by_channel["web"].reopened_rate == 0.25
    assert dash.by_channel["slack"].reopened_rate == r(1, 3)
    assert dash.by_week["2025-W11"].reopened_rate == 1.0
    assert dash.by_week["2025-W10"].reopened_rate == 0.0


def compliance(f) -> dict[str, tuple]:
    return {k: (v["counted"], v["met"], v["rate"]) for k, v in f.sla_compliance.items()}


def test_sla_compliance_counts_open_tickets_only_once_due(dash) -> None:
    assert compliance(dash.overall) == {
        "response": (6, 3, 0.5),  # met 1, 4, 6; missed 2, 3, 7; 5 not due
        "resolution": (4, 3, 0.75),  # met 1, 2, 7; missed 6; 3, 4, 5 not due
        "both": (5, 1, 0.2),  # met 1; missed 2, 3, 6, 7; 4, 5 undecided
    }
    assert compliance(dash.by_channel["web"]) == {
        "response": (3, 1, r(1, 3)),
        "resolution": (2, 2, 1.0),
        "both": (2, 0, 0.0),
    }
    assert compliance(dash.by_channel["slack"]) == {
        "response": (3, 2, r(2, 3)),
        "resolution": (2, 1, 0.5),
        "both": (3, 1, r(1, 3)),
    }
    w12 = compliance(dash.by_week["2025-W12"])
    assert w12 == {"response": (2, 1, 0.5), "resolution": (0, 0, None), "both": (1, 0, 0.0)}


def test_a_target_becomes_decided_when_it_falls_due() -> None:
    fresh = TICKETS[4]  # P3 created an hour before NOW
    assert sla_outcome(fresh, NOW) == (None, None, None)
    assert sla_outcome(fresh, NOW + timedelta(hours=4)) == (False, None, False)
    on_time = ticket(8, None, "web", "P2", "open", at(1), first_response_at=at(1, 10))
    assert sla_outcome(on_time, NOW)[0] is True  # a reply at the very due time meets it


def test_one_channel_only(dash) -> None:
    web = build_dashboard(CONVERSATIONS, FEEDBACK, TICKETS, now=NOW, channel="web")
    assert list(web.by_channel) == ["web"]
    assert web.overall == dash.by_channel["web"]
    assert [f.conversations for f in web.by_week.values()] == [3, 3, 1]
    slack = build_dashboard(CONVERSATIONS, FEEDBACK, TICKETS, now=NOW, channel="slack")
    assert slack.overall.outcomes["returned"] == 1  # frank came back on the web


def test_the_api_body_is_documented_and_carries_only_the_live_figures(dash) -> None:
    body = analytics_dict(dash, 90, None)
    assert_documented(Analytics, body)
    assert set(body["by_channel"]) == {"web", "slack"}
    assert "top_declined" not in body["overall"]
    assert body["by_week"]["2025-W12"]["sla_compliance"]["resolution"]["rate"] is None
    assert_documented(schemas.Dashboard, dash.to_dict())  # the admin dashboard's body too


def test_empty_history_has_no_rates() -> None:
    o = build_dashboard([], [], [], now=NOW).overall
    assert (o.escalated_rate, o.returned_rate, o.reopened_rate) == (None, None, None)
    assert o.sla_compliance["both"] == {"counted": 0, "met": 0, "rate": None}
