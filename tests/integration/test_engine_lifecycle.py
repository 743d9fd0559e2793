"""The engine `servicedesk serve` starts lives and dies with it; a port someone else holds is
never used as if it were ours.

A fake llama.cpp server plays the engine: a package named ``llama_cpp.server`` first on
PYTHONPATH, so `serve` starts it exactly as it starts the real one (``python -m
llama_cpp.server --model ... --port ...``). It serves the OpenAI API (``/v1/models``, streamed
``/v1/chat/completions`` after a delay), writes its pid, and notes each request it gets.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ingest.pipeline import Ingestor
from retrieval.embedders import make_embedder
from retrieval.knowledge_base import KnowledgeBase
from retrieval.settings import RetrievalSettings
from tests.conftest import QUIET, free_port

pytestmark = pytest.mark.integration

FAKE_ENGINE = textwrap.dedent(
    """
    import argparse, http.server, json, os, time
    p = argparse.ArgumentParser()
    for flag in ("--model", "--model_alias", "--host", "--n_threads", "--n_ctx"):
        p.add_argument(flag)
    p.add_argument("--port", type=int)
    args = p.parse_args()
    folder = os.environ["FAKE_ENGINE_DIR"]
    with open(os.path.join(folder, "pid"), "w") as f:
        f.write(str(os.getpid()))
    REPLY = "Open the VPN client and sign in with your company account [1]."

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/v1/models" else 404)
            self.end_headers()
            self.wfile.write(b'{"object": "list", "data": [{"id": "m", "object": "model"}]}')

        def do_POST(self):
            self.rfile.read(int(self.headers.get("content-length", 0)))
            with open(os.path.join(folder, "completions"), "a") as f:
                f.write(self.path + "\\n")
            time.sleep(float(os.environ.get("FAKE_ENGINE_DELAY", "0")))
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            for word in REPLY.split(" "):
                chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
                         "choices": [{"index": 0, "delta": {"content": word + " "},
                                      "finish_reason": None}]}
                self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\\n\\n")
            self.wfile.write(b"data: [DONE]\\n\\n")

        def log_message(self, *a):
            pass

    http.server.ThreadingHTTPServer((args.host, args.port), H).serve_forever()
    """
)
VPN = """---
id: KB-VPN
title: VPN setup
---
Open the VPN client and sign in with your company account to connect to the office network.
"""


def gone(pid: int, timeout: float = 10) -> bool:
    """Whether process ``pid`` no longer exists within ``timeout`` seconds (zombies count as
    gone: they run nothing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ", 1)[1].startswith("Z"):
                    return True
        except (FileNotFoundError, ProcessLookupError):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture()
def fake_engine(tmp_path) -> Path:
    """A folder holding the fake ``llama_cpp.server`` package and what it writes."""
    server = tmp_path / "fake" / "llama_cpp" / "server"
    server.mkdir(parents=True)
    (server.parent / "__init__.py").write_text("")
    (server / "__init__.py").write_text("")
    (server / "__main__.py").write_text(FAKE_ENGINE)
    return tmp_path / "fake"


def engine_pid(folder: Path, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (folder / "pid").exists() and (folder / "pid").read_text():
            return int((folder / "pid").read_text())
        time.sleep(0.1)
    raise AssertionError("the fake engine never started")


def test_an_engine_dies_with_a_parent_that_is_killed_outright(tmp_path, fake_engine) -> None:
    # SIGKILL runs no handler and no `finally`: only the kernel's parent-death signal helps.
    port = free_port()
    parent = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from llm_server.engines import EngineProcess
        argv = [sys.executable, "-m", "llama_cpp.server", "--host", "127.0.0.1", "--port",
                "{port}"]
        engine = EngineProcess("fake", argv, "http://127.0.0.1:{port}/v1", Path("{tmp_path}/e.log"))
        engine.start().wait_ready(60)
        print("ready", flush=True)
        time.sleep(300)
        """
    )
    env = {**os.environ, "PYTHONPATH": f"{fake_engine}:{os.getcwd()}",
           "FAKE_ENGINE_DIR": str(fake_engine)}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-c", parent], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        pid = engine_pid(fake_engine)
        assert not gone(pid, timeout=0.5)
        proc.kill()
        proc.wait(10)
        assert gone(pid), "the engine outlived its killed parent"
    finally:
        proc.kill()


class Serve:
    """`servicedesk serve` with answers through the LLM on a data folder holding one article."""

    def __init__(self, tmp_path: Path, fake_engine: Path, engine_port: int, **env: str) -> None:
        data = tmp_path / "data"
        source = tmp_path / "kb"
        source.mkdir()
        (source / "vpn.md").write_text(VPN, encoding="utf-8")
        kb = KnowledgeBase(
            RetrievalSettings(data_dir=data, embedder="hash"), embedder=make_embedder("hash", 0, 16)
        )
        assert Ingestor(kb, QUIET).run([source]).ok
        kb.close()
        gguf = tmp_path / "model.gguf"
        gguf.write_bytes(b"GGUF")  # never read: the fake engine serves no model
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": f"{fake_engine}:{os.getcwd()}",
            "FAKE_ENGINE_DIR": str(fake_engine),
            "SERVICEDESK_DATA_DIR": str(data),
            "SERVICEDESK_DATABASE_URL": f"sqlite:///{data / 'desk.db'}",
            "SERVICEDESK_EMBEDDER": "hash",
            "SERVICEDESK_TRIAGE_EMBEDDERS": "",
            "SERVICEDESK_ANSWER_BACKEND": "llm",
            "SERVICEDESK_DECISION_THRESHOLD": "0",  # one article: every question is answered
            "SERVICEDESK_LLM_ENGINE": "llamacpp",
            "SERVICEDESK_LLM_GGUF_PATH": str(gguf),
            "SERVICEDESK_LLM_PORT": str(engine_port),
            "SERVICEDESK_LLM_STARTUP_TIMEOUT_S": "60",
            **env,
        }
        argv = [sys.executable, "-m", "bot.cli.main", "serve", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=environment
        )
        self.log: list[str] = []
        threading.Thread(target=lambda: self.log.extend(self.proc.stderr), daemon=True).start()

    def readyz_until(self, accept, timeout: float = 120) -> dict:
        """Poll /readyz until ``accept(llm_check)``; the last report."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                report = httpx.get(f"{self.url}/readyz", timeout=10).json()
                if accept(report["checks"]["llm"]):
                    return report
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"/readyz never showed that: {''.join(self.log[-20:])}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.kill()
        return self.proc.wait()


@pytest.fixture()
def ask_slowly(tmp_path, fake_engine) -> Iterator[Serve]:
    serve = Serve(tmp_path, fake_engine, free_port(), FAKE_ENGINE_DELAY="2")
    yield serve
    serve.stop()


def test_sigterm_lets_an_answer_in_flight_finish_then_stops_the_engine(
    ask_slowly, fake_engine
) -> None:
    serve = ask_slowly
    serve.readyz_until(lambda llm: llm["status"] == "ok")
    pid = engine_pid(fake_engine)
    answers: list[httpx.Response] = []
    question = {"question": "How do I connect to the VPN?"}
    asking = threading.Thread(
        target=lambda: answers.append(
            httpx.post(f"{serve.url}/api/v1/ask", json=question, timeout=60)
        )
    )
    asking.start()
    deadline = time.monotonic() + 30
    while not (fake_engine / "completions").exists():  # the answer is being generated
        assert time.monotonic() < deadline, "the question never reached the engine"
        time.sleep(0.05)
    serve.proc.send_signal(signal.SIGTERM)  # what `docker stop` and systemd send
    asking.join(60)
    assert answers and answers[0].status_code == 200, answers
    answer = answers[0].json()
    assert answer["decision"] == "answered" and answer["text"]
    assert serve.proc.wait(30) == 128 + signal.SIGTERM
    assert gone(pid), "the engine outlived `serve`"
    assert "Finished server process" in "".join(serve.log)


class Foreign(http.server.ThreadingHTTPServer):
    """Something else on the engine's port: an OpenAI-looking server that notes every request."""

    def __init__(self, port: int) -> None:
        self.paths: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.paths.append(self.path)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(json.dumps({"data": [{"id": "m"}]}).encode())

            do_POST = do_GET

            def log_message(self, *args) -> None:
                pass

        super().__init__(("127.0.0.1", port), Handler)


def test_a_port_taken_by_another_process_is_refused_never_used(tmp_path, fake_engine) -> None:
    port = free_port()
    foreign = Foreign(port)
    threading.Thread(target=foreign.serve_forever, daemon=True).start()
    serve = Serve(tmp_path, fake_engine, port)
    try:
        report = serve.readyz_until(
            lambda llm: llm["status"] == "down" and "taken" in llm["detail"]
        )
        assert report["status"] == "degraded"  # still serving: answers are extractive
        answer = httpx.post(f"{serve.url}/api/v1/ask", json={"question": "VPN setup?"}, timeout=60)
        assert answer.status_code == 200
        assert (answer.json()["backend"], answer.json()["fallback_reason"]) == (
            "extractive",
            "llm_unavailable",
        )
        serve.proc.send_signal(signal.SIGTERM)
        assert serve.proc.wait(30) == 128 + signal.SIGTERM
    finally:
        serve.stop()
        foreign.shutdown()
        foreign.server_close()
    assert foreign.paths == []  # not one request reached the process the app did not start
    assert not (fake_engine / "pid").exists()  # and no engine was started beside it
    log = "".join(serve.log)
    assert f"port {port} on 127.0.0.1 is taken by a process this app did not start" in log
