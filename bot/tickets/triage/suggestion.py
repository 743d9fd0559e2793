"""What every triage backend returns, the seam they plug in through, and the rules they share:
the ``other`` group for an unmapped category, and P1 for an outage whatever a model says."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from bot.tickets.records import Priority

DEFAULT_PRIORITY: Priority = "P3"
# Broad impact together with a failure means an outage: P1 whatever the classifier says.
# Scope words need a place or people with them: 전체 화면 (full screen) and "the whole screen"
# are one person's problem.
_PLACES = "office|company|floor|team|building|site|department|branch|plant|campus"
_WIDE = re.compile(
    r"전사|(?<![가-힣])(전|전체|모든)\s?(직원|사람|사용자|인원|임직원|PC|부서|팀원)|"
    r"(층|사무실|본사|지사|회사|건물|부서|팀|공장)\s?(전체|전부)|여러\s?(명|직원|사람|PC|대|부서)|"
    r"\b(everyone|everybody|nobody|no one|company[- ]wide)\b|"
    rf"\b(whole|entire)\s+(\w+\s+)?({_PLACES})\b|"
    r"\ball (staff|users|employees|pcs|printers|computers)\b|"
    r"\b(several|many|multiple) (pcs|people|users|machines|staff|colleagues)\b",
    re.IGNORECASE,
)
_FAILING = re.compile(
    r"안\s?[되돼됩]|불가|끊|멈|다운|장애|오프라인|반송|"
    r"\bdown\b|\boutage\b|\boffline\b|\bunavailable\b|\bcan'?t\b|\bcannot\b|\bfail|"
    r"\bbounc|\blost\b|\bencrypted\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TriageSuggestion:
    """Where a request should go, and how sure the suggestion is."""

    category: str
    priority: Priority
    group: str
    confidence: float  # the classifier's probability of the category (0 when unknown)
    source: str  # "llm" | "classifier" | "default"


class Triage(Protocol):
    """Suggests a category, priority and group for a request (the classifier or the LLM)."""

    def suggest(self, text: str) -> TriageSuggestion:
        """The suggestion for ``text``."""
        ...


def group_for(category: str, groups: Mapping[str, str]) -> str:
    """The assignment group of ``category`` (the ``other`` group when it has none)."""
    return groups.get(category) or groups.get("other", "")


def rule_priority(text: str) -> Priority | None:
    """P1 when the text reports a failure that hits many people; otherwise no opinion."""
    if _WIDE.search(text) and _FAILING.search(text):
        return "P1"
    return None
