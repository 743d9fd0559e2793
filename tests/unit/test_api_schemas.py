"""The API's response models match the dicts the routes build: passing a dict through its model
(as ``response_model=`` does) changes nothing, and every field it carries is documented."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter

from bot.desk.answer import Answer, Citation
from bot.insights.analytics import build_dashboard
from bot.library.library import FileResult
from bot.tickets.records import (
    Account,
    ArticleDraft,
    Conversation,
    Feedback,
    Ticket,
    TicketMessage,
    TurnRecord,
    utcnow,
)
from bot.web import schemas
from bot.web.admin.actions import draft_dict
from bot.web.chat import conversation_dict
from bot.web.login import account_dict
from bot.web.views import agent_ticket_dict, message_dict, requester_ticket_dict
from retrieval.schema import ArticleEntry, Chunk, Hit

pytestmark = pytest.mark.unit

NOW = utcnow()


def undeclared(value: Any, path: str = "") -> list[str]:
    """Where a validated value holds fields its model does not declare."""
    if isinstance(value, BaseModel):
        found = [f"{path}.{key}" for key in value.model_extra or {}]
        for name in type(value).model_fields:
            found += undeclared(getattr(value, name), f"{path}.{name}")
        return found
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in undeclared(item, f"{path}[{i}]")]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in undeclared(item, f"{path}.{key}")]
    return []


def assert_documented(model: Any, data: Any) -> None:
    """``data`` comes out of ``model`` as it went in, and ``model`` declares all of it."""
    adapter = TypeAdapter(model)
    parsed = adapter.validate_python(data)
    assert adapter.dump_python(parsed, mode="json") == data
    assert undeclared(parsed) == []


def answer() -> Answer:
    cited = Citation(1, "KB-VPN-001", "VPN drops", "Fix", "/articles/KB-VPN-001", "Reconnect.")
    return Answer(
        text="Reconnect the VPN [1].",
        decision="answered",
        language="en",
        confidence=0.82,
        citations=[cited],
        related=[cited],
        backend="extractive",
        pii_masked=["email"],
        retrieved=["KB-VPN-001"],
        latencies_ms={"retrieve": 12.5},
    )


def ticket() -> Ticket:
    return Ticket(
        number="SD-000007",
        status="open",
        requester="kim",
        channel="web",
        conversation_id=3,
        subject="VPN drops",
        summary="The VPN drops every hour.",
        transcript="kim: my VPN drops",
        category="network",
        priority="P2",
        group="network-team",
        response_due=NOW + timedelta(hours=4),
        resolution_due=NOW + timedelta(hours=24),
        created_at=NOW,
        updated_at=NOW,
        id=7,
        first_response_at=NOW + timedelta(hours=1),
        sources=[{"article_id": "KB-VPN-001", "title": "VPN drops"}],
        messages=[
            TicketMessage("reply", "lee", "Please reconnect.", id=1, created_at=NOW),
            TicketMessage("note", "lee", "Likely the gateway.", id=2, created_at=NOW),
        ],
    )


def test_an_answer_with_citations_passes_unchanged() -> None:
    assert_documented(schemas.Answer, answer().to_dict())


def test_a_conversation_and_its_turns_pass_unchanged() -> None:
    turns = [
        TurnRecord("user", "my VPN drops", id=1),
        TurnRecord("assistant", "Reconnect.", answer=answer().to_dict(), id=2),
    ]
    chat = Conversation("web", "kim", id=3, turns=turns, ticket_number="SD-000007")
    assert_documented(schemas.Conversation, conversation_dict(chat))
    assert_documented(schemas.Asked, {"answer": answer().to_dict(), "turn_id": 2})


def test_both_views_of_a_ticket_pass_unchanged() -> None:
    assert_documented(schemas.Ticket, agent_ticket_dict(ticket(), NOW))
    assert_documented(schemas.MyTicket, requester_ticket_dict(ticket()))
    assert_documented(schemas.Message, message_dict(ticket().messages[0]))


def test_the_agents_ticket_reports_missed_targets() -> None:
    late = ticket()
    late.first_response_at = None
    shown = schemas.Ticket.model_validate(agent_ticket_dict(late, NOW + timedelta(hours=5)))
    assert shown.response_breached and shown.breached and not shown.resolution_breached


def test_the_session_account_passes_unchanged() -> None:
    account = Account("kim", "agent", "Kim", "kim@example.com", ["it"])
    assert_documented(schemas.Session, {"account": account_dict(account), "csrf_token": "t"})


def test_the_dashboard_passes_unchanged() -> None:
    chat = Conversation("web", "kim", id=1, created_at=NOW)
    chat.turns = [
        TurnRecord("user", "printer on fire", id=1, created_at=NOW),
        TurnRecord("assistant", "", answer={"decision": "declined"}, id=2, created_at=NOW),
    ]
    votes = [Feedback(1, "kim", "helpful", turn_id=2, created_at=NOW)]
    dashboard = build_dashboard([chat], votes, [ticket()], now=NOW, since=NOW - timedelta(7))
    assert_documented(schemas.Dashboard, dashboard.to_dict())


def test_search_hits_and_articles_pass_unchanged() -> None:
    hit = Hit(
        "KB-VPN-001", "VPN drops", "Fix", "Reconnect.", "vpn.md", "en", "KB-VPN-001#0",
        0.7, None, 0.03, confidence=0.8, tags=["vpn"], text="Reconnect the VPN.",
    )  # fmt: skip
    found = {"query": "vpn", "took_ms": 3.2, "hits": [hit.to_dict()]}
    assert_documented(schemas.SearchResults, found)
    entry = ArticleEntry("KB-VPN-001", "VPN drops", "vpn.md", "en", "abc", tags=["vpn"])
    chunk = Chunk("KB-VPN-001", 0, "Fix", "Reconnect the VPN.", "VPN drops")
    detail = {**entry.__dict__, "chunks": [chunk.__dict__]}
    assert_documented(schemas.ArticleDetail, detail)


def test_upload_results_and_drafts_pass_unchanged() -> None:
    results = [FileResult("a.md", "added", ["a"]), FileResult("b.exe", "failed", reason="type")]
    body = {
        "ok": False,
        "lines": [r.line() for r in results],
        "results": [r.to_dict() for r in results],
    }
    assert_documented(schemas.FileResults, body)
    draft = ArticleDraft("VPN fix", "Reconnect.", "lee", "SD-000007", id=4, created_at=NOW)
    assert_documented(schemas.DraftRejected, {"draft": draft_dict(draft)})


def test_a_field_the_model_does_not_declare_is_caught() -> None:
    with pytest.raises(AssertionError):
        assert_documented(schemas.Message, {**message_dict(ticket().messages[0]), "extra": 1})
