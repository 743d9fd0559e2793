"""Which language a question is in: Korean or English (everything else is answered in English)."""

from __future__ import annotations

import pytest

from bot.text.language import NAMES, detect_language, hangul_ratio

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "text",
    [
        "VPN 연결이 안 돼요",
        "비밀번호를 어떻게 바꾸나요?",
        "안녕",
        "Outlook 메일이 안 열립니다",
        "Excel 매크로",
        "Zoom 회의 녹화",
        "Microsoft Teams 로그인 오류",
        "SharePoint OneDrive 동기화 오류",
        "Outlook PST 파일 백업",
        "BitLocker recovery key 어디서 확인해요?",
        "Windows 11 업데이트 후 Wi-Fi 드라이버가 사라졌어요",
        "ㅠㅠ 프린터가 안돼요",
    ],
)
def test_korean_including_english_product_names_is_korean(text: str) -> None:
    assert detect_language(text) == "ko"
    # Korean is detected as such whatever the fallback is.
    assert detect_language(text, default="en") == "ko"


@pytest.mark.parametrize(
    "text",
    [
        "My VPN keeps disconnecting",
        "How do I reset my password?",
        "Outlook",
        "VPN",
        "Teams",
    ],
)
def test_english_is_english(text: str) -> None:
    assert detect_language(text) == "en"
    assert detect_language(text, default="ko") == "en"


@pytest.mark.parametrize(
    "text",
    [
        "パスワードをリセットするにはどうすればいいですか",
        "Wie setze ich mein Passwort zurück?",
        "Comment réinitialiser mon mot de passe ?",
        "¿Cómo restablezco mi contraseña?",
        "密码怎么重置",
        "Làm thế nào để đặt lại mật khẩu?",
    ],
)
def test_other_languages_are_answered_in_english(text: str) -> None:
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", ["", "   ", "12345", "!!!", "010-1234-5678", "😀 👍", "???"])
@pytest.mark.parametrize("default", ["ko", "en"])
def test_text_without_letters_gets_the_default(text: str, default: str) -> None:
    assert detect_language(text, default=default) == default


def test_default_is_korean() -> None:
    assert detect_language("2026-11-23") == "ko"


def test_one_fifth_hangul_is_already_korean() -> None:
    assert hangul_ratio("abcd가") == pytest.approx(0.2)
    assert detect_language("abcd가") == "ko"


@pytest.mark.parametrize(
    ("text", "ratio"),
    [
        ("안녕하세요", 1.0),
        ("ㅋㅋ", 1.0),
        ("VPN 연결", 2 / 5),
        ("VPN 2대", 1 / 4),
        ("Outlook 오류!", 2 / 9),
        ("hello", 0.0),
        ("漢字", 0.0),
        ("", 0.0),
        ("123 !!", 0.0),
    ],
)
def test_hangul_ratio_counts_letters_only(text: str, ratio: float) -> None:
    assert hangul_ratio(text) == pytest.approx(ratio)


def test_names_describe_both_languages() -> None:
    assert set(NAMES) == {"ko", "en"}
    assert "한국어" in NAMES["ko"]
    assert NAMES["en"] == "English"


@pytest.mark.parametrize(
    "text",
    [
        "Microsoft Authenticator 앱 오류",
        "Adobe Acrobat Reader DC 설치 방법",
        "Azure Virtual Desktop 연결 끊김",
    ],
)
def test_korean_with_long_product_names_is_korean(text: str) -> None:
    assert detect_language(text) == "ko"
