"""The OpenAPI document the real app serves at /api/v1/openapi.json describes every response.

The app is built by ``tests.sites.build_site`` on a fresh SQLite store and an empty knowledge
base (the document does not depend on the articles); ``app.openapi()`` is what the route serves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from bot.web.rate_limit import kind_of
from tests.conftest import make_kb
from tests.fakes import FixedTriage
from tests.sites import build_site, site_config

pytestmark = pytest.mark.e2e

API = "/api/v1/"
METHODS = {"get", "post", "put", "patch", "delete"}
AREAS = {"session", "search", "chat", "tickets", "agent", "admin"}


@pytest.fixture(scope="module")
def document(tmp_path_factory) -> Iterator[dict]:
    folder = tmp_path_factory.mktemp("openapi")
    config = site_config(
        folder / "kb",
        database_url=f"sqlite:///{folder / 'desk.db'}",
        triage_backend="classifier",
        session_secret="test-secret-" + "x" * 32,
    )
    kb = make_kb(folder / "kb")
    site = build_site(config, kb=kb, triage=FixedTriage())
    yield site.app.openapi()
    site.services.close()


def api_operations(document: dict) -> list[tuple[str, str, dict]]:
    """Every (method, path, operation) under /api/v1."""
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        if path.startswith(API)
        for method, operation in item.items()
        if method in METHODS
    ]


def schema_of(document: dict, name: str) -> dict:
    return document["components"]["schemas"][name]


def describes_fields(media_type: str, schema: dict) -> bool:
    """Whether a success body names its model (or list, or choice of models): a bare
    ``{"type": "object"}`` says nothing; an event stream's schema is one event's (before OpenAPI
    3.2), its names listed and what each carries described in words."""
    if media_type == "text/event-stream":
        names = schema.get("properties", {}).get("event", {}).get("enum")
        return bool(names) and bool(schema.get("description"))
    if schema.get("type") == "array":
        schema = schema.get("items", {})
    choices = schema.get("anyOf", [schema])
    return all("$ref" in choice for choice in choices)


def test_the_api_covers_what_the_pages_do(document) -> None:
    paths = {path for _, path, _ in api_operations(document)}
    for expected in (
        "/api/v1/session",
        "/api/v1/search",
        "/api/v1/ask",
        "/api/v1/conversations/{conversation_id}/messages",
        "/api/v1/conversations/{conversation_id}/draft",
        "/api/v1/conversations/{conversation_id}/ticket",
        "/api/v1/tickets/{number}",
        "/api/v1/agent/queue",
        "/api/v1/agent/tickets/{number}",
        "/api/v1/admin/dashboard",
        "/api/v1/admin/uploads",
        "/api/v1/admin/drafts",
        "/api/v1/admin/audit",
    ):
        assert expected in paths


def test_every_operation_documents_its_success_body(document) -> None:
    undocumented = []
    for method, path, operation in api_operations(document):
        success = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
        if not success:
            undocumented.append(f"{method} {path}: no 2xx response")
        for code, response in success.items():
            if code == "204":
                assert "content" not in response, f"{method} {path}: 204 has no body"
                continue
            content = response.get("content", {})
            if not content or not all(
                describes_fields(kind, body.get("schema", {})) for kind, body in content.items()
            ):
                undocumented.append(f"{method} {path}: {code} {content}")
    assert undocumented == []


def test_every_operation_is_tagged_and_summarised(document) -> None:
    declared = {tag["name"] for tag in document["tags"]}
    assert declared >= AREAS
    for method, path, operation in api_operations(document):
        assert len(operation.get("tags", [])) == 1, f"{method} {path}"
        assert operation["tags"][0] in AREAS, f"{method} {path}: {operation['tags']}"
        assert operation.get("summary") and operation.get("description"), f"{method} {path}"


def test_errors_are_documented_with_their_body(document) -> None:
    queue = document["paths"]["/api/v1/agent/queue"]["get"]["responses"]
    assert {"401", "403", "422"} <= set(queue)
    error = queue["403"]["content"]["application/json"]["schema"]["$ref"]
    assert error.endswith("/Error")
    assert "detail" in schema_of(document, "Error")["properties"]


def test_the_agents_ticket_has_its_sla_and_breach_flags(document) -> None:
    ticket = schema_of(document, "Ticket")
    for field in (
        "number",
        "status",
        "priority",
        "group",
        "response_due",
        "resolution_due",
        "response_breached",
        "resolution_breached",
        "breached",
        "messages",
    ):
        assert field in ticket["properties"] and field in ticket["required"], field
    assert ticket["properties"]["response_due"]["format"] == "date-time"
    assert ticket["properties"]["breached"]["type"] == "boolean"
    assert set(ticket["properties"]["status"]["enum"]) == {
        "new",
        "open",
        "pending",
        "resolved",
        "closed",
    }
    queue = document["paths"]["/api/v1/agent/queue"]["get"]["responses"]["200"]
    assert queue["content"]["application/json"]["schema"]["items"]["$ref"].endswith("/Ticket")


def test_the_requester_never_sees_sla_internals(document) -> None:
    mine = schema_of(document, "MyTicket")["properties"]
    assert {"number", "status", "priority", "messages"} <= set(mine)
    assert not {"transcript", "requester", "response_due", "sources"} & set(mine)


def test_an_answer_carries_its_citations(document) -> None:
    answer = schema_of(document, "Answer")
    assert answer["properties"]["citations"]["items"]["$ref"].endswith("/Citation")
    assert {"n", "article_id", "link"} <= set(schema_of(document, "Citation")["properties"])
    assert set(answer["properties"]["decision"]["enum"]) == {"answered", "declined"}
    asked = schema_of(document, "Asked")["properties"]
    assert asked["answer"]["$ref"].endswith("/Answer")
    ask = document["paths"]["/api/v1/ask"]["post"]["responses"]["200"]
    assert ask["content"]["application/json"]["schema"]["$ref"].endswith("/Answer")


def test_the_draft_is_a_draft_or_the_ticket_already_filed(document) -> None:
    draft = schema_of(document, "Draft")["properties"]
    assert {"draft", "idempotency_key", "choices"} <= set(draft)
    suggested = schema_of(document, "TicketDraft")["properties"]
    assert {"subject", "summary", "category", "priority", "group"} <= set(suggested)
    route = document["paths"]["/api/v1/conversations/{conversation_id}/draft"]["post"]
    body = route["responses"]["200"]["content"]["application/json"]["schema"]
    assert sorted(ref["$ref"].rsplit("/", 1)[1] for ref in body["anyOf"]) == [
        "AlreadyFiled",
        "Draft",
    ]


def test_the_dashboard_has_every_figure_per_slice(document) -> None:
    dashboard = schema_of(document, "Dashboard")["properties"]
    assert dashboard["overall"]["$ref"].endswith("/Figures")
    assert dashboard["by_week"]["additionalProperties"]["$ref"].endswith("/Figures")
    figures = schema_of(document, "Figures")["properties"]
    for field in ("deflection", "fcr_confirmed", "fcr_potential", "csat", "sla_breaches"):
        assert field in figures, field


def test_streams_are_documented_as_server_sent_events(document) -> None:
    answer = ["sources", "token", "reset", "answer"]
    for path, names in (
        ("/api/v1/ask/stream", answer),
        ("/api/v1/conversations/{conversation_id}/messages/stream", [*answer, "stored"]),
    ):
        content = document["paths"][path]["post"]["responses"]["200"]["content"]
        assert list(content) == ["text/event-stream"], path
        event = content["text/event-stream"]["schema"]
        assert event["required"] == ["event", "data"]
        assert event["properties"]["event"]["enum"] == names, path


def concrete(path: str) -> str:
    """A path the route would serve: every ``{parameter}`` replaced by 1."""
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_rate_limited_route_documents_429_with_retry_after(document) -> None:
    limited = [
        (method, path, operation)
        for method, path, operation in api_operations(document)
        if kind_of(method, concrete(path)) is not None
    ]
    # The asks, the search and every conversation call, and the throttled sign-in.
    assert len(limited) >= 11
    sign_in = document["paths"]["/api/v1/session"]["post"]
    for method, path, operation in [*limited, ("POST", "/api/v1/session", sign_in)]:
        refused = operation["responses"].get("429")
        assert refused, f"{method} {path}: no 429"
        assert refused["headers"]["Retry-After"]["schema"]["type"] == "integer", path
        assert refused["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


def test_every_operation_documents_the_400_of_an_unreadable_request(document) -> None:
    # Any request can be unreadable: a body that is not UTF-8 JSON, a Content-Length not a number.
    missing = [f"{m} {p}" for m, p, op in api_operations(document) if "400" not in op["responses"]]
    assert missing == []


def test_id_parameters_stay_within_the_stores_integer_range(document) -> None:
    for method, path, operation in api_operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["name"] == "conversation_id":
                schema = parameter["schema"]
                assert (schema["minimum"], schema["maximum"]) == (1, 2**31 - 1), (method, path)
