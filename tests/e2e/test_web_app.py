"""The web app with sign-in, chat, tickets and the agent console: real app, real SQLite, over HTTP.

Escalation drafts with the extractive summary and the trained classifier (no LLM).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.store import SqlStore
from bot.tickets.accounts import hash_password, seed_demo_accounts
from bot.tickets.notify import Notifiers, Outbox
from bot.tickets.records import Account, TicketDraft, utcnow
from bot.web.i18n import missing_keys
from tests.conftest import free_port
from tests.fakes import FixedTriage
from tests.sites import build_site, site_config

pytestmark = pytest.mark.e2e

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


class RecordingNotifier:
    """Stands in for the Slack bot's notifier: remembers what it was asked to deliver."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def notify(self, ticket, message) -> None:
        self.sent.append((ticket.number, message.kind, message.text))


@pytest.fixture(scope="module")
def site(sample_kb, tmp_path_factory) -> Iterator[dict]:
    """The app on a fresh SQLite store, demo accounts seeded, a second employee, a Slack stand-in;
    and a second app on the same store with trusted-header SSO switched on."""
    folder = tmp_path_factory.mktemp("webapp")
    values = {
        "database_url": f"sqlite:///{folder / 'desk.db'}",
        "triage_backend": "classifier",
        "session_secret": "test-secret-" + "x" * 32,
    }
    slack = RecordingNotifier()
    notifiers = Notifiers()
    notifiers.register("slack", slack)
    config = site_config(sample_kb.settings.data_dir, **values)
    web = build_site(config, kb=sample_kb, notifiers=notifiers, triage=FixedTriage(), serve=True)
    store = web.store
    passwords = seed_demo_accounts(store, force_change=False)  # see test_account_sessions
    passwords["employee2"] = "second-employee-pw"
    store.add_account(Account("employee2", "employee"), hash_password("second-employee-pw"))
    sso_config = site_config(
        sample_kb.settings.data_dir,
        **values,
        sso_header="X-Remote-User",
        sso_groups_header="X-Remote-Groups",
        sso_trusted_proxies="127.0.0.1",  # the tests' client plays the authenticating proxy
    )
    escalation = web.services.escalation
    sso = build_site(sso_config, kb=sample_kb, store=store, escalation=escalation, serve=True)
    yield {
        "url": web.url,
        "sso_url": sso.url,
        "store": store,
        "settings": config.bot,
        "passwords": passwords,
        "slack": slack,
        "notifiers": notifiers,
    }
    for served in (web, sso):
        served.stop()
    store.close()


class Browser:
    """A signed-in browser: cookies kept, the page's CSRF token sent on every write."""

    def __init__(self, base_url: str):
        self.client = httpx.Client(base_url=base_url, timeout=60)
        self.csrf = ""

    def sign_in(self, username: str, password: str) -> httpx.Response:
        page = self.client.get("/login")
        token = CSRF_INPUT.search(page.text)[1]
        form = {"username": username, "password": password, "next": "/", "csrf_token": token}
        response = self.client.post("/login", data=form)
        if response.status_code == 303:
            self.csrf = self.client.get("/api/v1/session").json()["csrf_token"]
        return response

    def get(self, path: str, **kw) -> httpx.Response:
        return self.client.get(path, **kw)

    def post(self, path: str, **kw) -> httpx.Response:
        return self.client.post(path, headers={"X-CSRF-Token": self.csrf}, **kw)

    def patch(self, path: str, **kw) -> httpx.Response:
        return self.client.patch(path, headers={"X-CSRF-Token": self.csrf}, **kw)

    def form(self, path: str, data: dict, page: str) -> httpx.Response:
        """Submit a form the way the page does: with the token from the page's hidden input."""
        token = CSRF_INPUT.search(self.client.get(page).text)[1]
        return self.client.post(path, data={**data, "csrf_token": token})


def browser(site: dict, username: str) -> Browser:
    b = Browser(site["url"])
    assert b.sign_in(username, site["passwords"][username]).status_code == 303
    return b


def start_chat(b: Browser, question: str) -> tuple[int, dict]:
    conversation = b.post("/api/v1/conversations").json()
    reply = b.post(
        f"/api/v1/conversations/{conversation['id']}/messages", json={"question": question}
    )
    assert reply.status_code == 200, reply.text
    return conversation["id"], reply.json()


