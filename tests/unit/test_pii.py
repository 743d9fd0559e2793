"""Masking personal data: resident numbers, phones, e-mail, cards and bank accounts."""

from __future__ import annotations

import pytest

from bot.text.pii import LABELS, Masked, mask_pii

pytestmark = pytest.mark.unit

RRN, PHONE, EMAIL, CARD, ACCOUNT = (
    LABELS["rrn"],
    LABELS["phone"],
    LABELS["email"],
    LABELS["card"],
    LABELS["account"],
)


def test_labels_are_the_documented_placeholders() -> None:
    assert LABELS == {
        "rrn": "[주민등록번호]",
        "card": "[CARD]",
        "phone": "[PHONE]",
        "account": "[ACCOUNT]",
        "email": "[EMAIL]",
    }


MASKED_CASES = [
    # Resident registration numbers (citizens 1-4, foreigners 5-8).
    ("900101-1234567", RRN, ["rrn"]),
    ("주민번호 900101-1234567 입니다", f"주민번호 {RRN} 입니다", ["rrn"]),
    ("주민등록번호: 021231-4123456", f"주민등록번호: {RRN}", ["rrn"]),
    ("900101 - 1234567", RRN, ["rrn"]),
    ("900101 -1234567", RRN, ["rrn"]),
    ("900101- 1234567", RRN, ["rrn"]),
    ("외국인등록번호 850515-5234567", f"외국인등록번호 {RRN}", ["rrn"]),
    ("주민번호는900101-1234567이고", f"주민번호는{RRN}이고", ["rrn"]),
    # Mobile phones.
    ("010-1234-5678", PHONE, ["phone"]),
    ("01012345678", PHONE, ["phone"]),
    ("010 1234 5678", PHONE, ["phone"]),
    ("010.1234.5678", PHONE, ["phone"]),
    ("010-12345678", PHONE, ["phone"]),
    ("+82 10-1234-5678", PHONE, ["phone"]),
    ("+82-10-1234-5678", PHONE, ["phone"]),
    ("+821012345678", PHONE, ["phone"]),
    ("my phone is +82 10 1234 5678", f"my phone is {PHONE}", ["phone"]),
    ("016-123-4567", PHONE, ["phone"]),
    ("019-1234-5678", PHONE, ["phone"]),
    ("연락처 010-1234-5678로 주세요", f"연락처 {PHONE}로 주세요", ["phone"]),
    ("휴대폰010-1234-5678", f"휴대폰{PHONE}", ["phone"]),
    ("01012345678입니다", f"{PHONE}입니다", ["phone"]),
    ("전화: 010-1234-5678.", f"전화: {PHONE}.", ["phone"]),
    # Landlines and internet phones.
    ("02-123-4567", PHONE, ["phone"]),
    ("02-1234-5678", PHONE, ["phone"]),
    ("0212345678", PHONE, ["phone"]),
    ("031-123-4567", PHONE, ["phone"]),
    ("055-123-4567", PHONE, ["phone"]),
    ("064-123-4567", PHONE, ["phone"]),
    ("070-1234-5678", PHONE, ["phone"]),
    ("070 1234 5678", PHONE, ["phone"]),
    ("02)123-4567", PHONE, ["phone"]),
    ("+82 2-123-4567", PHONE, ["phone"]),
    ("Tel:+82-2-1234-5678", f"Tel:{PHONE}", ["phone"]),
    ("사무실 02-123-4567 (내선 1119)", f"사무실 {PHONE} (내선 1119)", ["phone"]),
    # E-mail addresses.
    ("hong@example.com", EMAIL, ["email"]),
    ("HONG@EXAMPLE.COM", EMAIL, ["email"]),
    ("hong.gildong+it@corp.co.kr", EMAIL, ["email"]),
    ("메일은 gildong.hong@samsung-it.co.kr 입니다", f"메일은 {EMAIL} 입니다", ["email"]),
    ("mail me at it_help-01@example.org.", f"mail me at {EMAIL}.", ["email"]),
    # Card numbers that pass Luhn.
    ("4111 1111 1111 1111", CARD, ["card"]),
    ("4111-1111-1111-1111", CARD, ["card"]),
    ("4111111111111111", CARD, ["card"]),
    ("5500-0000-0000-0004", CARD, ["card"]),
    ("6011 1111 1111 1117", CARD, ["card"]),
    ("378282246310005", CARD, ["card"]),
    ("3782-822463-10005", CARD, ["card"]),
    ("카드번호 4111-1111-1111-1111 로 결제", f"카드번호 {CARD} 로 결제", ["card"]),
    # Bank accounts.
    ("110-123-456789", ACCOUNT, ["account"]),
    ("신한 110-123-456789 으로 입금", f"신한 {ACCOUNT} 으로 입금", ["account"]),
    ("우리은행 1002-123-456789", f"우리은행 {ACCOUNT}", ["account"]),
    ("국민은행 123-45-678901", f"국민은행 {ACCOUNT}", ["account"]),
    ("하나 123-456789-12345", f"하나 {ACCOUNT}", ["account"]),
    ("농협 352-1234-5678-93", f"농협 {ACCOUNT}", ["account"]),
    ("계좌 123456789012", f"계좌 {ACCOUNT}", ["account"]),
    ("계좌번호: 123456789012", f"계좌번호: {ACCOUNT}", ["account"]),
    ("계좌 12345678901234", f"계좌 {ACCOUNT}", ["account"]),
    ("환불 계좌는 1234567890 입니다", f"환불 계좌는 {ACCOUNT} 입니다", ["account"]),
    ("account no. 123456789012", f"account no. {ACCOUNT}", ["account"]),
    ("Account 123456789012", f"Account {ACCOUNT}", ["account"]),
]


