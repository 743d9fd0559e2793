"""The task worker for real: huey on SQLite in the data folder, `servicedesk worker` as a process
against the Slack Web API stand-in, and `serve`'s embedded worker on a site served over HTTP."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.insights.incidents import ALERT_ACTION
from bot.settings import BotSettings
from bot.store import SqlStore, open_store
from bot.store.schema import ConversationRow, TurnRow
from bot.tickets.accounts import seed_demo_accounts
from bot.tickets.casework import Casework
from bot.tickets.notify import Notifiers
from bot.tickets.records import Account, TicketDraft, TurnRecord, utcnow
from bot.worker import Job, Worker, serve_jobs
from tests.fakes import FixedTriage, HashEmbeddings
from tests.redis import RedisServer
from tests.sites import Site, build_site, sign_in, site_config
from tests.slack.slack_api import SlackApi

pytestmark = pytest.mark.e2e

CHANNEL, TS = "C0HELP001", "1700000000.000100"
OPS = "C0OPS0001"
AGENT = Account("agent", "agent")
BURST = [("VPN is down", f"emp{i % 3}") for i in range(9)]  # 9 alike, from 3 people


class RecordingNotifier:
    """Stands in for Slack where Slack is not the point: remembers what reached it."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def notify(self, ticket, message) -> None:
        self.sent.append((ticket.number, message.kind, message.text))


class Elsewhere:
    """The test process's notifier: Slack tickets get outbox rows here, another process sends."""

    def notify(self, ticket, message) -> None:
        raise AssertionError("the worker process delivers, not the test")


