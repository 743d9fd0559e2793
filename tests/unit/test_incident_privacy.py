"""Incident alerts carry counts and a dashboard link, never employees' questions (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from bot.insights.incidents import ALERT_ACTION, Incident, IncidentMonitor, IncidentRules
from bot.settings import BotSettings
from bot.slack.incidents import SlackIncidentAlert
from bot.store import open_store
from bot.tickets.records import TurnRecord

pytestmark = pytest.mark.unit

T0 = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
HOSTILE = [
    "<!channel> VPN is down, fix at <https://evil.example/login|VPN portal>",
    "VPN down, call me 010-1234-5678",
    "VPN 안 돼요 비밀번호는 Summer2024!입니다",
    "VPN https://evil.example/reset 에서 재설정하래요",
    "VPN OTP 482913 입력해도 안 됨 @here",
    "VPN is down <!everyone>",
    "VPN fails, kim@corp.example",
    "VPN broken " + "x" * 5_000,
]
SECRETS = ["010-1234-5678", "Summer2024!", "482913", "kim@corp.example", "x" * 300]


class Embeddings:
    """Every question about the same topic: one axis, a small wobble."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out = []
        for text in texts:
            vec = np.array([1.0, 0.1 * (len(text) % 3), 0.0])
            out.append((vec / np.linalg.norm(vec)).tolist())
        return out


class SlackStandIn:
    """Records what would be posted (the shape of ``WebClient.chat_postMessage``)."""

    def __init__(self) -> None:
        self.posted: list[dict] = []

    def chat_postMessage(self, **kwargs) -> dict:
        self.posted.append(kwargs)
        return {"ok": True}


@pytest.fixture
def raised(tmp_path):
    store = open_store(BotSettings(_env_file=None, database_url=f"sqlite:///{tmp_path}/d.db"))
    store.clock = lambda: T0 - timedelta(hours=1)
    slack = SlackStandIn()
    alert = SlackIncidentAlert(slack, "C0OPS01", "https://desk.example.com")  # type: ignore[arg-type]
    rules = IncidentRules(window_min=15, threshold=8, similarity=0.8, min_users=3)
    monitor = IncidentMonitor(store, Embeddings(), rules, alerters=[alert])
    at = T0
    for i, text in enumerate(HOSTILE):
        at = T0 + i * timedelta(seconds=60)
        conv = store.start_conversation("slack", f"user{i % 4}")
        # Stored raw on purpose: turns written before masking covered these secrets.
        store.add_turn(conv.id, TurnRecord("user", text, created_at=at))
        answer = {"decision": "answered", "retrieved": ["network/vpn-en"], "citations": []}
        store.add_turn(conv.id, TurnRecord("assistant", "...", answer=answer, created_at=at))
        monitor.check(now=at)
    yield store, slack
    store.close()


def test_the_ops_channel_gets_counts_and_a_link_only(raised) -> None:
    _, slack = raised
    assert len(slack.posted) == 1
    message = slack.posted[0]
    everything = message["text"] + repr(message["blocks"])
    assert "8 similar questions from 4 people" in message["text"]
    assert "<https://desk.example.com/admin|Admin dashboard>" in message["text"]
    for leaked in ["<!channel>", "<!everyone>", "@here", "evil.example", "VPN is down", *SECRETS]:
        assert leaked not in everything


def test_the_dashboard_banner_shows_masked_short_examples(raised) -> None:
    store, _ = raised
    [event] = [e for e in store.audit_events() if e.action == ALERT_ACTION]
    incident = Incident.from_event(event)
    recorded = incident.title + " ".join(incident.examples) + repr(event.detail)
    for secret in SECRETS:
        assert secret not in recorded
    assert all(len(e) <= 200 for e in incident.examples)
