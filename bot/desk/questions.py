"""Checking a question before any work: empty, oversized or binary garbage gets a clear message."""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = re.compile(r"[\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")

MESSAGES = {
    "empty": {
        "ko": "질문이 비어 있습니다. 어떤 문제가 있는지 적어 주세요.",
        "en": "The question is empty. Please describe your problem.",
    },
    "too_long": {
        "ko": "질문이 너무 깁니다 ({chars}자, 최대 {limit}자). 핵심만 줄여서 다시 보내 주세요.",
        "en": "The question is too long ({chars} characters, at most {limit}). "
        "Please shorten it to the essentials.",
    },
    "garbage": {
        "ko": "질문을 읽을 수 없습니다 (깨진 문자나 바이너리 데이터). 문장으로 다시 적어 주세요.",
        "en": "The question cannot be read (broken characters or binary data). "
        "Please write it as text.",
    },
}


class QuestionRejected(ValueError):
    """A question the Desk will not process, with a message fit to show the asker."""

    def __init__(self, code: str, language: str, **values):
        self.code = code
        self.user_message = MESSAGES[code][language if language in ("ko", "en") else "en"].format(
            **values
        )
        super().__init__(self.user_message)


def _unreadable_share(text: str) -> float:
    bad = sum(
        1
        for ch in text
        if ch == "\ufffd"
        or (unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\n\r\t")
    )
    return bad / len(text)


def clean_question(text: str | bytes | None, max_chars: int, language: str = "ko") -> str:
    """Return the question trimmed and normalised, or raise ``QuestionRejected``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = unicodedata.normalize("NFC", _INVISIBLE.sub("", text or "")).strip()
    if not text:
        raise QuestionRejected("empty", language)
    if len(text) > max_chars:
        raise QuestionRejected("too_long", language, chars=len(text), limit=max_chars)
    if "\x00" in text or _unreadable_share(text) > 0.05:
        raise QuestionRejected("garbage", language)
    if not any(unicodedata.category(ch).startswith("L") for ch in text):
        raise QuestionRejected("empty", language)
    return text
