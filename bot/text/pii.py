"""Masking personal data and secrets before a question reaches the LLM, the logs or a ticket."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Korean resident registration number: YYMMDD-GXXXXXX (G 1-8 covers citizens and foreigners).
_RRN = re.compile(
    r"(?<!\d)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:\s?-\s?|\s?)[1-8]\d{6}(?!\d)"
)
# E-mail addresses are found from each '@' outwards (see ``_emails``): a pattern that starts
# anywhere would rescan the same run for every start position (quadratic on long runs).
_LOCAL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-")
_DOMAIN = re.compile(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# BitLocker recovery keys: eight groups of six digits.
_RECOVERY_KEY = re.compile(r"(?<![\d-])\d{6}(?:[ -]\d{6}){7}(?![\d-])")
# One-time codes: 4-8 digits shortly after a word that names them.
_OTP = re.compile(
    r"((?:\botp|\b(?:one[- ]time|verification|security|auth(?:entication)?|login|sign[- ]in"
    r"|2fa|mfa)\s?(?:code|pin|passcode|password)|인증\s?번호|인증\s?코드|확인\s?코드|보안\s?코드"
    r"|일회용\s?(?:비밀번호|코드))[^\d\n]{0,20}?)(?<!\d)(\d{4,8})(?!\d)",
    re.I,
)
# Passwords written out: "password is ...", "password: ...", "비밀번호는 ...", "비번 ...". The
# secret is the run of non-Hangul characters that follows (a Korean particle stays); it counts
# only when it holds a digit or a symbol, so "password is expired" or "비밀번호는 어떻게" stay.
_PASSWORD = re.compile(
    r"((?:\bpass(?:word|wd|code)|비밀\s?번호|비번|패스워드|암호)"
    r"(?:\s*(?:(?:is|was)(?![A-Za-z])|[:=]|는|은|이|가|를)|\s)\s*)([^\s가-힣]{4,64})",
    re.I,
)
_SECRET_MARKS = re.compile(r"[0-9!@#$%^&*_+=~?<>|]")
# Card numbers: 13-19 digits, optionally grouped by spaces or hyphens; confirmed by Luhn.
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
# Phones: Korean mobiles and landlines, with or without +82 and separators.
_PHONE = re.compile(
    r"(?<![\d-])(?:\+82[-\s]?|0)(?:1[016789]|2|[3-6][1-5]|70)"
    r"(?:\s?[-.)]\s?|\s)?\d{3,4}(?:\s?[-.]\s?|\s)?\d{4}(?![\d-])"
)
# Bank accounts: hyphenated digit groups of 10-14 digits, or any 10-14 digit run near "계좌".
_ACCOUNT_GROUPED = re.compile(r"(?<![\d-])\d{2,6}-\d{2,6}-\d{2,7}(?:-\d{1,3})?(?![\d-])")
_ACCOUNT_NEAR_WORD = re.compile(r"((?:계좌|account)[^\d\n]{0,15})(\d{10,14})(?!\d)", re.I)

LABELS = {
    "rrn": "[주민등록번호]",
    "card": "[CARD]",
    "phone": "[PHONE]",
    "account": "[ACCOUNT]",
    "email": "[EMAIL]",
}
# Secrets an employee may paste into a question (BitLocker keys, passwords, one-time codes).
SECRET_LABELS = {
    "recovery_key": "[RECOVERY_KEY]",
    "password": "[PASSWORD]",
    "otp": "[OTP]",
}
_ALL_LABELS = {**LABELS, **SECRET_LABELS}


@dataclass
class Masked:
    """Text with personal data replaced, and which kinds were found."""

    text: str
    kinds: list[str] = field(default_factory=list)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _emails(text: str) -> list[tuple[int, int]]:
    """Spans of e-mail addresses, found from each '@' outwards in linear time."""
    spans: list[tuple[int, int]] = []
    end = 0
    at = text.find("@")
    while at != -1:
        start = at
        while start > end and text[start - 1] in _LOCAL_CHARS:
            start -= 1
        domain = _DOMAIN.match(text, at + 1) if start < at else None
        if domain is not None:
            spans.append((start, domain.end()))
            end = domain.end()
        at = text.find("@", max(at + 1, end))
    return spans


def mask_pii(text: str) -> Masked:
    """Replace resident numbers, cards, phones, accounts, e-mail addresses and secrets (recovery
    keys, passwords, one-time codes) with labels, in time linear in the text's length."""
    kinds: list[str] = []

    def sub(pattern: re.Pattern, kind: str, text: str, accept=lambda m: True) -> str:
        def repl(m: re.Match) -> str:
            if not accept(m):
                return m.group(0)
            kinds.append(kind)
            return _ALL_LABELS[kind]

        return pattern.sub(repl, text)

    def prefixed(kind: str, accept=lambda m: True):
        def repl(m: re.Match) -> str:
            if not accept(m):
                return m.group(0)
            kinds.append(kind)
            return m.group(1) + _ALL_LABELS[kind]

        return repl

    text = sub(_RECOVERY_KEY, "recovery_key", text)
    text = sub(_RRN, "rrn", text)
    spans = _emails(text)
    if spans:
        kinds.append("email")
        pieces, last = [], 0
        for start, stop in spans:
            pieces += [text[last:start], LABELS["email"]]
            last = stop
        text = "".join([*pieces, text[last:]])
    text = _OTP.sub(prefixed("otp"), text)
    text = _PASSWORD.sub(
        prefixed("password", lambda m: bool(_SECRET_MARKS.search(m.group(2).rstrip(".,;!?")))),
        text,
    )
    text = sub(_CARD, "card", text, lambda m: _luhn_ok(_digits(m.group(0))))
    text = sub(_PHONE, "phone", text)
    text = sub(_ACCOUNT_GROUPED, "account", text, lambda m: 10 <= len(_digits(m.group(0))) <= 14)
    text = _ACCOUNT_NEAR_WORD.sub(prefixed("account"), text)
    return Masked(text, sorted(set(kinds)))
