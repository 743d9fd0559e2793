"""Smaller hardening points over HTTP against the served app: hostile CSRF tokens, agents reading
conversations, employees' drafts and feedback."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest

from bot.tickets.accounts import hash_password
from bot.tickets.records import Account, TicketDraft, TurnRecord
from retrieval.hash_embedder import HashEmbeddings
from tests.fakes import FixedTriage
from tests.sites import Site, build_site, site_config

pytestmark = pytest.mark.e2e

PASSWORDS = {"admin": "admin-pw-1", "agent": "agent-pw-1", "employee": "employee-pw-1"}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("small")
    site = build_site(
        site_config(root), embedder=HashEmbeddings(), triage=FixedTriage(), serve=True
    )
    for name, password in PASSWORDS.items():
        site.store.add_account(Account(name, name), hash_password(password))  # type: ignore[arg-type]
    yield site
    site.stop()
    site.services.close()


def login_token(client: httpx.Client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)


def sign_in(url: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    form = {
        "username": username,
        "password": PASSWORDS[username],
        "csrf_token": login_token(client),
    }
    assert client.post("/login", data=form).status_code == 303
    client.headers["X-CSRF-Token"] = client.get("/api/v1/session").json()["csrf_token"]
    return client


# -- CSRF


def test_a_non_ascii_csrf_token_is_refused_with_403_not_500(site) -> None:
    with httpx.Client(base_url=site.url, timeout=60) as client:
        login_token(client)  # an anonymous session: a token is expected from now on
        form = {"username": "agent", "password": PASSWORDS["agent"], "csrf_token": "토큰"}
        assert client.post("/login", data=form).status_code == 403
        header = {"X-CSRF-Token": "tökén".encode("latin-1")}
        assert client.post("/logout", headers=header).status_code == 403
    with closing(sign_in(site.url, "employee")) as employee:
        header = {"X-CSRF-Token": "é".encode("latin-1") * 8}
        reply = employee.post("/api/v1/conversations", headers=header, json={})
        assert reply.status_code == 403


# -- uploads


def zipped(*entries: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_with_a_file_and_a_folder_of_one_name_is_a_failure_line_not_500(site) -> None:
    article = b"# Printer\n\nPress the green button."
    file_first = zipped(("docs", b"plain"), ("docs/printer.md", article))
    folder_first = zipped(("kb/a/printer.md", article), ("kb/a", b"plain"))
    good = ("good.md", b"# Stapler\n\nOpen the tray and remove the bent staples.")
    with closing(sign_in(site.url, "admin")) as admin:
        parts = [
            ("files", ("file-first.zip", file_first, "application/zip")),
            ("files", ("folder-first.zip", folder_first, "application/zip")),
            ("files", (*good, "text/markdown")),
        ]
        reply = admin.post("/api/v1/admin/uploads", files=parts)
    assert reply.status_code == 200, reply.text
    lines = sorted(reply.json()["lines"])
    assert lines[0] == "ADDED good.md: good"  # the other files of the upload still go in
    assert lines[1] == (
        "FAILED file-first.zip: refused: 'docs' is both a file and a folder in the archive"
    )
    assert lines[2] == (
        "FAILED folder-first.zip: refused: 'kb/a' is both a file and a folder in the archive"
    )


# -- agents reading conversations


def test_agents_read_only_escalated_conversations_and_each_read_is_audited(site) -> None:
    private = site.store.start_conversation("web", "employee")
    site.store.add_turn(private.id, TurnRecord("user", "개인적인 질문입니다"))
    escalated = site.store.start_conversation("web", "employee")
    site.store.add_turn(escalated.id, TurnRecord("user", "VPN이 연결되지 않아요"))
    draft = TicketDraft("VPN 접속 불가", "재택 중 VPN 불가", "network", "P3", "Network")
    ticket = site.store.file_ticket(escalated.id, draft, "employee", "web", "small-escalated")
    with closing(sign_in(site.url, "agent")) as agent:
        refused = agent.get(f"/agent/conversations/{private.id}")
        assert refused.status_code == 404 and "개인적인 질문" not in refused.text
        shown = agent.get(f"/agent/conversations/{escalated.id}")
        assert shown.status_code == 200 and "VPN이 연결되지 않아요" in shown.text
    reads = [e for e in site.store.audit_events() if e.action == "conversation.read"]
    assert [(e.actor, e.target, e.detail) for e in reads] == [
        ("agent", str(escalated.id), {"ticket": ticket.number})
    ]


# -- employees' drafts


def test_an_employee_cannot_route_or_raise_their_own_ticket_over_http(site) -> None:
    conversation = site.store.start_conversation("web", "employee")
    site.store.add_turn(conversation.id, TurnRecord("user", "프린터가 안 돼요"))
    with closing(sign_in(site.url, "employee")) as employee:
        offer = employee.post(f"/api/v1/conversations/{conversation.id}/draft").json()
        edits = {"priority": "P1", "group": "Security Operations"}
        body = {**offer["draft"], **edits, "idempotency_key": offer["idempotency_key"]}
        filed = employee.post(f"/api/v1/conversations/{conversation.id}/ticket", json=body)
    assert filed.status_code == 201, filed.text
    ticket = site.store.ticket(filed.json()["number"])
    assert (ticket.priority, ticket.group) == ("P2", "Network Operations")  # triage: network, P2


# -- feedback


def test_repeated_web_votes_on_an_answer_count_once_the_latest_kept(site) -> None:
    conversation = site.store.start_conversation("web", "employee")
    site.store.add_turn(conversation.id, TurnRecord("user", "VPN이 안 돼요"))
    answer = site.store.add_turn(conversation.id, TurnRecord("assistant", "재시작하세요"))
    url = f"/api/v1/conversations/{conversation.id}/feedback"
    with closing(sign_in(site.url, "employee")) as employee:
        for _ in range(5):
            vote = employee.post(url, json={"kind": "helpful", "turn_id": answer.id})
            assert vote.status_code == 201
        assert (
            employee.post(url, json={"kind": "not_helpful", "turn_id": answer.id}).status_code
            == 201
        )
    kept = [f for f in site.store.feedback() if f.conversation_id == conversation.id]
    assert [(f.user, f.turn_id, f.kind) for f in kept] == [("employee", answer.id, "not_helpful")]
