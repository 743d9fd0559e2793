"""Which LLM failures switch every user to extractive answers, and the bound on calls in flight.

The client talks to a local HTTP server that plays an OpenAI-compatible endpoint: ``/models``
answers 200, ``/chat/completions`` the status the test sets.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.desk.desk import Desk
from bot.settings import BotSettings
from llm_server.client import BoundedChatModel, LLMUnavailable, OpenAIChatModel
from llm_server.settings import LLMSettings
from tests.conftest import free_port
from tests.fakes import ScriptedChatModel, StaticRetriever, make_hit

pytestmark = pytest.mark.unit


class FakeEndpoint(BaseHTTPRequestHandler):
    status = 200  # what /chat/completions answers (set by the test)

    def do_GET(self) -> None:
        self._send(200, {"object": "list", "data": [{"id": "servicedesk-llm"}]})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        error = {"message": "maximum context length exceeded", "type": "invalid_request_error"}
        self._send(type(self).status, {"error": error})

    def _send(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[tuple[str, type[FakeEndpoint]]]:
    handler = type("Endpoint", (FakeEndpoint,), {})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler
    server.shutdown()
    server.server_close()


def client(base_url: str) -> OpenAIChatModel:
    settings = LLMSettings(_env_file=None, base_url=base_url, max_retries=0, timeout_s=5)
    return OpenAIChatModel(settings, probe_every_s=600)  # no re-probe within the test


def test_a_400_for_one_request_does_not_mark_the_model_down(endpoint) -> None:
    url, handler = endpoint
    model = client(url)
    assert model.available()
    handler.status = 400  # e.g. this request's context is too long
    with pytest.raises(LLMUnavailable):
        model.complete([("user", "a very long question")])
    assert model.available(), "one refused request must not switch everyone to extractive"


def test_a_5xx_marks_the_model_down_until_the_next_probe(endpoint) -> None:
    url, handler = endpoint
    model = client(url)
    assert model.available()
    handler.status = 503
    with pytest.raises(LLMUnavailable):
        model.complete([("user", "hello")])
    assert not model.available()


def test_a_transport_error_marks_the_model_down(endpoint) -> None:
    url, _ = endpoint
    model = client(url)
    assert model.available()
    model.settings = model.settings.model_copy(
        update={"base_url": f"http://127.0.0.1:{free_port()}/v1"}
    )
    model._llm = None  # the next request goes to the port nothing listens on
    with pytest.raises(LLMUnavailable):
        model.complete([("user", "hello")])
    assert not model.available()


def test_the_bound_refuses_a_call_beyond_it_at_once_and_frees_its_slot() -> None:
    bounded = BoundedChatModel(ScriptedChatModel(["first reply", "second", "third"]), limit=1)
    held = bounded.stream([("user", "one")])
    assert next(held) == "first "  # the first call is in flight, holding the only slot
    with pytest.raises(LLMUnavailable, match="busy"):
        bounded.complete([("user", "two")])
    assert "".join(held) == "reply"  # the first call ends: its slot is free again
    assert bounded.complete([("user", "three")]) == "second"


def test_a_saturated_llm_gets_an_extractive_answer_not_a_wait() -> None:
    hit = make_hit("vpn", "Reset the VPN client: open Settings and choose Reset.", 0.95)
    scripted = ScriptedChatModel(
        ["a long answer to someone else", "Open Settings and choose Reset [1]."]
    )
    bounded = BoundedChatModel(scripted, limit=1)
    settings = BotSettings(_env_file=None, answer_backend="llm", rewrite_followups=False)
    desk = Desk(StaticRetriever([hit]), settings, bounded)
    slot = bounded.stream([("user", "someone else's long answer")])
    next(slot)  # every slot is taken
    answer = desk.ask("How do I reset the VPN?")
    assert answer.backend == "extractive" and answer.fallback_reason == "llm_unavailable"
    slot.close()  # the slot is released
    answer = desk.ask("How do I reset the VPN?")
    assert answer.backend == "llm", answer.fallback_reason
