"""Korean and English UI strings, chosen from ?lang=, the ``lang`` cookie or Accept-Language.

Strings live in ``strings/*.json`` (one file per area of the app, each ``{"ko": {...}, "en":
{...}}``); they are merged once. Every key must exist in both languages.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGUAGES = ("ko", "en")
_DIR = Path(__file__).parent / "strings"


@cache
def _all_texts() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for path in sorted(_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for lang in LANGUAGES:
            merged[lang].update(data[lang])
    return merged


def pick_language(explicit: str, accept_language: str, cookie: str = "") -> str:
    """Return ``ko`` or ``en``: an explicit choice wins, then the cookie, then the browser."""
    for choice in (explicit, cookie):
        if choice in LANGUAGES:
            return choice
    for part in accept_language.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "ko"


def texts(lang: str) -> dict[str, str]:
    """UI strings for ``lang``."""
    return _all_texts()[lang]


def missing_keys() -> dict[str, set[str]]:
    """Keys present in one language but not the other (a test keeps this empty)."""
    ko, en = (set(_all_texts()[lang]) for lang in LANGUAGES)
    return {"ko": en - ko, "en": ko - en}
