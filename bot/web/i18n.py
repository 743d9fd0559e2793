"""Korean and English UI strings, chosen from ?lang= or the browser's Accept-Language."""

from __future__ import annotations

_TEXTS = {
    "ko": {
        "title": "IT 서비스 데스크",
        "placeholder": "무엇을 도와드릴까요? 예: VPN이 자꾸 끊겨요",
        "search": "검색",
        "no_hits": "관련 문서를 찾지 못했습니다. IT 헬프데스크에 문의해 주세요.",
        "confidence": "신뢰도",
        "section": "섹션",
        "source": "원본",
        "back": "검색으로",
        "updated": "수정일",
        "tags": "태그",
        "switch": "English",
    },
    "en": {
        "title": "IT Service Desk",
        "placeholder": "How can we help? e.g. my VPN keeps dropping",
        "search": "Search",
        "no_hits": "No matching articles. Please contact the IT help desk.",
        "confidence": "confidence",
        "section": "section",
        "source": "source",
        "back": "back to search",
        "updated": "updated",
        "tags": "tags",
        "switch": "한국어",
    },
}


def pick_language(explicit: str, accept_language: str) -> str:
    """Return ``ko`` or ``en``: an explicit choice wins, then the browser's first preference."""
    if explicit in _TEXTS:
        return explicit
    for part in accept_language.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in _TEXTS:
            return code
    return "ko"


def texts(lang: str) -> dict[str, str]:
    """UI strings for ``lang``."""
    return _TEXTS[lang]
