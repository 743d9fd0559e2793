"""Keyword terms: Korean morphemes and English words."""

from __future__ import annotations

import pytest

from retrieval.terms import terms, terms_many

pytestmark = pytest.mark.unit


def test_korean_particles_and_endings_are_dropped() -> None:
    assert terms("VPN이 자꾸 끊겨요") == ["vpn", "끊기"]


def test_light_verbs_are_dropped_but_their_nouns_kept() -> None:
    got = terms("비밀번호를 변경하려면 어떻게 해야 하나요")
    assert "비밀번호" in got and "변경" in got
    assert "하" not in got


def test_english_stop_words_go_and_words_are_stemmed() -> None:
    assert terms("How do I connect the printers?") == ["connect", "printer"]


def test_hyphenated_words_match_their_joined_form() -> None:
    assert "wifi" in terms("Wi-Fi drops") and "wifi" in terms("회사 wifi 비번")


def test_batch_equals_one_by_one() -> None:
    texts = ["메일 용량 초과", "Outlook keeps asking for password", "", "VPN 인증서 오류 12"]
    assert terms_many(texts) == [terms(t) for t in texts]
