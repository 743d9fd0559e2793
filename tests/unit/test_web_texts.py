"""Every UI text a page or script uses exists, in Korean and English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.web.i18n import missing_keys, texts
from bot.web.sessions import cookie_header

pytestmark = pytest.mark.unit

WEB = Path(__file__).resolve().parents[2] / "bot" / "web"


def test_every_key_exists_in_both_languages() -> None:
    assert missing_keys() == {"ko": set(), "en": set()}


@pytest.mark.parametrize(
    "path",
    sorted((WEB / "templates").glob("*.html")) + sorted((WEB / "static").glob("*.js")),
    ids=lambda p: p.name,
)
def test_templates_and_scripts_use_only_known_texts(path: Path) -> None:
    used = set(re.findall(r"\b[tT]\.([a-z_][a-z0-9_]*)", path.read_text(encoding="utf-8")))
    assert used - set(texts("ko")) == set()


def test_cookies_are_secure_only_when_configured() -> None:
    from bot.settings import BotSettings

    plain = cookie_header("sd_session", "v", BotSettings(cookie_secure=False), 60).lower()
    secure = cookie_header("sd_session", "v", BotSettings(cookie_secure=True), 60).lower()
    assert "httponly" in plain and "samesite=lax" in plain and "secure" not in plain
    assert "; secure" in secure
