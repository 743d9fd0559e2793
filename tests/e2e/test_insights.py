"""Knowledge gaps and incident alerts over HTTP: the real app and store, a small real KB with the
real embedder, and the Slack Web API stand-in as the operations channel."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta

import httpx
import pytest

from bot.settings import SAMPLE_KB, SlackSettings
from bot.tickets.accounts import hash_password
from bot.tickets.records import Account, TurnRecord, utcnow
from bot.worker import serve_jobs
from ingest.pipeline import Ingestor
from tests import sites
from tests.conftest import QUIET, make_kb
from tests.fakes import FixedTriage
from tests.sites import build_site, site_config
from tests.slack.slack_api import SlackApi

pytestmark = pytest.mark.e2e

SAMPLES = ["network/vpn-en.md", "network/vpn-ko.md", "account/mfa-otp-en.md"]
OPS = "C0OPS0001"
EMPLOYEES = ("emp1", "emp2", "emp3")
PASSWORD = "insights-pw-1"
DECLINED = [
    "How do I get a parking permit?",
    "Where do I apply for a parking pass?",
    "회사 주차권은 어떻게 신청하나요?",
    "What is the cafeteria menu today?",
]
BURST = [
    "VPN is not connecting",
    "vpn 연결이 안 돼요",
    "I cannot connect to the VPN",
    "VPN connection keeps failing",
    "VPN 접속이 안 됩니다",
]


@pytest.fixture(scope="module")
def slack_api() -> Iterator[SlackApi]:
    api = SlackApi().start()
    yield api
    api.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory, slack_api) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("insights")
    source = root / "kb_source"
    for rel in SAMPLES:
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLE_KB / rel, source / rel)
    kb = make_kb(root / "data")
    assert Ingestor(kb, QUIET).run([source]).ok
    config = site_config(
        kb.settings.data_dir,
        database_url=f"sqlite:///{root}/desk.db",
        triage_backend="classifier",
        incident_threshold=len(BURST),
        incident_min_users=len(EMPLOYEES),
        incident_check_s=1,  # the embedded worker's check, as `servicedesk serve` runs it
    )
    slack = SlackSettings(
        _env_file=None,
        bot_token=slack_api.token,
        mode="socket",
        api_url=slack_api.url,
        ops_channel=OPS,
    )
    site = build_site(config, kb=kb, slack=slack, triage=FixedTriage(), serve=True)
    jobs = serve_jobs(site.services)
    store = site.store
    for name in ("admin", *EMPLOYEES):
        role = "admin" if name == "admin" else "employee"
        store.add_account(Account(name, role), hash_password(PASSWORD))
    yield {"url": site.url, "store": store}
    jobs.stop()
    site.stop()
    store.close()
    kb.close()


def sign_in(url: str, username: str) -> httpx.Client:
    return sites.sign_in(url, username, PASSWORD, timeout=120)


def _alerted(admin: httpx.Client, within_s: float = 30) -> dict:
    """The incidents the API reports once the worker's check has raised one (or the deadline)."""
    deadline = time.monotonic() + within_s
    while True:
        incidents = admin.get("/api/v1/admin/incidents").json()
        if incidents["active"] or time.monotonic() > deadline:
            return incidents
        time.sleep(0.2)


def seed_declined(store) -> None:
    declined = {"decision": "declined", "retrieved": [], "citations": []}
    at = utcnow() - timedelta(days=3)
    for i, question in enumerate(DECLINED):
        conv = store.start_conversation("web", f"seed{i}")
        store.add_turn(conv.id, TurnRecord("user", question, created_at=at))
        store.add_turn(conv.id, TurnRecord("assistant", "...", answer=declined, created_at=at))


def test_the_dashboard_and_api_show_knowledge_gaps(site) -> None:
    seed_declined(site["store"])
    with closing(sign_in(site["url"], "admin")) as admin:
        data = admin.get("/api/v1/admin/gaps", params={"days": 30}).json()
        page = admin.get("/admin", params={"days": 30, "lang": "en"}).text
    parking = data["gaps"][0]
    assert parking["count"] == 3
    assert all("parking" in e.lower() or "주차" in e for e in parking["examples"])
    assert parking["languages"] == {"en": 2, "ko": 1}
    assert [g["count"] for g in data["gaps"]] == [3, 1]
    assert "Knowledge gaps" in page and page.count('data-testid="gap-row"') == 2
    assert parking["title"] in page


def test_employees_may_not_read_gaps_or_incidents(site) -> None:
    with closing(sign_in(site["url"], "emp1")) as employee:
        assert employee.get("/api/v1/admin/gaps").status_code == 403
        assert employee.get("/api/v1/admin/incidents").status_code == 403


def test_a_burst_of_vpn_questions_raises_one_alert_on_the_dashboard_and_in_slack(
    site, slack_api
) -> None:
    clients = [sign_in(site["url"], name) for name in EMPLOYEES]
    try:
        with closing(sign_in(site["url"], "admin")) as admin:
            assert admin.get("/api/v1/admin/incidents").json()["active"] == []
            for i, question in enumerate([*BURST, "VPN still down?", "VPN 여전히 안 돼요"]):
                client = clients[i % len(clients)]
                conv = client.post("/api/v1/conversations").json()["id"]
                asked = client.post(
                    f"/api/v1/conversations/{conv}/messages", json={"question": question}
                )
                assert asked.status_code == 200, asked.text
            incidents = _alerted(admin)
            page = admin.get("/admin", params={"lang": "en"}).text
    finally:
        for client in clients:
            client.close()
    assert len(incidents["active"]) == 1, incidents
    alert = incidents["active"][0]
    assert alert["count"] >= len(BURST) and alert["users"] == len(EMPLOYEES)
    assert "vpn" in alert["title"].lower()
    assert page.count('data-testid="incident-banner"') == 1 and alert["title"] in page
    posted = slack_api.top_level(OPS)
    assert len(posted) == 1  # the questions after the alert raised no second one
    assert "Possible incident" in posted[0].text and "VPN" in posted[0].text.upper()
