"""Knowledge gaps with the real default embedder over a real SQLite store: Korean and English
questions about two topics come out as two gaps, the same topic joined across languages."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.insights.gaps import knowledge_gaps
from bot.settings import BotSettings
from bot.store import open_store
from bot.tickets.records import TicketDraft, TurnRecord, utcnow
from retrieval.settings import RetrievalSettings
from tests.conftest import shared_embedder

pytestmark = pytest.mark.integration

VPN = [
    "VPN keeps disconnecting every few minutes",
    "My VPN connection drops all the time",
    "Why does the VPN disconnect when I work from home?",
    "VPN connection fails with a timeout error",
    "I can't stay connected to the VPN",
    "VPN 연결이 자꾸 끊겨요",
    "재택근무 중에 VPN 접속이 계속 끊어집니다",
    "VPN 연결 시간 초과 오류가 나요",
    "VPN이 몇 분마다 끊겨요",
    "VPN 접속이 안 돼요",
]
PARKING = [
    "How do I get a parking permit for the office garage?",
    "Where can I apply for a company parking permit?",
    "How do I apply for an employee parking pass?",
    "I need a parking permit for the office car park",
    "Parking permit application for employees",
    "회사 주차권은 어떻게 신청하나요?",
    "사내 주차장 주차권 신청 방법",
    "직원 주차 등록은 어디서 하나요?",
    "주차권 신청은 어디서 하나요",
    "회사 주차장 정기 주차권 발급",
]


@pytest.fixture(scope="module")
def embedder():
    """The default embedder: the run's one instance of it."""
    return shared_embedder(RetrievalSettings(_env_file=None).embedder)


def test_declined_and_escalated_questions_form_two_gaps(tmp_path, embedder) -> None:
    settings = BotSettings(_env_file=None, database_url=f"sqlite:///{tmp_path}/desk.db")
    store = open_store(settings)
    start = utcnow() - timedelta(days=2)
    for i, question in enumerate(VPN + PARKING):
        conv = store.start_conversation("web", f"user{i % 7}")
        at = start + timedelta(minutes=i)
        store.add_turn(conv.id, TurnRecord("user", question, created_at=at))
        if i % 4 == 3:  # some were answered, then escalated
            answer = {"decision": "answered", "retrieved": ["x"], "citations": []}
            store.add_turn(conv.id, TurnRecord("assistant", "...", answer=answer, created_at=at))
            draft = TicketDraft(question[:60], question, "other")
            store.file_ticket(conv.id, draft, conv.user, "web", f"key-{i}")
        else:
            answer = {"decision": "declined", "retrieved": [], "citations": []}
            store.add_turn(conv.id, TurnRecord("assistant", "...", answer=answer, created_at=at))
    gaps = knowledge_gaps(store, embedder, days=30, similarity=settings.gap_similarity)
    store.close()
    assert [g.count for g in gaps] == [10, 10]
    by_topic = {"vpn" if "vpn" in g.title.lower() else "parking": g for g in gaps}
    assert set(by_topic) == {"vpn", "parking"}
    for gap in gaps:
        assert gap.languages == {"en": 5, "ko": 5}
        assert len(gap.examples) == 3
        assert gap.escalated > 0 and gap.declined > 0
    assert "주차" in " ".join(by_topic["parking"].terms) or "parking" in by_topic["parking"].terms


def test_servicedesk_gaps_prints_the_gaps(tmp_path) -> None:
    from typer.testing import CliRunner

    from bot.cli.main import app

    url = f"sqlite:///{tmp_path}/desk.db"
    store = open_store(BotSettings(_env_file=None, database_url=url))
    declined = {"decision": "declined", "retrieved": [], "citations": []}
    for i, question in enumerate(PARKING[:4] + VPN[:2]):
        conv = store.start_conversation("slack", f"U0{i}")
        store.add_turn(conv.id, TurnRecord("user", question))
        store.add_turn(conv.id, TurnRecord("assistant", "...", answer=declined))
    store.close()
    env = {"SERVICEDESK_DATABASE_URL": url, "SERVICEDESK_DATA_DIR": str(tmp_path)}
    done = CliRunner().invoke(app, ["gaps", "--json"], env=env)
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert [g["count"] for g in data["gaps"]] == [4, 2]
    assert "parking" in data["gaps"][0]["examples"][0].lower()
    text = CliRunner().invoke(app, ["gaps", "--days", "1"], env=env)
    assert text.exit_code == 0 and text.output.lstrip().startswith("4  ")
    empty = CliRunner().invoke(app, ["gaps"], env={**env, "SERVICEDESK_DATABASE_URL": url + "x"})
    assert empty.exit_code == 0 and "no declined or escalated questions" in empty.output