def file_ticket(b: Browser, conversation_id: int, **edits) -> dict:
    offer = b.post(f"/api/v1/conversations/{conversation_id}/draft").json()
    body = {**offer["draft"], **edits, "idempotency_key": offer["idempotency_key"]}
    filed = b.post(f"/api/v1/conversations/{conversation_id}/ticket", json=body)
    assert filed.status_code == 201, filed.text
    return filed.json()


@pytest.fixture(scope="module")
def employee(site) -> Browser:
    return browser(site, "employee")


@pytest.fixture(scope="module")
def agent(site) -> Browser:
    return browser(site, "agent")


@pytest.fixture(scope="module")
def escalated(site, employee) -> dict:
    """A ticket the employee filed from a chat the Desk could not answer."""
    conversation_id, reply = start_chat(employee, "회사 구내식당 오늘 메뉴 알려줘")
    assert reply["answer"]["decision"] == "declined"
    ticket = file_ticket(employee, conversation_id, subject="식당 메뉴 문의")
    return {"conversation_id": conversation_id, **ticket}


# -- signing in --------------------------------------------------------------------------------


def test_sign_in_sets_a_protected_cookie_and_sign_out_ends_the_session(site) -> None:
    b = Browser(site["url"])
    response = b.sign_in("employee", site["passwords"]["employee"])
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"].lower()
    assert "sd_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert f"max-age={8 * 3600}" in cookie and "secure" not in cookie
    assert 'data-testid="chat-input"' in b.get("/").text
    assert b.get("/api/v1/session").json()["account"]["role"] == "employee"
    out = b.form("/logout", {}, "/tickets")
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert b.get("/api/v1/session").status_code == 401
    assert b.get("/tickets").headers["location"] == "/login?next=%2Ftickets"


def test_wrong_password_is_refused_with_a_message(site) -> None:
    b = Browser(site["url"])
    response = b.sign_in("employee", "not-the-password")
    assert response.status_code == 401 and 'data-testid="login-error"' in response.text
    assert b.get("/api/v1/session").status_code == 401
    api = httpx.post(f"{site['url']}/api/v1/session", json={"username": "nobody", "password": "x"})
    assert api.status_code == 401


def test_api_sign_in_returns_the_csrf_token_for_later_writes(site) -> None:
    with httpx.Client(base_url=site["url"]) as client:
        body = client.post(
            "/api/v1/session",
            json={"username": "employee", "password": site["passwords"]["employee"]},
        ).json()
        assert body["account"]["username"] == "employee"
        headers = {"X-CSRF-Token": body["csrf_token"]}
        assert client.post("/api/v1/conversations", headers=headers).status_code == 201


def test_sign_in_never_redirects_off_the_site(site) -> None:
    b = Browser(site["url"])
    token = CSRF_INPUT.search(b.get("/login").text)[1]
    form = {"username": "agent", "password": site["passwords"]["agent"], "csrf_token": token}
    response = b.client.post("/login", data={**form, "next": "//evil.example/steal"})
    assert response.status_code == 303 and response.headers["location"] == "/"


# -- roles -------------------------------------------------------------------------------------


def test_signed_out_visitors_are_sent_to_sign_in_and_the_api_says_401(site) -> None:
    url = site["url"]
    page = httpx.get(f"{url}/agent?status=all")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fagent%3Fstatus%3Dall"
    for path in ("/api/v1/agent/queue", "/api/v1/tickets", "/api/v1/conversations"):
        assert httpx.get(f"{url}{path}").status_code == 401, path
    assert httpx.get(f"{url}/admin").status_code == 303


def test_employees_may_not_see_the_agent_console_or_admin_pages(employee) -> None:
    assert employee.get("/agent").status_code == 403
    assert 'data-testid="error-title"' in employee.get("/agent").text
    assert employee.get("/api/v1/agent/queue").status_code == 403
    assert employee.get("/admin").status_code == 403
    assert 'data-testid="nav-queue"' not in employee.get("/").text


