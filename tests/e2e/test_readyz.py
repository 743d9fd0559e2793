"""/readyz over real HTTP: each dependency reported with its status and latency; 503 when the
database or the Chroma server really goes away, 200 (degraded) when only the LLM does; every
check bounded in time. /healthz stays liveness.

Real components on loopback: the app served by uvicorn, a private PostgreSQL server (Debian's),
a `chroma run` server; knowledge bases on the `hash` embedder (this is about reachability).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from retrieval.embedders import make_embedder
from retrieval.knowledge_base import KnowledgeBase
from retrieval.settings import RetrievalSettings
from tests.conftest import free_port
from tests.fakes import FixedTriage, ScriptedChatModel
from tests.postgres import PostgresServer, PostgresUnavailable, start_postgres
from tests.sites import Site, build_site, site_config

pytestmark = pytest.mark.e2e


def _kb(data: Path, **retrieval) -> KnowledgeBase:
    settings = RetrievalSettings(data_dir=data, embedder="hash", **retrieval)
    return KnowledgeBase(settings, embedder=make_embedder("hash", 0, 16))


def _site(root: Path, kb: KnowledgeBase | None = None, chat=None, **bot) -> Site:
    bot.setdefault("database_url", f"sqlite:///{root}/desk.db")
    config = site_config(root / "data", **bot)
    kb = kb or _kb(root / "data")
    return build_site(config, kb=kb, chat=chat, triage=FixedTriage(), serve=True)


def readyz(site: Site) -> tuple[int, dict, float]:
    started = time.perf_counter()
    response = httpx.get(f"{site.url}/readyz", timeout=30)
    return response.status_code, response.json(), time.perf_counter() - started


@pytest.fixture()
def llm_site(tmp_path) -> Iterator[tuple[Site, ScriptedChatModel]]:
    chat = ScriptedChatModel([], up=True)
    site = _site(tmp_path, chat=chat, answer_backend="llm", readiness_timeout_s=0.5)
    yield site, chat
    site.stop()
    site.services.close()


@pytest.fixture()
def postgres() -> Iterator[PostgresServer]:
    try:
        server = start_postgres()
    except PostgresUnavailable as err:
        pytest.fail(str(err), pytrace=False)
    yield server
    if server.root.exists():  # not stopped by the test already
        server.stop()


@pytest.fixture()
def chroma_server(tmp_path) -> Iterator[tuple[subprocess.Popen, int]]:
    exe = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    port = free_port()
    argv = [exe, "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1"]
    proc = subprocess.Popen(
        [*argv, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while not _heartbeat(port):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("chroma server did not start")
        time.sleep(0.1)
    yield proc, port
    proc.terminate()
    proc.wait(10)


def _heartbeat(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).is_success
    except httpx.HTTPError:
        return False


def test_every_component_is_reported_with_status_and_latency(llm_site) -> None:
    site, _ = llm_site
    status, body, _ = readyz(site)
    assert status == 200 and body["status"] == "ready"
    checks = body["checks"]
    assert set(checks) == {"database", "chroma", "llm", "queue"}
    for name in ("database", "chroma", "llm"):
        assert checks[name]["status"] == "ok", checks
        assert 0 <= checks[name]["latency_ms"] < 2000
    assert checks["chroma"]["detail"] == "embedded"  # persistent mode: inside the process
    assert checks["queue"] == {"status": "not configured", "required": False}
    assert (checks["database"]["required"], checks["llm"]["required"]) == (True, False)
    assert httpx.get(f"{site.url}/healthz").json()["status"] == "ok"


def test_an_llm_that_stops_answering_degrades_but_keeps_the_node_ready(llm_site) -> None:
    site, chat = llm_site
    chat.up = False  # the endpoint stops answering its probe
    status, body, _ = readyz(site)
    assert status == 200 and body["status"] == "degraded"
    assert body["checks"]["llm"]["status"] == "down"
    assert "extractive" in body["checks"]["llm"]["detail"]
    answer = httpx.post(f"{site.url}/api/v1/ask", json={"question": "VPN이 안 돼요"}).json()
    assert answer["backend"] in ("extractive", "none")  # answers go on without it


def test_a_check_that_hangs_is_reported_within_its_bound_and_not_piled_up(llm_site) -> None:
    site, _ = llm_site
    calls = []

    def stuck_queue() -> None:
        calls.append(1)
        time.sleep(5)  # a broker that accepts the connection and never answers

    site.services.readiness.add("queue", stuck_queue)  # the seam the task queue plugs into
    first = readyz(site)
    second = readyz(site)
    for status, body, seconds in (first, second):
        assert status == 503 and body["status"] == "unready"
        assert body["checks"]["queue"]["status"] == "timeout"
        assert body["checks"]["database"]["status"] == "ok"
        assert seconds < 2.0  # bounded by SERVICEDESK_READINESS_TIMEOUT_S=0.5, checks in parallel
    assert len(calls) == 1  # the second report did not start another hanging probe


def test_a_database_that_goes_down_makes_the_node_unready(tmp_path, postgres) -> None:
    site = _site(tmp_path, database_url=postgres.create_database())
    try:
        status, body, _ = readyz(site)
        assert status == 200 and body["checks"]["database"]["status"] == "ok"
        postgres.stop()  # the server goes away (as in a failover or a crash)
        status, body, seconds = readyz(site)
    finally:
        site.stop()
        site.services.close()
    assert status == 503 and body["status"] == "unready"
    database = body["checks"]["database"]
    assert database["status"] == "down" and database["detail"] == "OperationalError"
    assert "postgres" not in str(body) and str(postgres.port) not in str(body)  # no URL shown
    assert body["checks"]["chroma"]["status"] == "ok" and seconds < 5


def test_a_chroma_server_that_goes_down_makes_the_node_unready(tmp_path, chroma_server) -> None:
    proc, port = chroma_server
    kb = _kb(tmp_path / "data", chroma_mode="http", chroma_host="127.0.0.1", chroma_port=port)
    site = _site(tmp_path, kb=kb)
    try:
        status, body, _ = readyz(site)
        assert status == 200 and body["checks"]["chroma"]["status"] == "ok"
        proc.terminate()
        proc.wait(10)
        status, body, seconds = readyz(site)
    finally:
        site.stop()
        site.services.close()
    assert status == 503 and body["status"] == "unready"
    assert body["checks"]["chroma"]["status"] == "down"
    assert body["checks"]["database"]["status"] == "ok" and seconds < 5