@pytest.mark.parametrize(("text", "masked", "kinds"), MASKED_CASES)
def test_personal_data_is_masked(text: str, masked: str, kinds: list[str]) -> None:
    got = mask_pii(text)
    assert (got.text, got.kinds) == (masked, kinds)


UNCHANGED_CASES = [
    "VPN이 자꾸 끊겨요",
    "How do I reset my password?",
    "2026-11-23",
    "2026-11-23 10:00",
    "2026-11-23~2026-11-30",
    "2026.11.23",
    "20261123",
    "Windows 10.0.19045 업데이트 후 오류",
    "Build 22631.3880",
    "Windows 11 23H2",
    "Office 2016",
    "KB5034441 설치 실패",
    "오류 코드 0x80070005",
    "티켓 SD-000123 진행 상황",
    "티켓 SD-2026-000123",
    "자산번호 IT-2026-00123",
    "내선 1119",
    "내선 1119번으로 연락 주세요",
    "포트 443, 8443",
    "IP 192.168.0.1",
    "192.168.100.200",
    "MAC 00-1A-2B-3C-4D-5E",
    "GUID 123e4567-e89b-12d3-a456-426614174000",
    "1234",
    "123456",
    "1234567",
    "사번 20190012",
    "2,000,000원",
    "3.14159",
    "12:30~13:30",
    "@mention",
    # A 16-digit number that fails Luhn is not a card.
    "4111 1111 1111 1112",
    "카드 4111111111111112",
    "serial 1234567890123456",
    "1234-5678-9012-3456",
    # Not valid resident numbers: month 13, day 32, gender digit 9, 8 digits after the hyphen.
    "901301-1234567",
    "900132-1234567",
    "900101-9234567",
    "900101-12345678",
    # Too few digits for an account, even next to the word.
    "계좌 123456789",
    "Account 123456789012345",
]


@pytest.mark.parametrize("text", UNCHANGED_CASES)
def test_text_without_personal_data_is_left_alone(text: str) -> None:
    got = mask_pii(text)
    assert (got.text, got.kinds) == (text, [])


def test_several_kinds_in_one_text_are_all_masked_and_listed_sorted() -> None:
    text = (
        "홍길동 (900101-1234567) 010-1234-5678, hong@example.com, "
        "카드 4111 1111 1111 1111, 계좌 110-123-456789. 티켓 SD-000123, 내선 1119."
    )
    got = mask_pii(text)
    assert got.text == (
        f"홍길동 ({RRN}) {PHONE}, {EMAIL}, 카드 {CARD}, 계좌 {ACCOUNT}. 티켓 SD-000123, 내선 1119."
    )
    assert got.kinds == ["account", "card", "email", "phone", "rrn"]


def test_the_same_kind_twice_is_listed_once() -> None:
    got = mask_pii("010-1234-5678 / 010-9876-5432, 02-123-4567")
    assert got.text == f"{PHONE} / {PHONE}, {PHONE}"
    assert got.kinds == ["phone"]


def test_masking_masked_text_changes_nothing() -> None:
    first = mask_pii("전화 010-1234-5678, 메일 a@b.com, 주민 900101-1234567, 카드 4111111111111111")
    again = mask_pii(first.text)
    assert again.text == first.text
    assert again.kinds == []


def test_email_with_digits_is_masked_as_one_email_not_a_phone() -> None:
    got = mask_pii("01012345678@example.com")
    assert (got.text, got.kinds) == (EMAIL, ["email"])


def test_empty_text() -> None:
    assert mask_pii("") == Masked("", [])


def test_multiline_text_keeps_its_lines() -> None:
    got = mask_pii("이름: 홍길동\n전화: 010-1234-5678\n문제: VPN 접속 불가")
    assert got.text == f"이름: 홍길동\n전화: {PHONE}\n문제: VPN 접속 불가"


KNOWN_GAPS = [
    pytest.param(
        "9001011234567",
        RRN,
        ["rrn"],
        id="rrn-without-hyphen",
    ),
    pytest.param(
        "주민번호 9912311234568",
        f"주민번호 {RRN}",
        ["rrn"],
        id="rrn-without-hyphen-luhn-valid",
    ),
    pytest.param(
        "010 - 1234 - 5678",
        PHONE,
        ["phone"],
        id="phone-spaced-hyphens",
    ),
]


@pytest.mark.parametrize(("text", "masked", "kinds"), KNOWN_GAPS)
def test_known_gaps(text: str, masked: str, kinds: list[str]) -> None:
    got = mask_pii(text)
    assert (got.text, got.kinds) == (masked, kinds)
