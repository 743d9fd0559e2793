"""Escalation: the draft ticket an employee sees, the transcript an agent reads, filing checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.desk.answer import Answer, Citation
from bot.settings import BotSettings
from bot.store import SqlStore, upgrade
from bot.tickets.escalation import Escalation, extractive_summary, parse_summary_reply
from bot.tickets.records import Conversation, InvalidChange, TicketDraft, TurnRecord
from tests.fakes import FixedTriage, ScriptedChatModel

pytestmark = pytest.mark.unit

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
VPN_GUIDE = Citation(1, "KB-VPN-001", "VPN 연결 문제 해결", "증상별 조치", "/articles/KB-VPN-001")
OTP_GUIDE = Citation(2, "KB-OTP-002", "OTP 재등록", "", "/articles/KB-OTP-002")


def _answered(text: str, *citations: Citation, language: str = "ko") -> dict:
    return Answer(
        text, "answered", language, 0.86, citations=list(citations), backend="llm"
    ).to_dict()


def _declined(text: str, *related: Citation, language: str = "ko") -> dict:
    return Answer(
        text, "declined", language, 0.41, related=list(related), reason="low_confidence"
    ).to_dict()


def _conversation(*turns: tuple[str, str, dict | None]) -> Conversation:
    records = [
        TurnRecord(role, text, answer, created_at=T0 + timedelta(minutes=i))  # type: ignore[arg-type]
        for i, (role, text, answer) in enumerate(turns)
    ]
    return Conversation("web", "kim", turns=records, id=7)


KOREAN = _conversation(
    ("user", "VPN이 연결되지 않아요", None),
    ("assistant", "VPN 클라이언트를 재시작하세요 [1]", _answered("...", VPN_GUIDE)),
    ("user", "재시작해도 '서버에 연결할 수 없습니다'가 떠요", None),
    ("assistant", "죄송합니다. 확실한 답을 찾지 못했습니다.", _declined("...", OTP_GUIDE)),
)
ENGLISH = _conversation(
    ("user", "Outlook keeps asking for my password", None),
    ("assistant", "Remove the saved credentials [1]", _answered("...", OTP_GUIDE, language="en")),
)


@pytest.fixture()
def store(tmp_path) -> SqlStore:
    store = SqlStore(f"sqlite:///{tmp_path}/desk.db", BotSettings().sla_hours)
    upgrade(store.engine)
    return store


def _escalation(store, chat=None, triage=None) -> Escalation:
    return Escalation(store, triage or FixedTriage(), BotSettings(), chat=chat)


# -- drafts without an LLM --------------------------------------------------------------------


def test_korean_draft_says_what_was_asked_suggested_and_that_it_was_declined(store) -> None:
    triage = FixedTriage("network", "P2", "Network Operations")
    draft = _escalation(store, triage=triage).draft(KOREAN)
    assert draft.subject == "VPN이 연결되지 않아요"
    assert draft.language == "ko"
    assert "직원 문의: VPN이 연결되지 않아요 / 재시작해도" in draft.summary
    assert "챗봇이 안내한 문서: VPN 연결 문제 해결." in draft.summary
    assert "챗봇이 찾은 관련 문서: OTP 재등록." in draft.summary
    assert "충분한 답을 찾지 못해" in draft.summary
    assert (draft.category, draft.priority, draft.group) == ("network", "P2", "Network Operations")
    # Triage sees every question the employee asked, and nothing the bot said.
    assert triage.texts == ["VPN이 연결되지 않아요\n재시작해도 '서버에 연결할 수 없습니다'가 떠요"]


def test_english_draft_after_an_answer_that_was_not_enough(store) -> None:
    draft = _escalation(store).draft(ENGLISH)
    assert draft.language == "en"
    assert draft.subject == "Outlook keeps asking for my password"
    assert "The assistant suggested: OTP 재등록." in draft.summary
    assert draft.summary.endswith("The answer was not enough; the employee asked for a person.")


def test_an_empty_conversation_still_drafts_a_ticket(store) -> None:
    draft = _escalation(store).draft(Conversation("web", "kim", id=3))
    assert draft.subject == "상담원 연결 요청"
    assert "바로 담당자 연결" in draft.summary
    assert (draft.category, draft.priority, draft.group) == ("other", "P3", "Service Desk")


def test_long_first_questions_make_a_short_subject(store) -> None:
    long = "VPN " + "연결이 자꾸 끊기고 다시 붙지 않습니다 " * 20
    draft = _escalation(store).draft(_conversation(("user", long, None)))
    assert len(draft.subject) <= 80 and draft.subject.endswith("…")


def test_personal_data_is_masked_in_the_draft_but_kept_in_the_transcript(store) -> None:
    conversation = _conversation(("user", "VPN 안 돼요. 010-1234-5678로 연락주세요", None))
    escalation = _escalation(store)
    draft = escalation.draft(conversation)
    assert "010-1234-5678" not in draft.subject + draft.summary
    assert "[PHONE]" in draft.summary
    assert "010-1234-5678" in escalation.transcript(conversation)


class BrokenTriage:
    def suggest(self, text: str):
        raise RuntimeError("model file missing")


def test_a_failing_triage_never_stops_a_draft(store) -> None:
    draft = _escalation(store, triage=BrokenTriage()).draft(KOREAN)
    assert (draft.category, draft.group) == ("other", "Service Desk")
    assert draft.subject == "VPN이 연결되지 않아요"


# -- drafts with an LLM -----------------------------------------------------------------------


def test_llm_summary_is_used_and_sees_no_personal_data(store) -> None:
    chat = ScriptedChatModel(
        ["Subject: VPN 접속 실패\nSummary: 직원이 재택 중 VPN에 연결하지 못합니다.\n"
         "챗봇이 재시작을 안내했지만 해결되지 않았습니다."]
    )  # fmt: skip
    conversation = _conversation(
        ("user", "VPN이 안 돼요. hong@example.com 으로 연락 주세요", None),
        ("assistant", "재시작하세요 [1]", _answered("...", VPN_GUIDE)),
    )
    draft = _escalation(store, chat=chat).draft(conversation)
    assert draft.subject == "VPN 접속 실패"
    assert draft.summary == (
        "직원이 재택 중 VPN에 연결하지 못합니다. 챗봇이 재시작을 안내했지만 해결되지 않았습니다."
    )
    prompt = chat.calls[0][-1][1]
    assert "Korean" in prompt and "employee: VPN이 안 돼요" in prompt
    assert "hong@example.com" not in prompt and "[EMAIL]" in prompt


@pytest.mark.parametrize(
    "reply",
    [
        "The employee cannot connect to the VPN.",  # no Subject/Summary lines
        "Subject: VPN\nSummary:",  # an empty summary
        "Subject: VPN failure\nSummary: The employee cannot connect to the VPN at home.",  # English
        RuntimeError("connection refused"),  # a dead endpoint
    ],
)
def test_an_unusable_llm_summary_falls_back_to_the_extractive_one(store, reply) -> None:
    chat = ScriptedChatModel([reply])
    draft = _escalation(store, chat=chat).draft(KOREAN)
    assert (draft.subject, draft.summary) == extractive_summary(KOREAN, "ko")
    assert len(chat.calls) == 1


def test_a_model_that_is_down_is_not_asked_for_a_summary(store) -> None:
    chat = ScriptedChatModel(["Subject: x\nSummary: y"], up=False)
    draft = _escalation(store, chat=chat).draft(ENGLISH)
    assert draft.subject == "Outlook keeps asking for my password"
    assert chat.calls == []


def test_parse_summary_reply_accepts_korean_labels_and_multiline_summaries() -> None:
    assert parse_summary_reply("제목: 메일 오류\n요약: 아웃룩이\n멈춥니다.") == (
        "메일 오류",
        "아웃룩이 멈춥니다.",
    )
    assert parse_summary_reply("**Subject:** Outlook\n**Summary:** It hangs.") == (
        "Outlook",
        "It hangs.",
    )
    assert parse_summary_reply("Summary: only a summary") is None


# -- what the agent reads ---------------------------------------------------------------------


def test_transcript_has_times_roles_outcomes_and_sources(store) -> None:
    text = _escalation(store).transcript(KOREAN)
    lines = text.splitlines()
    assert lines[0] == "[2025-03-03 09:00 UTC] 직원: VPN이 연결되지 않아요"
    assert lines[2].startswith("[2025-03-03 09:01 UTC] 챗봇 (답변, 신뢰도 0.86, llm): VPN 클라")
    assert (
        "    출처 [1] VPN 연결 문제 해결 — 증상별 조치 (/articles/KB-VPN-001) [KB-VPN-001]" in lines
    )
    assert "챗봇 (답변 못 함: low_confidence, 신뢰도 0.41)" in text
    assert "관련 문서 [2] OTP 재등록 (/articles/KB-OTP-002) [KB-OTP-002]" in text


def test_transcript_in_english_for_an_english_conversation(store) -> None:
    text = _escalation(store).transcript(ENGLISH)
    assert text.startswith("[2025-03-03 09:00 UTC] Employee: Outlook keeps asking")
    assert "Assistant (answered, confidence 0.86, llm)" in text
    assert "sources [2] OTP 재등록" in text


def test_sources_are_the_cited_articles_once_each(store) -> None:
    conversation = _conversation(
        ("user", "VPN", None),
        ("assistant", "a [1]", _answered("a", VPN_GUIDE)),
        ("user", "OTP?", None),
        ("assistant", "b [1][2]", _answered("b", VPN_GUIDE, OTP_GUIDE)),
        ("assistant", "c", _declined("c", Citation(1, "KB-X", "Related only", "", "/x"))),
    )
    sources = _escalation(store).sources(conversation)
    assert [s["article_id"] for s in sources] == ["KB-VPN-001", "KB-OTP-002"]
    assert sources[0] == {
        "article_id": "KB-VPN-001",
        "title": "VPN 연결 문제 해결",
        "section": "증상별 조치",
        "link": "/articles/KB-VPN-001",
    }


# -- checks before filing ---------------------------------------------------------------------


def test_checked_trims_and_fills_the_group_from_the_category(store) -> None:
    draft = TicketDraft("  VPN  ", " 안 돼요 ", "network", "P2", group="  ")
    checked = _escalation(store).checked(draft)
    assert (checked.subject, checked.summary, checked.group) == (
        "VPN",
        "안 돼요",
        "Network Operations",
    )


def test_an_employee_may_choose_another_group(store) -> None:
    draft = TicketDraft("VPN", "", "network", "P2", group="Field Support Busan")
    assert _escalation(store).checked(draft).group == "Field Support Busan"


@pytest.mark.parametrize(
    ("draft", "message"),
    [
        (TicketDraft("   ", "summary", "network"), "needs a subject"),
        (TicketDraft("VPN", "", "printers"), "unknown category 'printers'"),
        (TicketDraft("VPN", "", "network", "P0"), "priority must be one of"),  # type: ignore[arg-type]
        (TicketDraft("x" * 201, "", "network"), "subject is limited to 200"),
    ],
)
def test_bad_edits_are_clear_errors(store, draft, message) -> None:
    with pytest.raises(InvalidChange, match=message):
        _escalation(store).file(KOREAN, draft, "kim", "key-1")


def test_filing_needs_an_idempotency_key(store) -> None:
    with pytest.raises(InvalidChange, match="idempotency key"):
        _escalation(store).file(KOREAN, TicketDraft("VPN", "", "network"), "kim", " ")
