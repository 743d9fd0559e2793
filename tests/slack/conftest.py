"""The Slack scenarios' world: the Web API stand-in, and the real web app with ``/slack/events``
(HTTP mode) served by uvicorn over a real SQLite store and the sample knowledge base."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from bot.settings import SAMPLE_KB, SlackSettings
from bot.store import SqlStore
from bot.tickets.accounts import seed_demo_accounts
from bot.tickets.escalation import Escalation
from bot.wiring import Config, build_chat_model
from bot.worker import serve_jobs
from ingest.pipeline import Ingestor
from llm_server.settings import LLMSettings
from retrieval.knowledge_base import KnowledgeBase
from tests.conftest import QUIET, free_port, make_kb
from tests.fakes import FixedTriage
from tests.sites import build_site, site_config
from tests.slack.signed import SlackSender
from tests.slack.slack_api import SlackApi

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
PUBLIC_URL = "https://desk.example.com"
# Workspace members: an IT staffer (mapped to it-staff by e-mail), an employee, one unknown.
IT_STAFF, EMPLOYEE, STRANGER = "U0ITSTAFF", "U0EMPLOYEE", "U0STRANGER"
SUPPORT = "C0SUPPORT1"
ARTICLES = (
    "account/password-reset-lockout-en.md",
    "account/password-reset-lockout-ko.md",
    "account/mfa-otp-en.md",
    "network/vpn-en.md",
    "network/vpn-ko.md",
    "network/wifi-en.md",
    "collaboration/outlook-troubleshooting.md",
    "it-internal/firewall-change-request.md",
)
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class SlackSite:
    """What a scenario talks to and looks at."""

    url: str
    store: SqlStore
    api: SlackApi
    sender: SlackSender
    passwords: dict[str, str]


def slack_settings(api: SlackApi, **overrides) -> SlackSettings:
    """HTTP-mode settings pointing at the stand-in (the environment and .env ignored)."""
    values = {
        "bot_token": api.token,
        "signing_secret": SIGNING_SECRET,
        "mode": "http",
        "api_url": api.url,
        "support_channels": [SUPPORT],
        "answer_top_level": True,
        "group_mappings": {"it.staff@corp.example": ["it-staff"]},
        "public_url": PUBLIC_URL,
        "timeout": 60,
        **overrides,
    }
    return SlackSettings(_env_file=None, **values)


@pytest.fixture(scope="module")
def slack_kb(tmp_path_factory) -> Iterator[KnowledgeBase]:
    """A few sample articles (one restricted to it-staff), ingested with the real embedder."""
    folder = tmp_path_factory.mktemp("slack-kb")
    articles = folder / "articles"
    articles.mkdir()
    for name in ARTICLES:
        shutil.copy(SAMPLE_KB / name, articles / name.replace("/", "-"))
    kb = make_kb(folder / "data")
    report = Ingestor(kb, QUIET).run([articles])
    assert report.ok, [f.line() for f in report.failures]
    yield kb
    kb.close()


@pytest.fixture(scope="module")
def slack_api() -> Iterator[SlackApi]:
    """The Web API stand-in with three workspace members."""
    api = SlackApi().start()
    api.add_user(IT_STAFF, "it.staff@corp.example", "Ina Staff")
    api.add_user(EMPLOYEE, "emp@corp.example", "Eun Employee")
    yield api
    api.stop()


def _config(kb: KnowledgeBase, folder, **bot) -> Config:
    return site_config(
        kb.settings.data_dir,
        database_url=f"sqlite:///{folder / 'desk.db'}",
        triage_backend="classifier",
        session_secret="slack-test-secret-" + "x" * 32,
        public_url=PUBLIC_URL,
        **bot,
    )


@pytest.fixture(scope="module")
def slack_site(slack_kb, slack_api, tmp_path_factory) -> Iterator[SlackSite]:
    """The web app with the Slack bot in HTTP mode, extractive answers, a fixed triage (the
    Slack side is under test here, not the classifier), and its embedded worker (as `serve`
    runs it by default: agents' replies reach Slack through it)."""
    config = _config(slack_kb, tmp_path_factory.mktemp("slack"))
    site = build_site(config, kb=slack_kb, slack=slack_settings(slack_api), triage=FixedTriage())
    passwords = seed_demo_accounts(site.store, force_change=False)
    site.serve()
    jobs = serve_jobs(site.services)
    sender = SlackSender(site.url, SIGNING_SECRET)
    yield SlackSite(site.url, site.store, slack_api, sender, passwords)
    sender.close()
    jobs.stop()
    site.stop()
    site.store.close()


@pytest.fixture(scope="module")
def llm_down_site(slack_kb, slack_api, slack_site, tmp_path_factory) -> Iterator[SlackSite]:
    """A second app on the same store whose Desk uses an LLM endpoint nobody listens on."""
    config = _config(slack_kb, tmp_path_factory.mktemp("llm-down"), answer_backend="llm")
    dead = LLMSettings(
        _env_file=None, engine="external", base_url=f"http://127.0.0.1:{free_port()}/v1"
    )
    store = slack_site.store
    # Tickets are drafted without the LLM, as on the first site: only the answers need it.
    site = build_site(
        config,
        kb=slack_kb,
        store=store,
        chat=build_chat_model(dead, config.bot),
        escalation=Escalation(store, FixedTriage(), config.bot),
        slack=slack_settings(slack_api),
        serve=True,
    )
    sender = SlackSender(site.url, SIGNING_SECRET)
    yield SlackSite(site.url, store, slack_api, sender, slack_site.passwords)
    sender.close()
    site.stop()


class Agent:
    """An agent signed in to the web console's JSON API (cookies and CSRF token kept)."""

    def __init__(self, site: SlackSite, username: str = "agent"):
        self.client = httpx.Client(base_url=site.url, timeout=60)
        token = CSRF_INPUT.search(self.client.get("/login").text)[1]
        form = {
            "username": username,
            "password": site.passwords[username],
            "next": "/",
            "csrf_token": token,
        }
        assert self.client.post("/login", data=form).status_code == 303
        self.csrf = self.client.get("/api/v1/session").json()["csrf_token"]

    def post(self, path: str, body: dict) -> httpx.Response:
        return self.client.post(path, json=body, headers={"X-CSRF-Token": self.csrf})

    def close(self) -> None:
        self.client.close()
