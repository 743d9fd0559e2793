"""The Desk trims the history to the turns it uses before masking them (issue 13)."""

from __future__ import annotations

import time

import pytest

from bot.desk.answer import Turn
from bot.desk.desk import Desk
from bot.settings import BotSettings
from tests.fakes import StaticRetriever, make_hit

pytestmark = pytest.mark.unit

VPN = make_hit("KB-VPN", "Install the VPN client from the software center.", title="VPN")


def test_a_huge_history_costs_only_the_turns_used() -> None:
    retriever = StaticRetriever([VPN])
    desk = Desk(retriever, BotSettings(answer_backend="extractive", decision_threshold=0.5))
    hostile = "a@" * 10_000  # 20,000 characters, one string shared by every turn
    history = [Turn("user", hostile)] * 5_000 + [Turn("user", "VPN client 010-1234-5678")]
    started = time.perf_counter()
    desk.ask("맥에서는요?", history=history)
    # Masking every turn would take minutes; the Desk masks only history_turns (6) of them.
    assert time.perf_counter() - started < 5
    # The last turn was used, and masked, for the follow-up.
    assert retriever.queries == ["VPN client [PHONE] 맥에서는요?"]


def test_an_over_long_turn_is_cut_before_masking() -> None:
    retriever = StaticRetriever([VPN])
    desk = Desk(retriever, BotSettings(answer_backend="extractive", decision_threshold=0.5))
    turn = "VPN " + "x" * 100_000
    desk.ask("맥에서는요?", history=[Turn("user", turn)])
    assert len(retriever.queries[0]) < 10_000
