"""Which language a question is in, and so which language the answer must be in."""

from __future__ import annotations

import re
from functools import lru_cache

_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
_KANA_OR_HAN = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_LETTER = re.compile(r"[^\W\d_]")

NAMES = {"ko": "Korean (한국어)", "en": "English"}


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    # The languages employees plausibly write in; anything but Korean is answered in English.
    languages = [
        Language.KOREAN,
        Language.ENGLISH,
        Language.JAPANESE,
        Language.CHINESE,
        Language.GERMAN,
        Language.FRENCH,
        Language.SPANISH,
        Language.VIETNAMESE,
    ]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def hangul_ratio(text: str) -> float:
    """Share of the letters in ``text`` that are Hangul."""
    letters = _LETTER.findall(text)
    return len(_HANGUL.findall(text)) / len(letters) if letters else 0.0


def is_latin(text: str) -> bool:
    """True when ``text`` has letters and at most a fifth of them are Hangul, kana or Han
    (what an English-only model can read)."""
    letters = _LETTER.findall(text)
    east_asian = len(_HANGUL.findall(text)) + len(_KANA_OR_HAN.findall(text))
    return bool(letters) and east_asian <= 0.2 * len(letters)


def detect_language(text: str, default: str = "ko") -> str:
    """``ko`` or ``en``: the language to answer ``text`` in (Korean first when unsure)."""
    if not _LETTER.search(text):
        return default
    # Mixed Korean with English product names ("VPN 연결이 안 돼요") is Korean.
    # Any Korean word in it means a Korean speaker ("Microsoft Authenticator 앱 오류").
    if len(_HANGUL.findall(text)) >= 2 or hangul_ratio(text) >= 0.2:
        return "ko"
    found = _detector().detect_language_of(text)
    if found is None:
        return "en" if hangul_ratio(text) == 0 else default
    return "ko" if found.iso_code_639_1.name.lower() == "ko" else "en"
