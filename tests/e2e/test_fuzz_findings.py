"""What the API fuzzer (tests/fuzz) found, each pinned over HTTP against the real app.

- A conversation id past the store's integer range (``/api/v1/conversations/10626638529674645504
  /ticket``) reached the database driver: OverflowError, a 500. Ids are now bounded (422).
- The chat page's ``?c=`` took any ``str.isdigit()`` text: ``?c=²`` is a digit to Python and not
  to ``int()``, another 500.
- A body that is not UTF-8 gets FastAPI's 400, which no operation documented.
- Streamed answers were documented as one string; schemathesis (as OpenAPI before 3.2 has it)
  reads a stream's schema as one event's: ``event`` and ``data``.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bot.tickets.accounts import hash_password
from bot.tickets.records import Account
from retrieval.hash_embedder import HashEmbeddings
from tests.fakes import FixedTriage
from tests.sites import Site, build_site, sign_in, site_config

pytestmark = pytest.mark.e2e

PASSWORDS = {"erin": "erin-password-1", "ali": "ali-password-1"}
PAST_SQLITE = 10626638529674645504  # the id the fuzzer sent: over 2**63
PAST_POSTGRES = 2**31  # one past the largest id a record can have (PostgreSQL's INTEGER)
TICKET = {
    "subject": "VPN drops",
    "summary": "The VPN drops every hour.",
    "category": "network",
    "idempotency_key": "key-12345678",
}
CONVERSATION_CALLS = [
    ("GET", "", None),
    ("GET", "/updates", None),
    ("POST", "/messages", {"question": "VPN?"}),
    ("POST", "/messages/stream", {"question": "VPN?"}),
    ("POST", "/feedback", {"kind": "resolved"}),
    ("POST", "/draft", None),
    ("POST", "/ticket", TICKET),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    config = site_config(tmp_path_factory.mktemp("fuzz-findings"))
    built = build_site(config, embedder=HashEmbeddings(), triage=FixedTriage(), serve=True)
    built.store.add_account(Account("erin", "employee"), hash_password(PASSWORDS["erin"]))
    built.store.add_account(Account("ali", "agent"), hash_password(PASSWORDS["ali"]))
    yield built
    built.stop()
    built.services.close()


@pytest.fixture(scope="module")
def erin(site: Site) -> Iterator[httpx.Client]:
    client = sign_in(site.url, "erin", PASSWORDS["erin"])
    yield client
    client.close()


@pytest.mark.parametrize("number", [PAST_SQLITE, PAST_POSTGRES, 0])
@pytest.mark.parametrize(("method", "tail", "body"), CONVERSATION_CALLS)
def test_a_conversation_id_out_of_range_is_refused_not_a_crash(
    erin: httpx.Client, number: int, method: str, tail: str, body: dict | None
) -> None:
    response = erin.request(method, f"/api/v1/conversations/{number}{tail}", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["path", "conversation_id"]


def test_the_largest_id_in_range_is_simply_not_found(erin: httpx.Client) -> None:
    response = erin.get(f"/api/v1/conversations/{PAST_POSTGRES - 1}")
    assert response.status_code == 404, response.text


def test_feedback_on_a_turn_id_out_of_range_is_refused(erin: httpx.Client) -> None:
    conversation = erin.post("/api/v1/conversations").json()["id"]
    body = {"kind": "helpful", "turn_id": PAST_SQLITE}
    response = erin.post(f"/api/v1/conversations/{conversation}/feedback", json=body)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("wanted", ["²", str(PAST_SQLITE), str(PAST_POSTGRES)])
def test_the_chat_page_ignores_a_conversation_it_cannot_have(
    erin: httpx.Client, wanted: str
) -> None:
    page = erin.get("/", params={"c": wanted})
    assert page.status_code == 200
    assert 'data-testid="new-chat"' in page.text  # the chat, no conversation open
    assert 'aria-current="page"' not in page.text


def test_the_agents_conversation_page_refuses_an_id_out_of_range(site: Site) -> None:
    agent = sign_in(site.url, "ali", PASSWORDS["ali"])
    page = agent.get(f"/agent/conversations/{PAST_SQLITE}")
    agent.close()
    assert page.status_code == 422


def test_a_body_that_is_not_utf8_gets_the_documented_400(site: Site, erin: httpx.Client) -> None:
    headers = {"Content-Type": "application/json"}
    response = erin.post("/api/v1/ask", content=b'{"question": "\xff\xfe"}', headers=headers)
    assert response.status_code == 400
    assert response.json() == {"detail": "There was an error parsing the body"}
    document = httpx.get(site.url + "/api/v1/openapi.json").json()
    assert "400" in document["paths"]["/api/v1/ask"]["post"]["responses"]


def test_every_streamed_event_is_one_the_document_names(site: Site, erin: httpx.Client) -> None:
    document = httpx.get(site.url + "/api/v1/openapi.json").json()
    content = document["paths"]["/api/v1/ask/stream"]["post"]["responses"]["200"]["content"]
    schema = content["text/event-stream"]["schema"]
    with erin.stream("POST", "/api/v1/ask/stream", json={"question": "VPN drops"}) as stream:
        text = "".join(stream.iter_text())
    names = [
        line.removeprefix("event: ") for line in text.splitlines() if line.startswith("event:")
    ]
    assert names and names[-1] == "answer"
    assert set(names) <= set(schema["properties"]["event"]["enum"])
    assert schema["required"] == ["event", "data"]
