"""Request ids and JSON logs of `servicedesk serve` as an operator runs it
(`SERVICEDESK_LOG_FORMAT=json`): every line is a JSON object; a request's id comes from
`X-Request-ID` when it is a sane token (else a new one), goes back in the response and is on every
line the request logs; no query string and no unmasked personal data reaches the log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.e2e

EMAIL = "kim.minsu@example.com"


class Serve:
    """`servicedesk serve` in JSON mode, its stderr (the log) collected line by line."""

    def __init__(self, tmp_path) -> None:
        data = tmp_path / "data"
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "SERVICEDESK_DATA_DIR": str(data),
            "SERVICEDESK_DATABASE_URL": f"sqlite:///{data / 'desk.db'}",
            "SERVICEDESK_ANSWER_BACKEND": "extractive",
            "SERVICEDESK_EMBEDDER": "hash",  # not about answers: no model to load
            "SERVICEDESK_TRIAGE_EMBEDDERS": "",
            "SERVICEDESK_LOG_FORMAT": "json",
        }
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [sys.executable, "-m", "bot.cli.main", "serve", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
        )
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(self.proc.stderr), daemon=True).start()

    def wait_up(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if httpx.get(f"{self.url}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.3)
        raise RuntimeError(f"serve did not come up: {self.lines[-20:]}")

    def records(self) -> list[dict]:
        return [json.loads(line) for line in list(self.lines)]

    def wait_for(self, request_id: str, route: str, timeout: float = 10) -> list[dict]:
        """The records of ``request_id`` once its request record (``route``) is logged."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mine = [r for r in self.records() if r.get("request_id") == request_id]
            if any(r.get("route") == route for r in mine):
                return mine
            time.sleep(0.05)
        raise AssertionError(f"no request record for {request_id}: {self.lines[-10:]}")

    def stop(self) -> int:
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.terminate()
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Serve]:
    serve = Serve(tmp_path_factory.mktemp("request_ids"))
    try:
        serve.wait_up()
        yield serve
    finally:
        serve.stop()


def test_a_sane_request_id_is_echoed_and_on_the_request_record(served) -> None:
    response = httpx.get(f"{served.url}/healthz", headers={"X-Request-ID": "lb-7f3a-0001"})
    assert response.headers["x-request-id"] == "lb-7f3a-0001"
    [record] = [r for r in served.wait_for("lb-7f3a-0001", "/healthz") if r.get("route")]
    assert record["logger"] == "bot.web.access" and record["level"] == "INFO"
    assert (record["method"], record["status"], record["path"]) == ("GET", 200, "/healthz")
    assert isinstance(record["duration_ms"], float) and record["duration_ms"] >= 0
    assert record["time"].endswith("+00:00")


@pytest.mark.parametrize(
    "sent",
    ["x" * 129, "id with spaces", "<script>", "ünïcode".encode()],
    ids=["too-long", "spaces", "markup", "non-ascii"],
)
def test_an_unsafe_request_id_is_replaced_by_a_new_one(served, sent) -> None:
    response = httpx.get(f"{served.url}/healthz", headers={"X-Request-ID": sent})
    assigned = response.headers["x-request-id"]
    assert assigned != sent and len(assigned) == 32 and int(assigned, 16) >= 0
    assert served.wait_for(assigned, "/healthz")


def test_lines_logged_during_a_request_carry_its_id_and_no_personal_data(served) -> None:
    question = f"My account {EMAIL} is locked, what now?"
    response = httpx.post(
        f"{served.url}/api/v1/ask", json={"question": question}, headers={"X-Request-ID": "ask-1"}
    )
    assert response.status_code == 200 and response.headers["x-request-id"] == "ask-1"
    mine = served.wait_for("ask-1", "/api/v1/ask")
    loggers = {r["logger"] for r in mine}
    assert "bot.desk.desk" in loggers  # the Desk's "question ..." line, inside the request
    assert "bot.web.access" in loggers
    log = "\n".join(served.lines)
    assert EMAIL not in log and "kim.minsu" not in log


def test_no_query_string_reaches_the_log(served) -> None:
    secret = "passw0rd-typed-into-search"
    response = httpx.get(
        f"{served.url}/api/v1/search", params={"q": secret}, headers={"X-Request-ID": "search-1"}
    )
    assert response.status_code == 200
    [record] = [r for r in served.wait_for("search-1", "/api/v1/search") if r.get("route")]
    assert record["path"] == "/api/v1/search"
    assert secret not in "\n".join(served.lines)


def test_every_line_is_json_from_start_to_stop(served) -> None:
    # Last in this module: it stops the server the tests above share.
    code = served.stop()
    time.sleep(0.2)  # the reader thread takes the last lines
    records = served.records()  # raises if any line is not JSON
    assert code == 143  # stopped by SIGTERM, after shutting down cleanly
    messages = [r["message"] for r in records]
    assert any("Application startup complete" in m for m in messages)
    assert any("Finished server process" in m for m in messages)
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
