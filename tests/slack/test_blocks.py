"""Block Kit the bot posts: pure input -> output."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.desk.answer import Answer, Citation
from bot.slack.blocks import (
    ESCALATE,
    FEEDBACK_BLOCK,
    NOT_HELPFUL,
    RESOLVED,
    SECTION_LIMIT,
    ButtonRef,
    absolute,
    agent_reply,
    answer_message,
    feedback_given,
    looking,
    problem_message,
    sections,
    status_change,
    ticket_filed,
)
from bot.slack.modal import ModalContext, field_errors, read_submission, ticket_view
from bot.tickets.records import Ticket, TicketDraft, TicketMessage

pytestmark = [pytest.mark.unit, pytest.mark.slack]
BASE = "https://desk.example.com"


def _answer(**fields) -> Answer:
    base = dict(
        text="**VPN** 재설치: `vpn.exe`를 실행하세요 [1]. a < b & c",
        decision="answered",
        language="ko",
        confidence=0.9,
        citations=[Citation(1, "KB-VPN-001", "VPN 접속", "재설치", "/articles/KB-VPN-001")],
    )
    return Answer(**{**base, **fields})


def _actions(blocks: list[dict]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_an_answer_has_its_text_sources_ai_label_and_three_buttons() -> None:
    message = answer_message(_answer(), ButtonRef(7, 21), BASE)
    ids = [b.get("block_id") for b in message.blocks]
    assert ids == ["answer", "sources", "ai", FEEDBACK_BLOCK]
    text = message.blocks[0]["text"]["text"]
    assert "*VPN*" in text and "`vpn.exe`" in text and "a &lt; b &amp; c" in text
    assert f"<{BASE}/articles/KB-VPN-001|[1]>" in text  # the citation links to its article
    sources = message.blocks[1]["elements"][0]["text"]
    assert f"<{BASE}/articles/KB-VPN-001|VPN 접속 — 재설치>" in sources
    assert "AI" in message.blocks[2]["elements"][0]["text"]
    assert _actions(message.blocks) == [RESOLVED, NOT_HELPFUL, ESCALATE]
    values = {e["value"] for e in message.blocks[3]["elements"]}
    assert {ButtonRef.parse(v) for v in values} == {ButtonRef(7, 21)}
    assert "&lt;" in message.text and "**" in message.text  # fallback: escaped, not converted


def test_without_a_public_url_sources_are_titles_not_broken_links() -> None:
    message = answer_message(_answer(), ButtonRef(1, 2), "")
    sources = message.blocks[1]["elements"][0]["text"]
    assert "VPN 접속 — 재설치" in sources and "<" not in sources


def test_a_title_with_markup_is_shown_not_parsed() -> None:
    cite = Citation(1, "KB-X", "<!channel> & <b>", "", "https://kb.example/x")
    message = answer_message(_answer(citations=[cite]), ButtonRef(1, 2), BASE)
    sources = message.blocks[1]["elements"][0]["text"]
    assert "<!channel>" not in sources and "&lt;!channel&gt; &amp; &lt;b&gt;" in sources


def test_a_decline_offers_only_a_person_and_lists_related_articles() -> None:
    related = [Citation(1, "KB-PRN-001", "Printer", "", "/articles/KB-PRN-001")]
    decline = _answer(
        text="Sorry, I can't answer this.",
        decision="declined",
        citations=[],
        related=related,
        language="en",
    )
    message = answer_message(decline, ButtonRef(3), BASE)
    assert _actions(message.blocks) == [ESCALATE]
    assert "Related articles" in json.dumps(message.blocks)
    assert not any(b.get("block_id") == "ai" for b in message.blocks)


def test_a_rejected_question_gets_no_buttons() -> None:
    rejected = _answer(
        text="The question is empty.",
        decision="declined",
        citations=[],
        offer_ticket=False,
        language="en",
    )
    assert _actions(answer_message(rejected, ButtonRef(3), BASE).blocks) == []


@pytest.mark.parametrize("kind", ["error", "timeout", "unavailable"])
def test_problems_are_short_and_offer_a_ticket_when_one_can_be_filed(kind: str) -> None:
    with_ref = problem_message(kind, "en", ButtonRef(4))
    assert _actions(with_ref.blocks) == [ESCALATE]
    assert len(with_ref.text) < 200
    assert _actions(problem_message(kind, "ko", None).blocks) == []


def test_the_placeholder_says_it_is_looking_in_the_askers_language() -> None:
    assert "Looking" in looking("en").text
    assert "찾고" in looking("ko").text


def test_long_text_is_split_into_sections_within_slacks_limit() -> None:
    text = "\n".join(f"{n}. " + "가" * 400 for n in range(30))
    blocks = sections(text, "answer")
    assert len(blocks) > 1 and blocks[0]["block_id"] == "answer"
    assert all(len(b["text"]["text"]) <= SECTION_LIMIT for b in blocks)
    assert "\n".join(b["text"]["text"] for b in blocks) == text
    huge = sections("x" * (SECTION_LIMIT * 2 + 5))
    assert [len(b["text"]["text"]) for b in huge] == [SECTION_LIMIT, SECTION_LIMIT, 5]


def test_feedback_replaces_the_buttons_and_keeps_talk_to_a_person_when_unhelpful() -> None:
    blocks = answer_message(_answer(), ButtonRef(7, 21), BASE).blocks
    resolved = feedback_given(blocks, "✅ thanks", ButtonRef(7, 21), "en", keep_escalation=False)
    assert _actions(resolved) == [] and resolved[-1]["elements"][0]["text"] == "✅ thanks"
    unhelpful = feedback_given(blocks, "🙏", ButtonRef(7, 21), "en", keep_escalation=True)
    assert _actions(unhelpful) == [ESCALATE]


@pytest.mark.parametrize("value", ["", "{}", '{"c": "7"}', '{"c": 7, "t": "x"}', "not json"])
def test_foreign_button_values_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        ButtonRef.parse(value)


def test_links_are_made_absolute_only_when_possible() -> None:
    assert absolute("/articles/A", BASE + "/") == f"{BASE}/articles/A"
    assert absolute("https://x.example/a", BASE) == "https://x.example/a"
    assert absolute("/articles/A", "") == ""
    assert absolute("javascript:alert(1)", BASE) == ""


def _ticket(**fields) -> Ticket:
    now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    base = dict(
        number="SD-000042",
        status="open",
        requester="emp@corp.example",
        channel="slack",
        conversation_id=1,
        subject="VPN <down> & out",
        summary="s",
        transcript="",
        category="network",
        priority="P3",
        group="Network Operations",
        response_due=now,
        resolution_due=now,
        created_at=now,
        updated_at=now,
        thread_ref="C1:1.000100",
    )
    return Ticket(**{**base, **fields})


def test_the_ticket_confirmation_links_its_number_and_escapes_the_subject() -> None:
    text = ticket_filed(_ticket(), "en", BASE).blocks[0]["text"]["text"]
    assert f"<{BASE}/tickets/SD-000042|SD-000042>" in text
    assert "VPN &lt;down&gt; &amp; out" in text


def test_an_agent_reply_is_quoted_under_the_agent_and_escaped() -> None:
    reply = TicketMessage("reply", "agent", "Restart the client\n<b>then</b> & retry")
    text = agent_reply(_ticket(), reply, "en", BASE).blocks[0]["text"]["text"]
    assert text.startswith("💬 *agent*")
    assert ">Restart the client\n>&lt;b&gt;then&lt;/b&gt; &amp; retry" in text


def test_resolving_shows_the_status_and_the_resolution() -> None:
    ticket = _ticket(status="resolved", resolution="Reinstalled the VPN client")
    text = status_change(ticket, "ko", BASE).blocks[0]["text"]["text"]
    assert "해결됨" in text and ">Reinstalled the VPN client" in text


def test_the_modal_is_prefilled_and_reads_back_what_was_submitted() -> None:
    draft = TicketDraft("VPN down", "요약 " * 2000, "network", "P2", "Network Operations", "ko")
    where = ModalContext(9, "C1", "1.000100", "ko")
    groups = {"network": "Network Operations", "other": "Service Desk"}
    view = ticket_view(draft, where, groups)
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs["subject"]["initial_value"] == "VPN down"
    assert len(inputs["summary"]["initial_value"]) == 3000  # Slack's longest input
    assert inputs["category"]["initial_option"]["value"] == "network"
    assert inputs["priority"]["initial_option"]["value"] == "P2"
    assert len(view["title"]["text"]) <= 24
    state = {
        "values": {
            "subject": {"value": {"type": "plain_text_input", "value": "VPN still down"}},
            "summary": {"value": {"type": "plain_text_input", "value": "edited"}},
            "category": {"value": {"type": "static_select", "selected_option": {"value": "other"}}},
            "priority": {"value": {"type": "static_select", "selected_option": {"value": "P1"}}},
        }
    }
    submitted, back = read_submission({**view, "state": state})
    assert back == where
    assert (submitted.subject, submitted.summary, submitted.category, submitted.priority) == (
        "VPN still down",
        "edited",
        "other",
        "P1",
    )
    assert submitted.group == ""  # the chosen category decides the group


def test_a_refused_draft_puts_the_reason_under_its_field() -> None:
    assert field_errors("unknown category 'x'; choose one of a, b") == {
        "category": "unknown category 'x'; choose one of a, b"
    }
    assert list(field_errors("the ticket needs a subject")) == ["subject"]
    assert list(field_errors("priority must be one of P1, P2")) == ["priority"]