def test_agents_work_the_queue_but_not_admin_pages_and_admins_do_both(site, agent) -> None:
    assert agent.get("/agent").status_code == 200
    assert agent.get("/admin").status_code == 403
    page = agent.get("/")
    assert 'data-testid="nav-queue"' in page.text and 'data-testid="nav-admin"' not in page.text
    admin = browser(site, "admin")
    assert admin.get("/agent").status_code == 200
    assert admin.get("/api/v1/agent/queue").status_code == 200
    assert 'data-testid="nav-admin"' in admin.get("/").text


# -- CSRF --------------------------------------------------------------------------------------


def test_writes_without_the_session_csrf_token_are_refused(site, employee) -> None:
    client = employee.client
    assert client.post("/api/v1/conversations").status_code == 403
    bad = client.post("/api/v1/conversations", headers={"X-CSRF-Token": "forged"})
    assert bad.status_code == 403
    other = browser(site, "employee2")  # a real token, but of another session
    assert (
        client.post("/api/v1/conversations", headers={"X-CSRF-Token": other.csrf}).status_code
        == 403
    )
    assert client.post("/logout", data={}).status_code == 403
    assert employee.get("/api/v1/session").status_code == 200  # still signed in
    assert employee.post("/api/v1/conversations").status_code == 201


def test_the_login_form_needs_the_token_of_its_page(site) -> None:
    with httpx.Client(base_url=site["url"]) as client:
        client.get("/login")
        form = {"username": "employee", "password": site["passwords"]["employee"]}
        assert client.post("/login", data=form).status_code == 403


def test_a_tampered_session_cookie_counts_as_signed_out(site, employee) -> None:
    value = employee.client.cookies["sd_session"]
    body, mac = value.split(".")
    forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + mac
    with httpx.Client(base_url=site["url"], cookies={"sd_session": forged}) as client:
        assert client.get("/api/v1/session").status_code == 401


def test_pages_carry_the_csrf_token_for_forms_and_scripts(employee) -> None:
    page = employee.get("/tickets").text
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)[1]
    assert meta == employee.csrf and CSRF_INPUT.search(page)[1] == employee.csrf


# -- single sign-on ----------------------------------------------------------------------------


def test_sso_header_signs_in_and_creates_an_employee_on_first_sight(site) -> None:
    headers = {"X-Remote-User": "sso.kim", "X-Remote-Groups": "it-staff, finance"}
    body = httpx.get(f"{site['sso_url']}/api/v1/session", headers=headers).json()
    assert body["account"]["username"] == "sso.kim" and body["account"]["role"] == "employee"
    assert body["account"]["groups"] == ["it-staff", "finance"]
    assert site["store"].account("sso.kim") is not None
    assert httpx.get(f"{site['sso_url']}/api/v1/session").status_code == 401
    # Writes still need the token the SSO session's pages carry.
    with httpx.Client(base_url=site["sso_url"], headers=headers) as client:
        assert client.post("/api/v1/conversations").status_code == 403
        token = client.get("/api/v1/session").json()["csrf_token"]
        ok = client.post("/api/v1/conversations", headers={"X-CSRF-Token": token})
        assert ok.status_code == 201


def test_sso_header_is_ignored_when_sso_is_off(site) -> None:
    headers = {"X-Remote-User": "admin"}
    assert httpx.get(f"{site['url']}/api/v1/session", headers=headers).status_code == 401
    assert httpx.get(f"{site['url']}/agent", headers=headers).status_code == 303


def test_article_pages_honour_the_signed_in_users_groups(site, sample_kb) -> None:
    entry = next(a for a in sample_kb.catalog.articles() if a.allowed_groups)
    url = f"{site['sso_url']}/articles/{entry.article_id}"
    outsider = {"X-Remote-User": "outsider", "X-Remote-Groups": "nobody-group"}
    insider = {"X-Remote-User": "insider", "X-Remote-Groups": entry.allowed_groups[0]}
    assert httpx.get(url, headers=outsider).status_code == 404
    page = httpx.get(url, headers=insider)
    assert page.status_code == 200 and 'data-testid="article-title"' in page.text


# -- the chat ----------------------------------------------------------------------------------