def wait_for(probe: Callable[[], object], timeout: float = 60, what: str = "") -> object:
    """Poll ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or probe}")


def slack_ticket(store: SqlStore, key: str = "k1") -> str:
    draft = TicketDraft("VPN 접속 불가", "재택 중 VPN이 안 됩니다", "network", "P3", "Network")
    thread = f"{CHANNEL}:{TS}"
    return store.file_ticket(None, draft, "U0EMP", "slack", key, thread_ref=thread).number


def ask_all(store: SqlStore, questions: list[tuple[str, str]], minutes_ago: float = 1) -> None:
    """Store each (question, asker) as a conversation with an answer, ``minutes_ago`` back."""
    at = utcnow() - timedelta(minutes=minutes_ago)
    answer = {"decision": "answered", "retrieved": ["network/vpn-en"], "citations": []}
    for text, user in questions:
        conversation = store.start_conversation("web", user)
        store.add_turn(conversation.id, TurnRecord("user", text, created_at=at))
        store.add_turn(
            conversation.id, TurnRecord("assistant", "...", answer=answer, created_at=at)
        )


def ask_in_bulk(store: SqlStore, questions: list[tuple[str, str]]) -> None:
    """Like :func:`ask_all` for thousands of questions: one transaction."""
    from sqlalchemy.orm import Session

    at = utcnow() - timedelta(minutes=2)
    answer = {"decision": "answered", "retrieved": ["network/vpn-en"], "citations": []}
    with Session(store.engine) as session, session.begin():
        for text, user in questions:
            conversation = ConversationRow(channel="web", user=user, thread_ref="", created_at=at)
            conversation.turns = [
                TurnRow(role="user", text=text, answer=None, created_at=at),
                TurnRow(role="assistant", text="...", answer=answer, created_at=at),
            ]
            session.add(conversation)


def alerts(store: SqlStore) -> list:
    return [e for e in store.audit_events(1000) if e.action == ALERT_ACTION]


# -- `servicedesk worker` as a process -----------------------------------------------------------


def _worker_env(tmp_path: Path, api: SlackApi, url: str) -> dict[str, str]:
    mine = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEDESK_")}
    return {
        **mine,
        "PYTHONUNBUFFERED": "1",
        "HF_HUB_OFFLINE": "1",
        "SERVICEDESK_DATA_DIR": str(tmp_path / "data"),
        "SERVICEDESK_DATABASE_URL": url,
        "SERVICEDESK_ANSWER_BACKEND": "extractive",
        "SERVICEDESK_EMBEDDER": "hash",  # the incident check embeds questions with it
        "SERVICEDESK_SLACK_BOT_TOKEN": api.token,
        "SERVICEDESK_SLACK_API_URL": api.url,
        "SERVICEDESK_SLACK_OPS_CHANNEL": OPS,
        "SERVICEDESK_INCIDENT_CHECK_S": "1",
        "SERVICEDESK_OUTBOX_POLL_S": "1",
        "SERVICEDESK_OUTBOX_RETRY_S": "0.5",
    }


def _worker_command(*args: str) -> list[str]:
    installed = Path(sys.executable).with_name("servicedesk")
    command = [str(installed)] if installed.exists() else [sys.executable, "-m", "bot.cli.main"]
    return [*command, "worker", *args]


def _start_worker(env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen(
        _worker_command(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=cwd,  # no .env of the checkout applies
    )
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
    return proc, lines


def test_the_worker_process_delivers_a_reply_after_a_slack_outage_alerts_and_stops_on_sigterm(
    tmp_path,
) -> None:
    api = SlackApi().start()
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    store = open_store(BotSettings(_env_file=None, database_url=url))
    notifiers = Notifiers()
    notifiers.register("slack", Elsewhere())
    number = slack_ticket(store)
    Casework(store, notifiers).reply(number, AGENT, "Reconnect after the fix, please")
    api.fail_next("chat.postMessage", 503, "service_unavailable", times=2, channel=CHANNEL)
    ask_all(store, BURST)
    proc, lines = _start_worker(_worker_env(tmp_path, api, url), tmp_path)
    try:
        posted = api.wait_for(
            lambda: [p for p in api.thread(CHANNEL, TS) if "Reconnect" in p.all_text()],
            timeout=120,
            what=f"the reply in the thread; worker said {lines}",
        )
        assert len(posted) == 1  # two refused attempts, then one post: never two
        tries = api.calls_to("chat.postMessage", channel=CHANNEL)
        assert [c.status for c in tries] == [503, 503, 200]
        wait_for(lambda: store.outbox_counts()["sent"] == 1, what="the row marked sent")
        alert = api.wait_for(lambda: api.top_level(OPS), timeout=60, what="the incident alert")
        assert "Possible incident" in alert[0].text and len(alerts(store)) == 1
        assert any(line.startswith("worker: queue sqlite") for line in lines), lines
        stopping = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        took = time.monotonic() - stopping
    finally:
        if proc.poll() is None:
            proc.kill()
        api.stop()
        store.close()
    assert took < 15, f"the worker took {took:.1f} s to stop"
    assert any("worker stopped" in line for line in lines), lines


def test_worker_once_runs_each_job_once_and_exits(tmp_path) -> None:
    api = SlackApi().start()
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    store = open_store(BotSettings(_env_file=None, database_url=url))
    notifiers = Notifiers()
    notifiers.register("slack", Elsewhere())
    number = slack_ticket(store)
    Casework(store, notifiers).resolve(number, AGENT, "Reissued the VPN certificate")
    try:
        done = subprocess.run(
            _worker_command("--once"),
            env=_worker_env(tmp_path, api, url),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        [status] = api.thread(CHANNEL, TS)
        assert "Reissued the VPN certificate" in status.all_text()
        assert store.outbox_counts()["sent"] == 1
    finally:
        api.stop()
        store.close()


# -- `serve`'s worker, embedded or external ---------------------------------------------------


def _site(tmp_path: Path, recorder: RecordingNotifier, **bot) -> Site:
    notifiers = Notifiers()
    notifiers.register("slack", recorder)
    config = site_config(
        tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'desk.db'}",
        incident_check_s=1,
        outbox_poll_s=1,
        **bot,
    )
    embedder = HashEmbeddings()
    return build_site(config, embedder=embedder, triage=FixedTriage(), notifiers=notifiers)


@pytest.fixture()
def recorder() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture()
def embedded(tmp_path, recorder) -> Iterator[Site]:
    site = _site(tmp_path, recorder).serve()
    yield site
    site.stop()
    site.services.close()


def test_serve_s_embedded_worker_alerts_unasked_and_delivers_replies_at_once(
    embedded, recorder
) -> None:
    passwords = seed_demo_accounts(embedded.store, force_change=False)
    jobs = serve_jobs(embedded.services)  # SERVICEDESK_WORKER=embedded, the default
    try:
        ask_all(embedded.store, BURST)  # stored by another node: no request here at all
        wait_for(lambda: alerts(embedded.store), timeout=30, what="the incident alert")
        number = slack_ticket(embedded.store)
        with closing(sign_in(embedded.url, "agent", passwords["agent"])) as agent:
            replied = agent.post(f"/api/v1/agent/tickets/{number}/reply", json={"text": "On it"})
            assert replied.status_code == 201, replied.text
        wait_for(lambda: recorder.sent, timeout=30, what="the reply at the notifier")
        assert recorder.sent == [(number, "reply", "On it")]
        queue = httpx.get(f"{embedded.url}/readyz").json()["checks"]["queue"]
        assert queue["status"] == "ok" and "outbox 0 pending, 0 failed" in queue["detail"]
        metrics = httpx.get(f"{embedded.url}/metrics").text
        assert 'servicedesk_queue_depth{queue="outbox"} 0.0' in metrics
    finally:
        jobs.stop()
    assert len(alerts(embedded.store)) == 1 and embedded.store.outbox_counts()["sent"] == 1


@pytest.fixture(params=["sqlite", "redis"])
def queue_url(request, tmp_path) -> Iterator[str]:
    """The task queue: "" (SQLite in the data folder) or a throwaway Redis server's URL."""
    if request.param == "sqlite":
        yield ""
        return
    (tmp_path / "redis").mkdir()
    server = RedisServer(tmp_path / "redis").start()
    yield server.url
    server.stop()


