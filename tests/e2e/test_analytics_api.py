"""GET /api/v1/analytics and the dashboard's live figures over HTTP: the real app, a real SQLite
store seeded through its own methods (its clock moved back so the history lies in the past)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
import pytest

from bot.tickets.accounts import hash_password
from bot.tickets.records import Account, Feedback, TicketDraft, TicketMessage, TurnRecord, utcnow
from tests import sites
from tests.conftest import make_kb
from tests.fakes import FakeClock, FixedTriage
from tests.sites import build_site, site_config

pytestmark = pytest.mark.e2e

PASSWORDS = {"admin": "admin-pw-1", "agent": "agent-pw-1", "employee": "employee-pw-1"}
DECLINED = {"decision": "declined", "retrieved": [], "citations": []}


def answered(article: str) -> dict:
    return {"decision": "answered", "retrieved": [article], "citations": [{"article_id": article}]}


def chat(store, clock, channel, user, start, answer, question="q") -> int:
    """A conversation started at ``start``: one question and its answer a minute later."""
    clock.set(start)
    conv = store.start_conversation(channel, user)
    store.add_turn(conv.id, TurnRecord("user", question, created_at=start))
    reply = TurnRecord("assistant", "...", answer=answer, created_at=start + timedelta(minutes=1))
    store.add_turn(conv.id, reply)
    return conv.id


def escalate(store, conv_id, user, channel, priority) -> str:
    draft = TicketDraft("Needs a person", "the bot could not help", "other", priority)
    return store.file_ticket(conv_id, draft, user, channel, f"key-{conv_id}").number


def seed(store, clock: FakeClock) -> None:
    """Six conversations, three tickets (worked out in ``test_agents_and_admins_read_...``)."""
    now = utcnow()
    t0 = now - timedelta(days=10)
    a = chat(store, clock, "web", "emp1", t0, answered("a1"))  # confirmed
    store.add_feedback(Feedback(a, "emp1", "resolved", created_at=t0))
    store.add_feedback(Feedback(a, "emp1", "helpful", created_at=t0))
    b = chat(store, clock, "slack", "emp2", t0, answered("a2"))  # returned (C, a day later)
    store.add_feedback(Feedback(b, "emp2", "not_helpful", channel="slack", created_at=t0))
    chat(store, clock, "web", "emp2", t0 + timedelta(days=1), answered("a2"))  # potential
    # D: P2 answered after 30 min and resolved after 2 h (both in time), reopened, resolved again
    d = chat(store, clock, "web", "emp3", t0, DECLINED)
    number = escalate(store, d, "emp3", "web", "P2")
    created = store.ticket(number).created_at
    store.add_message(number, TicketMessage("reply", "agent", "on it", created_at=created + _m(30)))
    for minutes, step in ((120, "resolve"), (180, "reopen"), (300, "resolve")):
        clock.set(created + _m(minutes))
        if step == "resolve":
            store.resolve(number, "agent", "fixed")
        else:
            store.reopen(number, "emp3", "again")
    # F: P3 never answered, eight days old: both targets missed
    f = chat(store, clock, "web", "emp5", t0 + timedelta(days=2), DECLINED)
    escalate(store, f, "emp5", "web", "P3")
    # E: P4 on Slack an hour ago: nothing due yet
    e = chat(store, clock, "slack", "emp4", now - timedelta(hours=1), DECLINED)
    escalate(store, e, "emp4", "slack", "P4")
    clock.offset = timedelta(0)


def _m(minutes: int) -> timedelta:
    return timedelta(minutes=minutes)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("analytics")
    kb = make_kb(root / "data")
    config = site_config(
        kb.settings.data_dir,
        database_url=f"sqlite:///{root}/desk.db",
        triage_backend="classifier",
        session_secret="test-secret-" + "x" * 32,
    )
    clock = FakeClock()  # set to any moment, so records get past creation times
    site = build_site(config, kb=kb, clock=clock, triage=FixedTriage())
    for name, password in PASSWORDS.items():
        site.store.add_account(Account(name, name), hash_password(password))  # type: ignore[arg-type]
    seed(site.store, clock)
    yield site.serve().url
    site.stop()
    site.services.close()


@contextmanager
def signed_in(url: str, username: str) -> Iterator[httpx.Client]:
    """A client signed in through the /login form, closed afterwards."""
    client = sites.sign_in(url, username, PASSWORDS[username])
    try:
        yield client
    finally:
        client.close()


def test_agents_and_admins_read_the_figures_worked_out_by_hand(site) -> None:
    with signed_in(site, "agent") as agent:
        response = agent.get("/api/v1/analytics", params={"days": 30})
    assert response.status_code == 200
    data = response.json()
    o = data["overall"]
    assert (data["days"], data["channel"]) == (30, None)
    assert o["conversations"] == 6
    assert o["outcomes"] == {
        "confirmed": 1, "potential": 1, "escalated": 3, "returned": 1, "undetermined": 0
    }  # fmt: skip
    assert (o["fcr_confirmed"], o["fcr_potential"]) == (0.1667, 0.1667)
    assert (o["escalated_rate"], o["returned_rate"], o["deflection"]) == (0.5, 0.1667, 0.5)
    assert (o["csat"], o["tickets"], o["tickets_reopened"], o["reopened_rate"]) == (
        0.5,
        3,
        1,
        0.3333,
    )
    assert o["sla_compliance"] == {
        "response": {"counted": 2, "met": 1, "rate": 0.5},  # D met, F missed, E not yet due
        "resolution": {"counted": 2, "met": 1, "rate": 0.5},
        "both": {"counted": 2, "met": 1, "rate": 0.5},
    }
    slack = data["by_channel"]["slack"]
    assert (slack["conversations"], slack["returned_rate"], slack["escalated_rate"]) == (
        2,
        0.5,
        0.5,
    )
    assert slack["sla_compliance"]["both"] == {"counted": 0, "met": 0, "rate": None}
    assert data["by_channel"]["web"]["sla_compliance"]["both"]["rate"] == 0.5
    assert sum(w["conversations"] for w in data["by_week"].values()) == 6
    assert all(re.fullmatch(r"\d{4}-W\d{2}", week) for week in data["by_week"])
    assert "fcr_potential" in data["definitions"]


def test_one_channel_and_a_shorter_window(site) -> None:
    with signed_in(site, "admin") as admin:
        slack = admin.get("/api/v1/analytics", params={"days": 30, "channel": "slack"}).json()
        recent = admin.get("/api/v1/analytics", params={"days": 5}).json()
        assert admin.get("/api/v1/analytics", params={"channel": "email"}).status_code == 422
        assert admin.get("/api/v1/analytics", params={"days": 0}).status_code == 422
    assert list(slack["by_channel"]) == ["slack"] and slack["channel"] == "slack"
    assert (slack["overall"]["conversations"], slack["overall"]["outcomes"]["returned"]) == (2, 1)
    assert (recent["overall"]["conversations"], recent["overall"]["tickets"]) == (1, 1)


def test_employees_get_403_and_strangers_401(site) -> None:
    with signed_in(site, "employee") as employee:
        assert employee.get("/api/v1/analytics").status_code == 403
    assert httpx.get(site + "/api/v1/analytics").status_code == 401


def test_the_admin_dashboard_shows_the_same_figures(site) -> None:
    with signed_in(site, "admin") as admin:
        page = admin.get("/admin", params={"days": 30, "lang": "en"}).text
    assert 'data-testid="live-figures"' in page
    assert re.search(
        r'id="kpi-sla-compliance"><div class="value" data-testid="kpi-value">50%<', page
    )
    assert re.search(r'id="kpi-escalated"><div class="value" data-testid="kpi-value">50%<', page)
    row = re.search(r'live-row" data-channel="slack">(.*?)</tr>', page, re.S).group(1)
    assert re.search(r'data-testid="live-returned">50%<', row)
