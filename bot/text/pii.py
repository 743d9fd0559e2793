"""Masking personal data before a question reaches the LLM, the logs or a ticket summary."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Korean resident registration number: YYMMDD-GXXXXXX (G 1-8 covers citizens and foreigners).
_RRN = re.compile(
    r"(?<!\d)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:\s?-\s?|\s?)[1-8]\d{6}(?!\d)"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
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


def mask_pii(text: str) -> Masked:
    """Replace resident numbers, cards, phones, accounts and e-mail addresses with labels."""
    kinds: list[str] = []

    def sub(pattern: re.Pattern, kind: str, text: str, accept=lambda m: True) -> str:
        def repl(m: re.Match) -> str:
            if not accept(m):
                return m.group(0)
            kinds.append(kind)
            return LABELS[kind]

        return pattern.sub(repl, text)

    text = sub(_RRN, "rrn", text)
    text = sub(_EMAIL, "email", text)
    text = sub(_CARD, "card", text, lambda m: _luhn_ok(_digits(m.group(0))))
    text = sub(_PHONE, "phone", text)
    text = sub(_ACCOUNT_GROUPED, "account", text, lambda m: 10 <= len(_digits(m.group(0))) <= 14)

    def near_word(m: re.Match) -> str:
        kinds.append("account")
        return m.group(1) + LABELS["account"]

    text = _ACCOUNT_NEAR_WORD.sub(near_word, text)
    return Masked(text, sorted(set(kinds)))
