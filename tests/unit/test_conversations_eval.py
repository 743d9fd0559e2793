"""Scripted conversations: history reaches the Desk, and escalation is decided as documented."""

from __future__ import annotations

import json

import pytest

from bot.desk.desk import Desk
from bot.settings import BotSettings
from evals.conversations_eval import (
    Script,
    ScriptedTurn,
    load_scripts,
    play,
    reports_failure,
    score,
)
from evals.datasets import Dataset, DatasetError
from tests.fakes import make_hit

pytestmark = pytest.mark.unit

VPN = make_hit("KB-VPN-001", "GlobalProtect 앱을 종료하고 다시 실행하세요. 포털 주소를 확인하세요.")


class KeywordRetriever:
    """Finds the VPN article only when the query mentions the VPN; records every query."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def search(self, query, user=None, k=5):
        self.queries.append(query)
        return [VPN] if "vpn" in query.lower() else [make_hit("KB-X", "무관한 글", confidence=0.1)]


def _desk() -> tuple[Desk, KeywordRetriever]:
    retriever = KeywordRetriever()
    return Desk(retriever, BotSettings(answer_backend="extractive")), retriever


def _script(outcome: str, *turns: ScriptedTurn) -> Script:
    return Script("c1", "ko", list(turns), outcome)


FAILURES = [
    "안 돼요",
    "알려주신 대로 했는데 그래도 안되네요",
    "여전히 잠겨 있어요",
    "that didn't work",
]


@pytest.mark.parametrize("text", [*FAILURES, "Still not working", "it does not work"])
def test_saying_it_did_not_work_is_recognised(text: str) -> None:
    assert reports_failure(text)


@pytest.mark.parametrize(
    "text", ["그럼 맥에서는요?", "and on a Mac?", "노트북이 와이파이에 안 붙어요"]
)
def test_follow_ups_and_clarifications_are_not_failures(text: str) -> None:
    assert not reports_failure(text)


def test_a_follow_up_is_asked_with_the_earlier_turns_as_history() -> None:
    desk, retriever = _desk()
    record = play(
        desk,
        _script(
            "resolved",
            ScriptedTurn("VPN 포털 주소가 뭐예요?", "answered", ["KB-VPN-001"]),
            ScriptedTurn("맥에서는요?", "answered", ["KB-VPN-001"]),
        ),
    )
    # Without a model, the short follow-up borrows the previous question's words.
    assert retriever.queries[1] == "VPN 포털 주소가 뭐예요? 맥에서는요?"
    assert record["ok"] and record["outcome"] == "resolved"
    assert [t["cited"] for t in record["turns"]] == [["KB-VPN-001"], ["KB-VPN-001"]]


def test_it_did_not_work_after_an_answer_escalates_and_ends_the_conversation() -> None:
    desk, _ = _desk()
    record = play(
        desk,
        _script(
            "escalated",
            ScriptedTurn("VPN이 끊겨요", "answered", ["KB-VPN-001"]),
            ScriptedTurn("그래도 안 돼요", None, [], escalate=True),
            ScriptedTurn("never asked", "answered"),
        ),
    )
    assert record["outcome"] == "escalated" and record["turns_played"] == 2
    assert not record["ok"]  # a scripted turn was never reached
    assert [t["escalated"] for t in record["turns"]] == [False, True]


def test_a_decline_followed_by_a_clarification_is_not_an_escalation() -> None:
    desk, _ = _desk()
    record = play(
        desk,
        _script(
            "resolved",
            ScriptedTurn("인터넷이 이상해요", "declined"),
            ScriptedTurn("VPN 연결이 끊깁니다", "answered", ["KB-VPN-001"]),
        ),
    )
    assert record["ok"], record
    assert [t["decision"] for t in record["turns"]] == ["declined", "answered"]


def test_a_decline_with_nothing_more_to_say_escalates() -> None:
    desk, _ = _desk()
    record = play(
        desk, _script("escalated", ScriptedTurn("헬스장 몇 시까지?", "declined", [], True))
    )
    assert record["ok"] and record["outcome"] == "escalated"


def test_a_wrong_citation_fails_the_turn_and_the_scores_show_it() -> None:
    desk, _ = _desk()
    record = play(desk, _script("resolved", ScriptedTurn("VPN 주소?", "answered", ["KB-OTHER"])))
    assert not record["ok"] and record["turns"][0]["cites_ok"] is False
    scores = score([record])
    assert scores["citation_accuracy"] == 0.0 and scores["outcome_accuracy"] == 1.0
    assert scores["conversation_success"] == 0.0


def test_a_bad_line_is_named(tmp_path) -> None:
    good = {"id": "a", "lang": "en", "turns": [{"user": "hi"}], "expect_outcome": "resolved"}
    bad = {**good, "turns": [{"user": "x", "expect": {"decision": "maybe"}}]}
    lines = [json.dumps(good), json.dumps(bad)]
    (tmp_path / "conversations.jsonl").write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(DatasetError, match=r"conversations.jsonl:2: .*decision"):
        load_scripts(Dataset("t", tmp_path, [], []))
