"""`eval export --escalated` over a real SQLite store seeded through the store's own API."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from bot.desk.answer import Answer, Citation
from bot.settings import BotSettings
from bot.store import SqlStore, upgrade
from bot.tickets.escalation import Escalation
from bot.tickets.records import ArticleDraft, TurnRecord
from evals.datasets import load_dataset
from evals.export import escalated_cases, parse_since
from tests.fakes import FixedTriage

pytestmark = pytest.mark.integration

VPN = Citation(1, "KB-VPN-001", "VPN 연결 문제 해결", "증상별 조치", "/articles/KB-VPN-001")
WIFI = Citation(1, "KB-WIFI-001", "Wi-Fi", "", "/articles/KB-WIFI-001")


@pytest.fixture()
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/desk.db"


@pytest.fixture()
def store(url) -> SqlStore:
    store = SqlStore(url, BotSettings().sla_hours)
    upgrade(store.engine)
    return store


def _say(store, conversation_id: int, question: str, *cited: Citation) -> None:
    store.add_turn(conversation_id, TurnRecord("user", question))
    decision = "answered" if cited else "declined"
    answer = Answer(f"{question} 답 [1]", decision, "ko", 0.9, list(cited))
    store.add_turn(conversation_id, TurnRecord("assistant", answer.text, answer=answer.to_dict()))


def _escalate(store, conversation_id: int, key: str):
    escalation = Escalation(store, FixedTriage("network", "P3", "Network"), BotSettings())
    conversation = store.conversation(conversation_id)
    return escalation.file(conversation, escalation.draft(conversation), "kim", key)


def _seed(store: SqlStore) -> dict:
    # 1: answered with the Wi-Fi, then the VPN article; escalated, resolved, article approved.
    one = store.start_conversation("web", "kim")
    _say(store, one.id, "VPN이 연결되지 않아요", WIFI)
    _say(store, one.id, "그래도 안 돼요 010-1234-5678로 연락 주세요", VPN)
    first = _escalate(store, one.id, "k1")
    store.resolve(first.number, "agent", "인증서를 재발급했습니다. kim@example.com 으로 안내함")
    draft = store.add_draft(ArticleDraft("VPN 인증서 재발급", "본문", "agent", first.number))
    store.set_draft_status(draft.id, "approved", "admin", article_id="KB-VPN-CERT")
    # 2: answered with the Wi-Fi article, escalated, still open.
    two = store.start_conversation("slack", "lee", "C1:1.0")
    _say(store, two.id, "Wi-Fi keeps dropping in room 7", WIFI)
    second = _escalate(store, two.id, "k2")
    # 3: never escalated: not exported.
    three = store.start_conversation("web", "park")
    _say(store, three.id, "프린터 어디 있어요?", VPN)
    return {"first": first.number, "second": second.number}


def test_escalated_conversations_become_masked_eval_cases(store) -> None:
    numbers = _seed(store)
    cases = escalated_cases(store)
    assert [c["qid"] for c in cases] == [
        f"escalated-{numbers['first']}",
        f"escalated-{numbers['second']}",
    ]

    first, second = cases
    assert first["question"] == "VPN이 연결되지 않아요" and first["lang"] == "ko"
    assert first["gold_doc_ids"] == ["KB-VPN-CERT"]  # the approved article beats the cited one
    assert first["should_escalate"] is False and first["escalate_reason"] is None
    [resolution] = first["gold_answers"]
    assert resolution.startswith("인증서를 재발급했습니다.") and "kim@example.com" not in resolution
    assert "010-1234-5678" not in json.dumps(first, ensure_ascii=False)
    assert first["meta"]["gold_from"] == "approved_article"
    assert len(first["meta"]["followups"]) == 1

    assert second["lang"] == "en" and second["gold_doc_ids"] == ["KB-WIFI-001"]
    assert second["gold_answers"] == [] and second["should_escalate"] is True
    assert second["meta"]["status"] == "new" and second["meta"]["gold_from"] == "last_cited"
    assert second["source"].endswith("(slack)")


def test_since_leaves_out_older_conversations(store) -> None:
    _seed(store)
    assert escalated_cases(store, datetime.now(UTC) + timedelta(days=1)) == []
    assert len(escalated_cases(store, parse_since("2000-01-01"))) == 2
    with pytest.raises(ValueError, match="--since"):
        parse_since("last week")


def test_the_cli_writes_a_dataset_the_eval_commands_can_load(store, url, tmp_path) -> None:
    from bot.cli.main import app

    _seed(store)
    folder = tmp_path / "escalations"
    out = folder / "questions.jsonl"
    args = ["eval", "export", "--escalated", "--database-url", url, "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "wrote 2 escalated conversations" in result.output
    (folder / "kb.jsonl").write_text("", encoding="utf-8")
    questions = load_dataset(str(folder)).questions
    assert [q.should_escalate for q in questions] == [False, True]

    refused = CliRunner().invoke(app, ["eval", "export", "--database-url", url])
    assert refused.exit_code == 2 and "--escalated" in refused.output
    bad = CliRunner().invoke(app, ["eval", "export", "--escalated", "--since", "soon"])
    assert bad.exit_code == 2 and "2026-11-01" in bad.output