def test_employee_asks_and_the_conversation_is_stored_with_the_prompt_version(
    site, employee
) -> None:
    conversation_id, reply = start_chat(employee, "How do I reset my password?")
    answer = reply["answer"]
    assert answer["decision"] == "answered"
    assert "KB-ACCOUNT-001-en" in [c["article_id"] for c in answer["citations"]]
    stored = site["store"].conversation(conversation_id)
    assert stored.user == "employee" and stored.channel == "web"
    assert [t.role for t in stored.turns] == ["user", "assistant"]
    assert stored.turns[0].text == "How do I reset my password?"
    assert stored.turns[1].answer["prompt_version"] == "extractive"
    assert stored.turns[1].id == reply["turn_id"]
    follow = employee.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"question": "And on a Mac?"}
    ).json()
    assert follow["answer"]["query"] != "And on a Mac?"  # earlier turns served as history
    assert len(site["store"].conversation(conversation_id).turns) == 4


def test_employee_streams_an_answer_with_sources_then_the_stored_turn(site, employee) -> None:
    conversation = employee.post("/api/v1/conversations").json()
    with employee.client.stream(
        "POST",
        f"/api/v1/conversations/{conversation['id']}/messages/stream",
        json={"question": "VPN이 자꾸 끊겨요"},
        headers={"X-CSRF-Token": employee.csrf},
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    events = re.findall(r"event: (\w+)\ndata: (.*)\n", text)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "sources" and "token" in kinds and kinds[-2:] == ["answer", "stored"]
    sources = json.loads(events[0][1])
    assert any("vpn" in s["article_id"].lower() for s in sources)
    assert all(s["link"].startswith("/articles/") for s in sources)
    turn_id = json.loads(events[-1][1])["turn_id"]
    turns = site["store"].conversation(conversation["id"]).turns
    assert turns[-1].id == turn_id and turns[-1].answer["decision"] == "answered"


def test_chat_page_shows_stored_markup_as_text(employee) -> None:
    conversation_id, _ = start_chat(employee, "<script>alert(1)</script> vpn")
    page = employee.get(f"/?c={conversation_id}").text
    assert "<script>alert(1)</script>" not in page
    assert 'id="chat-data"' in page and "\\u003cscript\\u003e" in page
    for testid in ("chat-input", "send-button", "chat-log", "draft-form", "file-ticket-button"):
        assert f'data-testid="{testid}"' in page


def test_feedback_is_recorded_for_the_answer(site, employee) -> None:
    conversation_id, reply = start_chat(employee, "How do I reset my password?")
    path = f"/api/v1/conversations/{conversation_id}/feedback"
    assert (
        employee.post(path, json={"kind": "not_helpful", "turn_id": reply["turn_id"]}).status_code
        == 201
    )
    assert employee.post(path, json={"kind": "resolved"}).status_code == 201
    mine = [f for f in site["store"].feedback() if f.conversation_id == conversation_id]
    assert {(f.kind, f.turn_id, f.user) for f in mine} == {
        ("not_helpful", reply["turn_id"], "employee"),
        ("resolved", None, "employee"),
    }
    assert employee.post(path, json={"kind": "great"}).status_code == 422
    assert employee.post(path, json={"kind": "helpful", "turn_id": 999999}).status_code == 404


# -- escalation --------------------------------------------------------------------------------


def test_talk_to_a_person_drafts_an_editable_ticket_and_files_it(site, employee) -> None:
    conversation_id, _ = start_chat(employee, "노트북 화면이 깨져서 아무것도 안 보여요")
    offer = employee.post(f"/api/v1/conversations/{conversation_id}/draft").json()
    draft = offer["draft"]
    assert draft["summary"] and draft["subject"] and offer["idempotency_key"]
    assert draft["category"] in offer["choices"]["categories"]
    assert draft["group"] in offer["choices"]["groups"]
    body = {
        **draft,
        "priority": "P2",
        "subject": "화면 파손",
        "idempotency_key": offer["idempotency_key"],
    }
    filed = employee.post(f"/api/v1/conversations/{conversation_id}/ticket", json=body)
    assert filed.status_code == 201
    ticket = filed.json()
    assert re.fullmatch(r"SD-\d{6}", ticket["number"]) and ticket["status"] == "new"
    stored = site["store"].ticket(ticket["number"])
    assert stored.subject == "화면 파손" and stored.priority == "P2"
    assert stored.requester == "employee" and "노트북" in stored.transcript
    assert site["store"].conversation(conversation_id).ticket_number == ticket["number"]
    page = employee.get(f"/tickets/{ticket['number']}")
    assert page.status_code == 200 and 'data-testid="ticket-status"' in page.text


def test_the_same_idempotency_key_files_one_ticket_not_two(site, employee) -> None:
    conversation_id, _ = start_chat(employee, "프린터가 인쇄를 안 해요")
    offer = employee.post(f"/api/v1/conversations/{conversation_id}/draft").json()
    body = {**offer["draft"], "idempotency_key": offer["idempotency_key"]}
    path = f"/api/v1/conversations/{conversation_id}/ticket"
    with ThreadPoolExecutor(2) as pool:  # a double click: both requests at once
        first, second = pool.map(lambda _: employee.post(path, json=body), range(2))
    retry = employee.post(path, json=body)
    numbers = {r.json()["number"] for r in (first, second, retry)}
    assert len(numbers) == 1
    assert sorted(r.status_code for r in (first, second, retry))[-1] == 201
    filed = [t for t in site["store"].tickets(_query(requester="employee")) if t.number in numbers]
    assert len(filed) == 1
    other = browser(site, "employee2")  # the same key from someone else is their own request
    their_chat, _ = start_chat(other, "프린터가 인쇄를 안 해요")
    theirs = other.post(f"/api/v1/conversations/{their_chat}/ticket", json=body)
    assert theirs.status_code == 201 and theirs.json()["number"] not in numbers


def test_a_draft_with_an_unknown_category_is_refused_and_nothing_is_filed(site, employee) -> None:
    conversation_id, _ = start_chat(employee, "모니터가 안 켜져요")
    offer = employee.post(f"/api/v1/conversations/{conversation_id}/draft").json()
    body = {**offer["draft"], "category": "plumbing", "idempotency_key": offer["idempotency_key"]}
    refused = employee.post(f"/api/v1/conversations/{conversation_id}/ticket", json=body)
    assert refused.status_code == 422 and "plumbing" in refused.json()["detail"]
    assert site["store"].conversation(conversation_id).ticket_number is None


def _query(**kw):
    from bot.tickets.records import TicketQuery

    return TicketQuery(**kw)


# -- privacy -----------------------------------------------------------------------------------


def test_employees_see_only_their_own_conversations_and_tickets(site, employee, escalated) -> None:
    other = browser(site, "employee2")
    number, conversation_id = escalated["number"], escalated["conversation_id"]
    assert number not in [t["number"] for t in other.get("/api/v1/tickets").json()]
    assert number in [t["number"] for t in employee.get("/api/v1/tickets").json()]
    assert other.get(f"/api/v1/tickets/{number}").status_code == 404
    assert other.get(f"/tickets/{number}").status_code == 404
    assert other.get(f"/api/v1/conversations/{conversation_id}").status_code == 404
    assert other.get(f"/api/v1/conversations/{conversation_id}/updates").status_code == 404
    asked = other.post(f"/api/v1/conversations/{conversation_id}/messages", json={"question": "hi"})
    assert asked.status_code == 404
    assert other.post(f"/api/v1/conversations/{conversation_id}/draft").status_code == 404
    page = other.get("/tickets").text
    assert number not in page


# -- the agent console -------------------------------------------------------------------------


def test_agent_queue_filters_by_status_priority_group_and_breach(site, agent) -> None:
    store, settings = site["store"], site["settings"]
    past = SqlStore(
        settings.database_url, settings.sla_hours, clock=lambda: utcnow() - timedelta(days=5)
    )
    late = past.file_ticket(
        None,
        TicketDraft("오래된 요청", "요약", "network", "P1", "Network Operations"),
        "employee",
        "web",
        "late-key-1",
    )
    past.close()
    fresh = store.file_ticket(
        None,
        TicketDraft("새 요청", "요약", "hardware", "P4", "End-User Computing"),
        "employee",
        "web",
        "fresh-key-1",
    )
    done = store.file_ticket(
        None,
        TicketDraft("끝난 요청", "요약", "software", "P3", "Application Support"),
        "employee",
        "web",
        "done-key-1",
    )
    store.resolve(done.number, "agent", "fixed")

    def numbers(**params) -> set[str]:
        rows = agent.get("/api/v1/agent/queue", params=params).json()
        return {r["number"] for r in rows}

    default = numbers()
    assert {late.number, fresh.number} <= default and done.number not in default
    assert done.number in numbers(status="all") and done.number in numbers(status="resolved")
    assert late.number in numbers(priority="P1") and fresh.number not in numbers(priority="P1")
    assert all(
        r["priority"] == "P4"
        for r in agent.get("/api/v1/agent/queue", params={"priority": "P4"}).json()
    )
    by_group = numbers(group="End-User Computing")
    assert fresh.number in by_group and late.number not in by_group
    assert late.number in numbers(breached="yes") and fresh.number not in numbers(breached="yes")
    assert fresh.number in numbers(breached="no") and late.number not in numbers(breached="no")
    assert agent.get("/api/v1/agent/queue", params={"priority": "P9"}).status_code == 422
    page = agent.get("/agent", params={"breached": "yes"}).text
    assert f'data-testid="queue-row" data-number="{late.number}"' in page
    assert 'data-testid="sla-breach"' in page and fresh.number not in page


def test_agent_reply_reaches_the_employees_chat_and_notes_stay_internal(
    site, agent, employee, escalated
) -> None:
    number = escalated["number"]
    page = agent.get(f"/agent/tickets/{number}")
    assert page.status_code == 200 and 'data-testid="ticket-transcript"' in page.text
    assert "구내식당" in page.text
    sent = agent.form(
        f"/agent/tickets/{number}/reply",
        {"text": "메뉴는 사내 포털에 있어요."},
        f"/agent/tickets/{number}",
    )
    assert sent.status_code == 303
    note = agent.post(f"/api/v1/agent/tickets/{number}/notes", json={"text": "SECRET-NOTE 내부용"})
    assert note.status_code == 201
    updates = employee.get(
        f"/api/v1/conversations/{escalated['conversation_id']}/updates", params={"after": 0}
    ).json()
    replies = [m for m in updates["messages"] if m["kind"] == "reply"]
    assert replies and replies[-1]["text"] == "메뉴는 사내 포털에 있어요."
    assert updates["ticket"]["status"] == "open"  # the first reply opens the ticket
    later = employee.get(
        f"/api/v1/conversations/{escalated['conversation_id']}/updates",
        params={"after": updates["messages"][-1]["id"]},
    ).json()
    assert later["messages"] == []
    for path in (
        f"/api/v1/tickets/{number}",
        f"/tickets/{number}",
        f"/?c={escalated['conversation_id']}",
    ):
        assert "SECRET-NOTE" not in employee.get(path).text, path
    assert "SECRET-NOTE" in agent.get(f"/api/v1/agent/tickets/{number}").text
    actions = {(e.actor, e.action) for e in site["store"].audit_events() if e.target == number}
    assert {("agent", "ticket.reply"), ("agent", "ticket.note")} <= actions


def test_agent_changes_priority_and_group_and_it_is_audited(site, agent, employee) -> None:
    conversation_id, _ = start_chat(employee, "메일이 안 보내져요")
    ticket = file_ticket(employee, conversation_id, priority="P4")
    number = ticket["number"]
    before = agent.get(f"/api/v1/agent/tickets/{number}").json()
    changed = agent.patch(
        f"/api/v1/agent/tickets/{number}", json={"priority": "P1", "group": "Security Operations"}
    )
    assert changed.status_code == 200
    after = changed.json()
    assert after["priority"] == "P1" and after["group"] == "Security Operations"
    assert after["resolution_due"] < before["resolution_due"]
    form = agent.form(
        f"/agent/tickets/{number}/update",
        {
            "status": "pending",
            "priority": "P1",
            "group": "Security Operations",
            "category": ticket["category"],
        },
        f"/agent/tickets/{number}",
    )
    assert form.status_code == 303
    assert employee.get(f"/api/v1/tickets/{number}").json()["status"] == "pending"
    actions = {e.action for e in site["store"].audit_events() if e.target == number}
    assert {"ticket.priority", "ticket.group", "ticket.status"} <= actions


def test_resolving_needs_a_resolution_and_the_employee_sees_the_status(
    site, agent, employee
) -> None:
    conversation_id, _ = start_chat(employee, "엑셀이 자꾸 멈춰요")
    number = file_ticket(employee, conversation_id)["number"]
    empty = agent.post(f"/api/v1/agent/tickets/{number}/resolve", json={"resolution": "  "})
    assert empty.status_code == 422
    page = agent.form(
        f"/agent/tickets/{number}/resolve", {"resolution": ""}, f"/agent/tickets/{number}"
    )
    assert page.status_code == 422 and 'data-testid="form-error"' in page.text
    assert site["store"].ticket(number).status == "new"
    done = agent.post(
        f"/api/v1/agent/tickets/{number}/resolve", json={"resolution": "엑셀 추가 기능을 껐습니다."}
    )
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    mine = {t["number"]: t["status"] for t in employee.get("/api/v1/tickets").json()}
    assert mine[number] == "resolved"
    listing = employee.get("/tickets").text
    assert re.search(
        rf'data-number="{number}">.*?data-testid="status-badge">[^<]+</span>', listing, re.S
    )
    detail = employee.get(f"/tickets/{number}").text
    assert 'data-status="resolved"' in detail and "엑셀 추가 기능을 껐습니다." in detail


def test_a_resolution_becomes_a_draft_article_in_the_admins_review_queue(
    site, agent, employee
) -> None:
    conversation_id, _ = start_chat(employee, "팀즈 알림이 안 와요")
    number = file_ticket(employee, conversation_id)["number"]
    agent.post(
        f"/api/v1/agent/tickets/{number}/resolve", json={"resolution": "알림 설정을 켰습니다."}
    )
    page = agent.get(f"/agent/tickets/{number}").text
    assert 'data-testid="article-draft-form"' in page
    sent = agent.form(
        f"/agent/tickets/{number}/article-draft",
        {"title": "팀즈 알림 켜기", "body": "설정 > 알림에서 켭니다."},
        f"/agent/tickets/{number}",
    )
    assert sent.status_code == 303
    drafts = [d for d in site["store"].drafts() if d.ticket_number == number]
    assert [(d.title, d.author, d.status) for d in drafts] == [
        ("팀즈 알림 켜기", "agent", "pending")
    ]
    api = agent.post(f"/api/v1/agent/tickets/{number}/article-draft", json={})
    assert api.status_code == 201 and api.json()["title"]
    assert (
        employee.post(f"/api/v1/agent/tickets/{number}/article-draft", json={}).status_code == 403
    )


def test_the_ticket_links_back_to_its_conversation_for_agents_only(site, agent, employee) -> None:
    conversation_id, _ = start_chat(employee, "프린터 드라이버 설치가 안 돼요 <b>급함</b>")
    number = file_ticket(employee, conversation_id)["number"]
    link = agent.get(f"/api/v1/agent/tickets/{number}").json()["conversation_link"]
    assert link == f"/agent/conversations/{conversation_id}"
    assert f'href="{link}"' in agent.get(f"/agent/tickets/{number}").text
    page = agent.get(link)
    assert page.status_code == 200
    assert page.text.count('data-testid="conversation-turn"') == 2  # the question and the answer
    assert "&lt;b&gt;급함&lt;/b&gt;" in page.text and "<b>급함</b>" not in page.text
    assert f'href="/agent/tickets/{number}"' in page.text
    assert employee.get(link, follow_redirects=False).status_code == 403


def test_slack_tickets_link_to_their_thread(site, agent) -> None:
    ticket = site["store"].file_ticket(
        None, TicketDraft("Slack 링크", "요약", "other", "P4", "Service Desk"), "U9", "slack",
        "slack-link-1", thread_ref="C42:1700000000.000100",
    )  # fmt: skip
    body = agent.get(f"/api/v1/agent/tickets/{ticket.number}").json()
    assert body["conversation_link"] == "https://slack.com/archives/C42/p1700000000000100"


def test_replies_on_slack_tickets_go_to_the_slack_notifier(site, agent) -> None:
    ticket = site["store"].file_ticket(
        None, TicketDraft("Slack 문의", "요약", "other", "P3", "Service Desk"), "U123", "slack",
        "slack-key-1", thread_ref="C1:1700000000.1",
    )  # fmt: skip
    agent.post(f"/api/v1/agent/tickets/{ticket.number}/reply", json={"text": "확인했습니다"})
    agent.post(f"/api/v1/agent/tickets/{ticket.number}/notes", json={"text": "internal only"})
    agent.post(f"/api/v1/agent/tickets/{ticket.number}/resolve", json={"resolution": "done"})
    # The agent's requests queued them (no worker runs in this site); the worker's pass sends.
    assert not [s for s in site["slack"].sent if s[0] == ticket.number]
    assert Outbox(site["store"], site["notifiers"]).deliver_due().sent == 2
    sent = [s for s in site["slack"].sent if s[0] == ticket.number]
    assert (ticket.number, "reply", "확인했습니다") in sent
    assert any(kind == "status" for _, kind, _ in sent)
    assert all(kind != "note" for _, kind, _ in sent)


# -- language ----------------------------------------------------------------------------------


def test_the_ui_follows_the_browser_language_and_can_be_switched(site) -> None:
    url = site["url"]
    english = httpx.get(f"{url}/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in english.text and "Sign in" in english.text
    korean = httpx.get(f"{url}/login", headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    assert '<html lang="ko">' in korean.text and "로그인" in korean.text
    with httpx.Client(base_url=url, headers={"Accept-Language": "ko-KR"}) as client:
        switched = client.get("/login", params={"lang": "en"})
        assert '<html lang="en">' in switched.text and "lang=en" in switched.headers["set-cookie"]
        assert '<html lang="en">' in client.get("/login").text  # the choice sticks
        assert 'data-testid="lang-switch"' in switched.text


def test_every_ui_text_exists_in_both_languages() -> None:
    assert missing_keys() == {"ko": set(), "en": set()}


def test_openapi_describes_the_chat_ticket_and_agent_endpoints(site) -> None:
    paths = httpx.get(f"{site['url']}/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/session",
        "/api/v1/conversations",
        "/api/v1/conversations/{conversation_id}/messages/stream",
        "/api/v1/conversations/{conversation_id}/ticket",
        "/api/v1/tickets/{number}",
        "/api/v1/agent/queue",
        "/api/v1/agent/tickets/{number}/resolve",
    ):
        assert path in paths, path


# -- `servicedesk serve` -----------------------------------------------------------------------


def _serve_cli(data: Path, port: int) -> tuple[subprocess.Popen, list[str]]:
    """Start `servicedesk serve`; return it and its stdout lines once it answers /healthz."""
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "SERVICEDESK_DATA_DIR": str(data),
        "SERVICEDESK_DATABASE_URL": f"sqlite:///{data / 'desk.db'}",
        "SERVICEDESK_ANSWER_BACKEND": "extractive",
        # Not about answers or triage: no model to load, no classifier to embed examples for.
        "SERVICEDESK_EMBEDDER": "hash",
        "SERVICEDESK_TRIAGE_EMBEDDERS": "",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            up = httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
            if up and any(line.startswith("serving ") for line in lines):
                return proc, lines
        except httpx.TransportError:
            time.sleep(0.5)
        if proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError(f"serve did not come up: {lines}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_serve_keeps_generated_passwords_in_a_private_file_on_first_start_only(tmp_path) -> None:
    data = tmp_path / "data"
    port = free_port()
    proc, lines = _serve_cli(data, port)  # stdout is a pipe, as in a container: its log
    keep = data / "first-start-passwords.txt"
    try:
        kept = dict(re.findall(r"^(admin|agent|employee) (\S+)$", keep.read_text(), re.M))
        assert set(kept) == {"admin", "agent", "employee"}
        assert len(set(kept.values())) == 3  # generated, not fixed
        assert keep.stat().st_mode & 0o777 == 0o600
        log = "".join(lines)
        assert str(keep) in log and not any(p in log for p in kept.values())
        signed = Browser(f"http://127.0.0.1:{port}").sign_in("agent", kept["agent"])
        assert signed.status_code == 303
    finally:
        _stop(proc)
    assert (data / "session_secret").exists()
    keep.unlink()  # as the operator is told to, once read
    proc, lines = _serve_cli(data, port)
    try:
        assert not keep.exists() and "first-start-passwords" not in "".join(lines)
        again = Browser(f"http://127.0.0.1:{port}").sign_in("admin", kept["admin"])
        assert again.status_code == 303
    finally:
        _stop(proc)