def test_with_an_external_worker_serve_only_queues_and_the_worker_delivers(
    tmp_path, recorder, queue_url
) -> None:
    site = _site(tmp_path, recorder, worker="external", queue_url=queue_url)
    jobs = serve_jobs(site.services)  # consumes nothing here
    try:
        number = slack_ticket(site.store)
        site.services.casework.reply(number, AGENT, "Fixed on our side")
        assert recorder.sent == [] and site.store.outbox_counts()["pending"] == 1
        assert jobs.huey.pending_count() >= 1  # the wake-up waits for a worker
        worker = Worker(site.services).start()  # as `servicedesk worker` would, on one host
        try:
            wait_for(lambda: recorder.sent, timeout=30, what="the reply at the notifier")
        finally:
            worker.stop()
        assert recorder.sent == [(number, "reply", "Fixed on our side")]
    finally:
        jobs.stop()
        site.services.close()


def test_stopping_lets_the_running_job_finish(tmp_path, recorder) -> None:
    site = _site(tmp_path, recorder)
    started, finished = threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        time.sleep(1.5)
        finished.set()

    worker = Worker(site.services, jobs=[Job("slow_report", 3600, slow)]).start()
    try:
        assert started.wait(30), "the job never started"
    finally:
        worker.stop()
    assert finished.is_set()  # stop() returned only once the job had finished
    site.services.close()


# -- the request path no longer clusters (figures, not assertions on time) --------------------


def _asks(client, n: int) -> list[float]:
    timings = []
    for i in range(n):
        conversation = client.post("/api/v1/conversations").json()["id"]
        started = time.perf_counter()
        asked = client.post(
            f"/api/v1/conversations/{conversation}/messages",
            json={"question": f"My VPN keeps disconnecting, what should I do? ({i})"},
        )
        timings.append((time.perf_counter() - started) * 1000)
        assert asked.status_code == 200, asked.text
    return timings


def test_an_ask_with_2000_questions_in_the_window_does_no_incident_work(embedded, capsys) -> None:
    passwords = seed_demo_accounts(embedded.store, force_change=False)
    with closing(sign_in(embedded.url, "employee", passwords["employee"])) as employee:
        _asks(employee, 3)  # warm up
        empty = _asks(employee, 15)
        vpn = [(f"VPN is down again on floor {i % 9}", f"emp{i % 40}") for i in range(1500)]
        other = [(f"How do I request software licence {i}?", f"emp{i % 50}") for i in range(500)]
        ask_in_bulk(embedded.store, vpn + other)
        full = _asks(employee, 15)
    assert alerts(embedded.store) == []  # asking never ran the detection
    monitor = embedded.services.incidents
    started = time.perf_counter()
    raised = monitor.check()
    first = time.perf_counter() - started
    started = time.perf_counter()
    assert monitor.check() == []  # nothing new: no clustering at all
    again = time.perf_counter() - started
    assert raised and len(alerts(embedded.store)) == len(raised)
    with capsys.disabled():
        print(
            f"\nask p50/max: {statistics.median(empty):.0f}/{max(empty):.0f} ms with an empty "
            f"window, {statistics.median(full):.0f}/{max(full):.0f} ms with 2,000 questions in "
            f"it; the worker's check: {first * 1000:.0f} ms (2,000 questions), "
            f"{again * 1000:.0f} ms when nothing is new"
        )
