"""Retrieved text and questions are data, never instructions.

Sentences that read as instructions to an AI ("ignore previous instructions",
"이전 지시는 무시하고") are taken out of the context before it reaches the model, and an
answer that repeats them is rejected by the answer check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.text.sentences import split_sentences

_PATTERNS = [
    r"\b(?:ignore|disregard|forget|override)\b.{0,40}\b(?:instructions?|rules|prompts?)\b",
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|everything\s+)?(?:the\s+)?(?:above|prior)\b",
    r"\b(?:system|developer)\s+prompt\b",
    r"\byou\s+are\s+now\s+(?:an?\s+|the\s+|in\s+)?(?:\w+\s+)?(?:assistant|ai|model|bot|chatbot|mode|dan)\b",
    r"\bact\s+as\b.{0,30}\b(?:assistant|ai|model|bot)\b",
    r"\b(?:instead|always|only)\s+(?:say|reply|respond|answer|output|print)\b",
    r"\b(?:assistant|ai|model|chatbot|llm)s?\b.{0,30}\b(?:must|should)\b.{0,30}\b(?:say|reply|respond|answer|tell)\b",
    r"(?:이전|위의?|앞의?|기존)\s*(?:모든\s*)?(?:지시|지침|명령|규칙|프롬프트).{0,15}(?:무시|잊)",
    r"(?:지시|지침|명령|프롬프트)(?:을|를|은|는)?\s*(?:모두\s*)?무시",
    r"시스템\s*프롬프트",
    r"(?:AI|에이아이|챗봇|어시스턴트|모델)(?:는|은|가|이)?\s.{0,30}(?:라고|다고)\s*(?:답|말|대답|출력)",
]
_INSTRUCTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)
_WORD = re.compile(r"\w+")


def looks_like_instruction(text: str) -> bool:
    """Whether ``text`` contains wording addressed to an AI model rather than to a reader."""
    return bool(_INSTRUCTION.search(text))


@dataclass
class Quarantined:
    """Text with instruction-like sentences removed, and what was removed."""

    text: str
    removed: list[str] = field(default_factory=list)


def quarantine(text: str) -> Quarantined:
    """Drop every sentence of ``text`` that looks like an instruction to the model."""
    if not looks_like_instruction(text):
        return Quarantined(text)
    kept, removed = [], []
    for line in text.splitlines():
        parts = split_sentences(line) or [line]
        bad = [p for p in parts if looks_like_instruction(p)]
        removed.extend(bad)
        if bad:
            line = " ".join(p for p in parts if p not in bad)
        kept.append(line)
    return Quarantined("\n".join(kept), removed)


def repeats_removed_text(answer: str, removed: list[str], n: int = 4) -> bool:
    """Whether ``answer`` shares a run of ``n`` words with any removed instruction sentence."""
    words = [w.lower() for w in _WORD.findall(answer)]
    grams = {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}
    for sentence in removed:
        s = [w.lower() for w in _WORD.findall(sentence)]
        if any(tuple(s[i : i + n]) in grams for i in range(len(s) - n + 1)):
            return True
        # Short payloads ("say HACKED") are caught by their rare capitalised or quoted words.
        tokens = re.findall(
            r"[\"'“‘]([^\"'”’]{2,40})[\"'”’]|(?<![A-Za-z])([A-Z]{4,})(?![A-Za-z])", sentence
        )
        payloads = [a or b for a, b in tokens]
        if any(p and p.lower() in answer.lower() for p in payloads):
            return True
    return False
