"""Checking a question before any work: empty, oversized or unreadable input is rejected."""

from __future__ import annotations

import unicodedata

import pytest

from bot.desk.questions import MESSAGES, QuestionRejected, clean_question

pytestmark = pytest.mark.unit


def rejection(text, max_chars: int = 500, language: str = "ko") -> QuestionRejected:
    with pytest.raises(QuestionRejected) as info:
        clean_question(text, max_chars, language)
    return info.value


@pytest.mark.parametrize(
    "text",
    [None, "", "   ", "\n\t \r\n", "\u200b", "\u200b\u200c\u200d\ufeff", " \u2060 \u200e "],
)
def test_empty_whitespace_or_invisible_only_is_empty(text) -> None:
    err = rejection(text)
    assert err.code == "empty"
    assert err.user_message == MESSAGES["empty"]["ko"]
    assert str(err) == err.user_message


@pytest.mark.parametrize("text", ["12345", "!!!", "???", "010-1234-5678", "😀😀"])
def test_no_letters_at_all_is_treated_as_empty(text: str) -> None:
    assert rejection(text).code == "empty"


def test_rejection_is_a_value_error() -> None:
    assert isinstance(rejection(""), ValueError)


def test_too_long_names_both_numbers_in_korean() -> None:
    err = rejection("가" * 11, max_chars=10)
    assert err.code == "too_long"
    assert "11자" in err.user_message and "최대 10자" in err.user_message


def test_too_long_names_both_numbers_in_english() -> None:
    err = rejection("x" * 30, max_chars=20, language="en")
    assert err.code == "too_long"
    assert err.user_message == (
        "The question is too long (30 characters, at most 20). Please shorten it to the essentials."
    )


def test_exactly_the_limit_is_accepted() -> None:
    assert clean_question("가" * 10, 10) == "가" * 10


def test_surrounding_whitespace_and_invisibles_do_not_count_towards_the_limit() -> None:
    assert clean_question("   VPN 안돼요\u200b\u200b   \n", 8) == "VPN 안돼요"


def test_too_long_is_reported_before_garbage() -> None:
    assert rejection("\x00" * 50 + "abc", max_chars=10).code == "too_long"


@pytest.mark.parametrize(
    "text",
    [
        "VPN\x00 안돼요",
        "\x00" + "a" * 200,
        "\x01\x02\x03abc",
        "abc\x01" + "d" * 10,
        "\ufffd\ufffdabc",
    ],
)
def test_nul_bytes_and_mostly_control_characters_are_garbage(text: str) -> None:
    err = rejection(text)
    assert err.code == "garbage"
    assert err.user_message == MESSAGES["garbage"]["ko"]


def test_a_rare_stray_control_character_is_tolerated() -> None:
    text = "abc\x01" + "d" * 30
    assert clean_question(text, 500) == text


def test_newlines_and_tabs_are_not_garbage() -> None:
    text = "VPN 오류\n\t- 접속 안 됨\r\n- 재부팅해도 같음"
    assert clean_question(text, 500) == text


def test_utf8_bytes_are_decoded() -> None:
    assert clean_question("  비밀번호 재설정  ".encode(), 500) == "비밀번호 재설정"


def test_undecodable_bytes_are_garbage() -> None:
    assert rejection(b"\xff\xfe\xfd abc").code == "garbage"


def test_one_bad_byte_in_a_long_question_is_replaced_not_rejected() -> None:
    assert clean_question(b"abc\xff" + b"d" * 30, 500) == "abc\ufffd" + "d" * 30


def test_decomposed_hangul_is_composed() -> None:
    nfd = unicodedata.normalize("NFD", "비밀번호 재설정")
    assert nfd != "비밀번호 재설정"
    got = clean_question(nfd, 500)
    assert got == "비밀번호 재설정"
    assert len(got) == 8


def test_normal_question_is_returned_stripped_with_invisibles_removed() -> None:
    assert clean_question("  VPN 연결 \u200b안돼요  ", 500) == "VPN 연결 안돼요"
    assert clean_question("\ufeffHow do I reset my password?\n", 500) == (
        "How do I reset my password?"
    )


def test_inner_whitespace_is_kept() -> None:
    assert clean_question("VPN   연결\n안돼요", 500) == "VPN   연결\n안돼요"


@pytest.mark.parametrize(
    ("code", "text", "max_chars"),
    [("empty", "", 500), ("too_long", "x" * 30, 20), ("garbage", "a\x00b", 500)],
)
def test_message_language_follows_the_asker(code: str, text: str, max_chars: int) -> None:
    ko = rejection(text, max_chars, "ko")
    en = rejection(text, max_chars, "en")
    assert ko.code == en.code == code
    assert any("\uac00" <= ch <= "\ud7a3" for ch in ko.user_message)
    assert not any("\uac00" <= ch <= "\ud7a3" for ch in en.user_message)


@pytest.mark.parametrize("language", ["ja", "de", ""])
def test_other_languages_get_the_english_message(language: str) -> None:
    assert rejection("", language=language).user_message == MESSAGES["empty"]["en"]


def test_default_message_language_is_korean() -> None:
    with pytest.raises(QuestionRejected) as info:
        clean_question("", 500)
    assert info.value.user_message == MESSAGES["empty"]["ko"]
