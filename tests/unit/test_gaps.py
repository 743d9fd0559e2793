"""Knowledge gaps: which questions count, how they group, what each group is called."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from bot.insights.gaps import cluster_vectors, find_gaps, gap_questions, key_terms, suggest_title
from bot.tickets.records import Conversation, TurnRecord

pytestmark = pytest.mark.unit

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
TOPICS = {"vpn": 0, "printer": 1, "payroll": 2, "wifi": 3}


class TopicEmbeddings:
    """A fake embedder: one axis per topic word found, plus a small per-text wobble."""

    def __init__(self) -> None:
        self.calls = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        out = []
        for text in texts:
            vec = np.zeros(8)
            for word, axis in TOPICS.items():
                if word in text.lower():
                    vec[axis] = 1.0
            vec[4 + len(text) % 4] = 0.15  # different wordings are not identical
            out.append((vec / np.linalg.norm(vec)).tolist())
        return out


def conv(cid: int, user: str, *exchanges: tuple[str, str], ticket: str | None = None):
    turns, moment = [], START + timedelta(hours=cid)
    for question, decision in exchanges:
        turns.append(TurnRecord("user", question, created_at=moment))
        answer = {"decision": decision}
        turns.append(TurnRecord("assistant", "...", answer=answer, created_at=moment))
        moment += timedelta(minutes=1)
    return Conversation("web", user, id=cid, turns=turns, created_at=START, ticket_number=ticket)


def test_declined_and_escalated_questions_are_collected_once() -> None:
    convs = [
        conv(1, "a", ("VPN drops", "declined"), ("thanks", "answered")),
        conv(2, "b", ("Printer jams", "answered"), ("still jams", "answered"), ticket="SD-000001"),
        conv(3, "c", ("Payroll slip?", "declined"), ticket="SD-000002"),
        conv(4, "d", ("Wi-Fi password", "answered")),
    ]
    found = {q.text: (q.declined, q.escalated) for q in gap_questions(convs)}
    # An answered question without a ticket is no gap; an escalated one counts its first question.
    assert found == {
        "VPN drops": (True, False),
        "Printer jams": (False, True),
        "Payroll slip?": (True, True),
    }


def test_similar_questions_form_one_gap_per_topic_largest_first() -> None:
    questions = [
        ("VPN disconnects every hour", "a"),
        ("vpn 연결이 자꾸 끊겨요", "b"),
        ("Why does the VPN drop?", "c"),
        ("The printer on floor 3 is offline", "d"),
        ("프린터 printer 드라이버 설치", "e"),
        ("Where is my payroll slip?", "f"),
    ]
    convs = [conv(i, u, (q, "declined")) for i, (q, u) in enumerate(questions, 1)]
    gaps = find_gaps(gap_questions(convs), TopicEmbeddings(), similarity=0.8)
    assert [g.count for g in gaps] == [3, 2, 1]
    vpn = gaps[0]
    assert all("vpn" in e.lower() for e in vpn.examples)
    assert vpn.languages == {"en": 2, "ko": 1}
    assert vpn.users == 3 and vpn.declined == 3 and vpn.escalated == 0
    assert "vpn" in vpn.terms
    assert "printer" in gaps[1].title.lower()


def test_a_threshold_of_one_keeps_every_different_wording_apart() -> None:
    convs = [conv(i, "u", (f"VPN problem {'x' * i}", "declined")) for i in range(1, 4)]
    assert len(find_gaps(gap_questions(convs), TopicEmbeddings(), similarity=1.0)) == 3
    assert len(find_gaps(gap_questions(convs), TopicEmbeddings(), similarity=0.8)) == 1


def test_clustering_does_not_depend_on_the_order_of_questions() -> None:
    rng = np.random.default_rng(7)
    centres = np.eye(5)[:3]
    vectors = np.vstack([c + rng.normal(0, 0.05, (4, 5)) for c in centres])
    groups = cluster_vectors(vectors, 0.9)
    order = rng.permutation(len(vectors))
    shuffled = cluster_vectors(vectors[order], 0.9)
    as_sets = sorted(sorted(int(order[i]) for i in g) for g in shuffled)
    assert sorted(groups) == as_sets
    assert sorted(len(g) for g in groups) == [4, 4, 4]


def test_nothing_to_cluster_gives_no_gaps_without_embedding() -> None:
    embedder = TopicEmbeddings()
    assert find_gaps([], embedder) == []
    assert embedder.calls == 0


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("How do I reset my VPN token?", "Reset my VPN token"),
        ("vpn 비밀번호 재설정 어떻게 하나요?", "vpn 비밀번호 재설정"),
        ("  outlook   keeps crashing!!", "Outlook keeps crashing"),
        ("프린터 드라이버 설치 방법 알려주세요", "프린터 드라이버 설치"),
        ("회사 주차권은 어디서 신청하나요?", "회사 주차권은 신청"),
    ],
)
def test_a_question_becomes_a_title(question: str, title: str) -> None:
    assert suggest_title(question) == title


def test_key_terms_strip_korean_particles_and_stop_words() -> None:
    terms = key_terms(["VPN이 안 돼요", "vpn 연결이 끊겨요", "How do I fix the VPN"])
    assert terms[0] == "vpn"
    assert "how" not in terms and "the" not in terms
