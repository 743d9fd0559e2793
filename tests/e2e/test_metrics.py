"""/metrics over real HTTP: what an operator's Prometheus reads after employees ask and file
tickets, labelled by route template, and who may read it.

The real app on a small real KB (`hash` embedder: this is about counting, not ranking), answers
through the LLM backend with a scripted model that fails once (a fallback, an LLM error).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.tickets.accounts import hash_password
from bot.tickets.records import Account
from bot.web.auth import behind_proxies
from ingest.pipeline import Ingestor
from retrieval.embedders import make_embedder
from retrieval.knowledge_base import KnowledgeBase
from retrieval.settings import RetrievalSettings
from tests.conftest import QUIET, Served, serve_app
from tests.fakes import FixedTriage, ScriptedChatModel
from tests.sites import Site, build_site, sign_in, site_config

pytestmark = pytest.mark.e2e

PASSWORD = "metrics-pw-1"
TOKEN = "scrape-token-0123456789abcdef"
VPN = """---
id: KB-VPN
title: VPN setup
---
Open the VPN client and sign in with your company account to connect to the office network.
"""


def _site(root: Path, **bot) -> Site:
    source = root / "kb"
    source.mkdir()
    (source / "vpn.md").write_text(VPN, encoding="utf-8")
    settings = RetrievalSettings(data_dir=root / "data", embedder="hash")
    kb = KnowledgeBase(settings, embedder=make_embedder("hash", 0, 16))
    assert Ingestor(kb, QUIET).run([source]).ok
    config = site_config(
        settings.data_dir,
        database_url=f"sqlite:///{root}/desk.db",
        answer_backend="llm",
        decision_threshold=0.0,  # every question with a hit is answered: counting, not ranking
        **bot,
    )
    # An endpoint that looks up but fails every request: each answer falls back.
    chat = ScriptedChatModel([RuntimeError("APIConnectionError: connection refused")] * 500)
    site = build_site(config, kb=kb, chat=chat, triage=FixedTriage(), serve=True)
    site.store.add_account(Account("employee", "employee"), hash_password(PASSWORD))  # type: ignore[arg-type]
    return site


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    built = _site(tmp_path_factory.mktemp("metrics"))
    yield built
    built.stop()
    built.services.close()


@pytest.fixture(scope="module")
def guarded(tmp_path_factory) -> Iterator[Site]:
    built = _site(tmp_path_factory.mktemp("metrics_token"), metrics_token=TOKEN)
    yield built
    built.stop()
    built.services.close()


def samples(text: str, name: str) -> dict[tuple, float]:
    """Every sample called ``name``: its labels (sorted pairs) -> value."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    """The sample ``name`` with exactly ``labels`` (0 when absent, as Prometheus reads it)."""
    return samples(text, name).get(tuple(sorted(labels.items())), 0.0)


def scrape(url: str, **headers: str) -> str:
    response = httpx.get(f"{url}/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return response.text


def eventually(url: str, name: str, expected: float, **labels: str) -> str:
    """Scrape until ``name{labels}`` reaches ``expected`` (a request is counted just after its
    response is sent); the last scrape."""
    deadline = time.monotonic() + 5
    while True:
        text = scrape(url)
        if value(text, name, **labels) >= expected or time.monotonic() > deadline:
            return text
        time.sleep(0.05)


def test_an_ask_counts_an_answer_by_decision_and_backend_with_its_fallback(site) -> None:
    before = scrape(site.url)
    answered = httpx.post(f"{site.url}/api/v1/ask", json={"question": "How do I connect to VPN?"})
    assert answered.status_code == 200
    assert (answered.json()["backend"], answered.json()["fallback_reason"]) == (
        "extractive",
        "llm_unavailable",
    )
    after = scrape(site.url)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("servicedesk_answers_total", decision="answered", backend="extractive") == 1
    assert moved("servicedesk_answers_total", decision="answered", backend="llm") == 0
    assert moved("servicedesk_answer_fallbacks_total", reason="llm_unavailable") == 1
    assert moved("servicedesk_llm_errors_total", kind="APIConnectionError") == 1
    assert moved("servicedesk_llm_request_duration_seconds_count", outcome="error") == 1
    assert moved("servicedesk_answer_duration_seconds_count", backend="extractive") == 1
    assert value(after, "servicedesk_index_size", kind="articles") == 1
    assert value(after, "servicedesk_index_size", kind="chunks") >= 1


def test_requests_are_labelled_by_route_template_never_by_raw_path(site) -> None:
    template = "/api/v1/conversations/{conversation_id}/messages"
    before = value(
        scrape(site.url), "servicedesk_http_requests_total",
        route=template, method="POST", status="200",
    )  # fmt: skip
    with closing(sign_in(site.url, "employee", PASSWORD)) as employee:
        for _ in range(2):  # two conversations: two ids in the paths, one series
            cid = employee.post("/api/v1/conversations").json()["id"]
            asked = employee.post(
                f"/api/v1/conversations/{cid}/messages", json={"question": "VPN?"}
            )
            assert asked.status_code == 200
    assert httpx.get(f"{site.url}/no/such/page/12345").status_code == 404
    text = eventually(site.url, "servicedesk_http_requests_total", 1, route="unmatched",
                      method="GET", status="404")  # fmt: skip
    series = samples(text, "servicedesk_http_requests_total")
    assert (
        value(text, "servicedesk_http_requests_total", route=template, method="POST", status="200")
        == before + 2
    )
    routes = {dict(labels)["route"] for labels in series}
    assert not [r for r in routes if re.search(r"/\d+", r)], routes  # no id made a series
    assert "unmatched" in routes and not any("no/such" in r for r in routes)
    durations = samples(text, "servicedesk_http_request_duration_seconds_count")
    assert (("method", "POST"), ("route", template)) in durations


def test_a_filed_ticket_is_counted_once_by_channel(site) -> None:
    name = "servicedesk_tickets_filed_total"
    before = value(scrape(site.url), name, channel="web")
    with closing(sign_in(site.url, "employee", PASSWORD)) as employee:
        cid = employee.post("/api/v1/conversations").json()["id"]
        employee.post(f"/api/v1/conversations/{cid}/messages", json={"question": "VPN fails"})
        offer = employee.post(f"/api/v1/conversations/{cid}/draft").json()
        body = {**offer["draft"], "idempotency_key": offer["idempotency_key"]}
        first = employee.post(f"/api/v1/conversations/{cid}/ticket", json=body)
        again = employee.post(f"/api/v1/conversations/{cid}/ticket", json=body)  # a retry
    assert (first.status_code, again.status_code) == (201, 200)
    assert value(scrape(site.url), name, channel="web") == before + 1


def test_metrics_hold_no_question_text(site) -> None:
    question = "my password is Hunter2-Secret, VPN down"
    httpx.post(f"{site.url}/api/v1/ask", json={"question": question})
    text = scrape(site.url)
    assert "Hunter2" not in text and "VPN down" not in text


def test_without_a_token_only_loopback_clients_may_scrape(site) -> None:
    # As `serve` runs the app: a public client relayed by the local proxy is not loopback.
    relayed: Served = serve_app(behind_proxies(site.app, "127.0.0.1"))
    try:
        public = httpx.get(f"{relayed.url}/metrics", headers={"X-Forwarded-For": "203.0.113.7"})
        local = httpx.get(f"{relayed.url}/metrics")
    finally:
        relayed.stop()
    assert public.status_code == 403 and "servicedesk_" not in public.text
    assert local.status_code == 200 and "servicedesk_answers" in local.text


def test_with_a_token_every_scraper_must_send_it(guarded) -> None:
    url = f"{guarded.url}/metrics"
    assert httpx.get(url).status_code == 401  # loopback is not enough once a token is set
    wrong = httpx.get(url, headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert httpx.get(url, headers={"Authorization": TOKEN}).status_code == 401  # no scheme
    text = scrape(guarded.url, Authorization=f"Bearer {TOKEN}")
    assert "servicedesk_http_requests_total" in text


def test_two_apps_in_one_process_count_apart(site, guarded) -> None:
    httpx.post(f"{guarded.url}/api/v1/ask", json={"question": "How do I connect to VPN?"})
    mine = scrape(guarded.url, Authorization=f"Bearer {TOKEN}")
    theirs = scrape(site.url)
    key = {"route": "/api/v1/ask", "method": "POST", "status": "200"}
    assert value(mine, "servicedesk_http_requests_total", **key) == 1
    assert value(theirs, "servicedesk_http_requests_total", **key) >= 2


WORKERS = """
import multiprocessing, sys


def worker(n):
    from bot.observability.metrics import Metrics

    metrics = Metrics()
    for _ in range(n):
        metrics.request("/healthz", "GET", 200, 0.01)


if __name__ == "__main__":
    spawn = multiprocessing.get_context("spawn")  # fresh interpreters, as uvicorn's workers
    workers = [spawn.Process(target=worker, args=(n,)) for n in (2, 5)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    from bot.observability.metrics import Metrics

    sys.stdout.write(Metrics(index_size=lambda: (3, 9)).exposition().decode())
"""


def test_in_multiprocess_mode_any_worker_serves_every_workers_counts(tmp_path) -> None:
    # `PROMETHEUS_MULTIPROC_DIR`: how several uvicorn workers of one node report as one.
    script = tmp_path / "workers.py"
    script.write_text(WORKERS)
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "PYTHONPATH": os.getcwd()}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    key = {"route": "/healthz", "method": "GET", "status": "200"}
    assert value(done.stdout, "servicedesk_http_requests_total", **key) == 7  # 2 + 5
    assert value(done.stdout, "servicedesk_index_size", kind="chunks") == 9  # read live
