"""Which texts the English-only fine-tuned encoder reads, and when there is enough to train."""

from __future__ import annotations

import pytest

from bot.text.language import is_latin
from bot.tickets.triage.finetune import MIN_EXAMPLES, trainable

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "latin"),
    [
        ("I can't connect to the office Wi-Fi", True),
        ("re: VPN down since 9am, ticket SD-000123", True),
        ("재택근무 중인데 VPN 접속이 되지 않습니다", False),
        ("Outlook 메일이 안 보내져요", False),  # mostly Hangul: MiniLM would see unknown tokens
        ("パスワードを忘れました", False),
        ("打印机坏了", False),
        ("12345 !!!", False),
        ("", False),
    ],
)
def test_latin_script_texts_are_told_apart(text: str, latin: bool) -> None:
    assert is_latin(text) is latin


def test_a_few_examples_are_not_enough_to_fine_tune() -> None:
    enough = ["account", "network"] * (MIN_EXAMPLES // 2)
    assert trainable(enough)
    assert not trainable(enough[:-2])  # below the minimum
    assert not trainable(["account"] * MIN_EXAMPLES)  # one category
    assert not trainable([*["account"] * MIN_EXAMPLES, "network"])  # one lone example
