"""Triage: labelled examples, the TF-IDF classifier, outage rules, the LLM and its fallback."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.settings import BotSettings
from bot.tickets.triage.classifier import ClassifierTriage
from bot.tickets.triage.examples import Example, ExamplesError, load_examples
from bot.tickets.triage.suggestion import rule_priority
from bot.tickets.triage.triage import LLMTriage, build_triage, parse_triage_reply
from tests.fakes import HashEmbeddings, ScriptedChatModel

pytestmark = pytest.mark.unit

GROUPS = {"network": "Network Operations", "hardware": "End-User Computing", "other": "Desk"}
EXAMPLES = [
    Example("VPN 연결이 안 돼요", "network", "P2"),
    Example("와이파이가 자꾸 끊겨요", "network", "P3"),
    Example("VPN connection times out from home", "network", "P2"),
    Example("Wi-Fi keeps dropping in the meeting room", "network", "P3"),
    Example("회의실 와이파이 연결 문의", "network", "P4"),
    Example("프린터 용지 걸림이 계속돼요", "hardware", "P3"),
    Example("노트북 전원이 안 켜져요", "hardware", "P2"),
    Example("The printer keeps jamming", "hardware", "P3"),
    Example("My laptop will not power on", "hardware", "P2"),
    Example("모니터 추가 신청합니다", "hardware", "P4"),
]


def _write(path: Path, rows: list) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _examples_file(tmp_path: Path) -> Path:
    rows = [{"text": e.text, "category": e.category, "priority": e.priority} for e in EXAMPLES]
    return _write(tmp_path / "examples.jsonl", rows)


@pytest.fixture(scope="module")
def classifier() -> ClassifierTriage:
    return ClassifierTriage(EXAMPLES, GROUPS)


# -- labelled examples ------------------------------------------------------------------------


def test_examples_load_with_and_without_priority(tmp_path) -> None:
    path = _write(
        tmp_path / "e.jsonl",
        [{"text": " VPN down ", "category": "network", "priority": "P1"}, "",
         {"text": "printer jam", "category": "hardware"}],
    )  # fmt: skip
    assert load_examples(path) == [
        Example("VPN down", "network", "P1"),
        Example("printer jam", "hardware", None),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", ":1: not JSON"),
        ('{"text": "VPN"}', "'category' must be a non-empty string"),
        ('{"text": "", "category": "network"}', "'text' must be a non-empty string"),
        ('{"text": "VPN", "category": "network", "priority": "urgent"}', "'priority' must be"),
        ('["VPN", "network"]', "expected an object"),
    ],
)
def test_a_bad_line_is_named_with_its_number(tmp_path, line, message) -> None:
    path = _write(tmp_path / "bad.jsonl", [line])
    with pytest.raises(ExamplesError, match=re.escape(message)):
        load_examples(path)


def test_empty_or_missing_files_are_clear_errors(tmp_path) -> None:
    with pytest.raises(ExamplesError, match="no examples"):
        load_examples(_write(tmp_path / "empty.jsonl", [""]))
    with pytest.raises(ExamplesError, match="cannot read"):
        load_examples(tmp_path / "missing.jsonl")


def test_one_category_cannot_train_a_classifier() -> None:
    with pytest.raises(ExamplesError, match="at least two categories"):
        ClassifierTriage([Example("VPN", "network"), Example("Wi-Fi", "network")], GROUPS)


# -- the classifier ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("VPN이 연결되지 않습니다", "network"),
        ("Wi-Fi is dropping again", "network"),
        ("프린터에 종이가 걸렸어요", "hardware"),
        ("laptop does not power on", "hardware"),
    ],
)
def test_classifier_routes_requests_like_its_examples(classifier, text, category) -> None:
    s = classifier.suggest(text)
    assert (s.category, s.group, s.source) == (category, GROUPS[category], "classifier")
    assert 0.5 < s.confidence <= 1.0
    assert s.confidence == pytest.approx(classifier.scores(text)[category], abs=1e-3)


def test_priority_is_learned_from_the_examples(classifier) -> None:
    assert classifier.suggest("노트북 전원이 안 켜져요").priority == "P2"
    assert classifier.suggest("모니터 추가 신청").priority == "P4"


def test_an_outage_for_many_people_is_p1_whatever_was_learned(classifier) -> None:
    assert classifier.suggest("전사 VPN 연결이 안 됩니다").priority == "P1"
    assert classifier.suggest("Wi-Fi is down for the whole office").priority == "P1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("전체 직원 와이파이가 끊겼습니다", "P1"),
        ("여러 명이 메일 접속 불가입니다", "P1"),
        ("Nobody can log in, SSO is down", "P1"),
        ("Several PCs show ransomware notes and files are encrypted", "P1"),
        ("3층 전체 와이파이가 안 됩니다", "P1"),
        ("The whole second floor lost Wi-Fi", "P1"),
        ("노트북 전원이 안 켜져요", None),  # 전원 is power, not everyone
        ("전체 화면 모드에서 멈춰요", None),  # full screen, one person
        ("The whole screen is black and I can't work", None),
        ("이전 직원의 계정 접속이 안 됩니다", None),  # a former employee, not all employees
        ("전체 회의 일정을 공유해 주세요", None),  # wide, but nothing is failing
        ("My VPN is down", None),  # failing, but only for one person
    ],
)
def test_outage_rules(text, expected) -> None:
    assert rule_priority(text) == expected


def test_without_priorities_the_classifier_suggests_p3_unless_an_outage() -> None:
    unrated = [Example(e.text, e.category) for e in EXAMPLES]
    triage = ClassifierTriage(unrated, GROUPS)
    assert triage.suggest("VPN 연결 문의").priority == "P3"
    assert triage.suggest("Everyone lost VPN, it is down").priority == "P1"


def test_a_category_without_a_group_goes_to_the_other_group() -> None:
    triage = ClassifierTriage(EXAMPLES, {"other": "Desk"})
    assert triage.suggest("VPN 연결이 안 돼요").group == "Desk"


class CountingEmbeddings(HashEmbeddings):
    """HashEmbeddings that counts query embeddings (the classifier embeds in query mode)."""

    def __init__(self) -> None:
        super().__init__(dim=64, name="counting")
        self.queries = 0

    def embed_query(self, text: str) -> list[float]:
        self.queries += 1
        return super().embed_query(text)


def test_example_vectors_are_cached_on_disk_between_starts(tmp_path) -> None:
    first = CountingEmbeddings()
    ClassifierTriage(EXAMPLES, GROUPS, [first], cache_dir=tmp_path)
    assert first.queries == len(EXAMPLES)
    assert (tmp_path / "triage-embeddings.sqlite").is_file()

    second = CountingEmbeddings()
    triage = ClassifierTriage(EXAMPLES, GROUPS, [second], cache_dir=tmp_path)
    assert second.queries == 0
    assert triage.suggest("VPN 연결이 안 돼요").category == "network"
    assert second.queries == 1  # the request itself is embedded, and not cached


# -- the LLM ----------------------------------------------------------------------------------


def _llm(classifier, *replies, up: bool = True) -> tuple[LLMTriage, ScriptedChatModel]:
    chat = ScriptedChatModel(list(replies), up=up)
    return LLMTriage(chat, None, ["network", "hardware", "other"], classifier, GROUPS), chat


def test_llm_suggestion_is_used_when_valid(classifier) -> None:
    triage, chat = _llm(classifier, '{"category": "hardware", "priority": "P2"}')
    s = triage.suggest("노트북 화면이 안 나와요")
    assert (s.category, s.priority, s.group, s.source) == (
        "hardware",
        "P2",
        GROUPS["hardware"],
        "llm",
    )
    prompt = chat.calls[0][-1][1]
    assert "노트북 화면이 안 나와요" in prompt and "network, hardware, other" in prompt


def test_a_code_fence_and_case_are_forgiven(classifier) -> None:
    triage, _ = _llm(classifier, '```json\n{"category": "Network", "priority": "p3"}\n```')
    s = triage.suggest("VPN slow")
    assert (s.category, s.priority, s.source) == ("network", "P3", "llm")


@pytest.mark.parametrize(
    "reply",
    [
        "I think this is a network problem.",
        'Sure! {"category": "network", "priority": "P2"}',
        '{"category": "printers", "priority": "P2"}',
        '{"category": "network", "priority": "urgent"}',
        '["network", "P2"]',
        RuntimeError("connection refused"),
    ],
)
def test_anything_but_the_asked_json_falls_back_to_the_classifier(classifier, reply) -> None:
    triage, chat = _llm(classifier, reply)
    s = triage.suggest("프린터 용지 걸림")
    assert (s.category, s.source) == ("hardware", "classifier")
    assert len(chat.calls) == 1


def test_a_model_that_is_down_is_not_asked(classifier) -> None:
    triage, chat = _llm(classifier, '{"category": "other", "priority": "P4"}', up=False)
    assert triage.suggest("VPN 연결이 안 돼요").source == "classifier"
    assert chat.calls == []


def test_personal_data_never_reaches_the_llm(classifier) -> None:
    triage, chat = _llm(classifier, '{"category": "network", "priority": "P2"}')
    triage.suggest("VPN이 안 돼요. 연락처 010-1234-5678, hong@example.com")
    prompt = chat.calls[0][-1][1]
    assert "010-1234-5678" not in prompt and "hong@example.com" not in prompt
    assert "[PHONE]" in prompt and "[EMAIL]" in prompt


def test_an_outage_stays_p1_even_if_the_llm_says_otherwise(classifier) -> None:
    triage, _ = _llm(classifier, '{"category": "network", "priority": "P3"}')
    assert triage.suggest("전사 인터넷이 안 됩니다").priority == "P1"


def test_parse_rejects_prose_around_the_json() -> None:
    with pytest.raises(ValueError):
        parse_triage_reply('Here you go: {"category": "network", "priority": "P1"}', ["network"])
    assert parse_triage_reply(' {"category":"network","priority":"P1"} ', ["network"]) == (
        "network",
        "P1",
    )


# -- wiring -----------------------------------------------------------------------------------


def _settings(tmp_path: Path, backend: str) -> BotSettings:
    return BotSettings(
        triage_backend=backend, triage_examples=_examples_file(tmp_path), assignment_groups=GROUPS
    )


def test_build_triage_honours_the_backend(tmp_path) -> None:
    chat = ScriptedChatModel([])
    auto = _settings(tmp_path, "auto")
    assert isinstance(build_triage(auto, None, tmp_path, embedders=[]), ClassifierTriage)
    llm = build_triage(auto, chat, tmp_path, embedders=[])
    assert isinstance(llm, LLMTriage) and llm.categories == list(GROUPS)
    forced = _settings(tmp_path, "classifier")
    assert isinstance(build_triage(forced, chat, tmp_path, embedders=[]), ClassifierTriage)
    with pytest.raises(ValueError, match="needs an LLM"):
        build_triage(_settings(tmp_path, "llm"), None, tmp_path, embedders=[])


def test_build_triage_reports_a_broken_examples_file(tmp_path) -> None:
    settings = BotSettings(triage_examples=_write(tmp_path / "bad.jsonl", ["{oops"]))
    with pytest.raises(ExamplesError, match=r"bad\.jsonl:1"):
        build_triage(settings, None, tmp_path, embedders=[])


def test_an_unwritable_cache_only_costs_time(tmp_path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    embedder = CountingEmbeddings()
    triage = ClassifierTriage(EXAMPLES, GROUPS, [embedder], cache_dir=blocked)
    assert embedder.queries == len(EXAMPLES)
    assert triage.suggest("VPN 연결이 안 돼요").category == "network"
