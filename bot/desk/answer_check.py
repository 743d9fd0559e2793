"""Checking a generated answer before anyone sees it.

An answer passes when every citation refers to a retrieved source (and it cites at least one),
it is in the question's language, it brings in no script that neither the sources nor the question
contain (a Korean answer with Chinese characters), and it repeats no instruction found in them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.desk.injection import repeats_removed_text
from bot.text.language import hangul_ratio
from retrieval.terms import terms

_CITATION = re.compile(r"\[(\d{1,2})\]")
# URLs end where ASCII URL characters end (a Korean particle may follow) and never in
# sentence punctuation.
_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&'*+=%-]*[A-Za-z0-9/_~#=%-]")
# Scripts that may appear in an answer only if the sources or the question contain them.
_GUARDED = ("CJK UNIFIED", "HIRAGANA", "KATAKANA", "CYRILLIC", "ARABIC", "HEBREW", "THAI",
            "DEVANAGARI", "GREEK")  # fmt: skip


@dataclass
class Verdict:
    """Whether the answer passed, and why not."""

    ok: bool
    reason: str = ""


def citations_in(text: str) -> list[int]:
    """The source numbers cited in ``text``, in order of first appearance."""
    seen: list[int] = []
    for m in _CITATION.finditer(text):
        n = int(m.group(1))
        if n not in seen:
            seen.append(n)
    return seen


def scripts_in(text: str) -> set[str]:
    """Guarded scripts that occur in ``text``."""
    found = set()
    for ch in text:
        if ord(ch) < 0x370:
            continue
        name = unicodedata.name(ch, "")
        for script in _GUARDED:
            if name.startswith(script):
                found.add(script)
    return found


def attribute(answer: str, sources: list[str], minimum: float = 0.3) -> str:
    """Add ``[n]`` for the best-matching source to an answer that cites nothing.

    Small models often answer well but forget the markers; the source whose words the answer
    uses most is the one it drew on. Below ``minimum`` overlap nothing is added (and the check
    rejects the answer for citing nothing).
    """
    if citations_in(answer) or not sources:
        return answer
    words = set(terms(answer))
    if not words:
        return answer
    overlaps = [len(words & set(terms(text))) / len(words) for text in sources]
    best = max(range(len(sources)), key=lambda i: overlaps[i])
    if overlaps[best] < minimum:
        return answer
    return f"{answer.rstrip()} [{best + 1}]"


def trim_unfinished(answer: str) -> str:
    """Cut a reply that stopped mid-sentence (token limit) back to its last complete line."""
    text = answer.rstrip()
    if not text or re.search(r"(?:[.!?。)\]`*:]|[다요죠음함])$", text):
        return text
    cut = max(text.rfind("\n"), *(text.rfind(p) for p in (". ", "다. ", "요. ")))
    if cut < len(text) // 2:
        return text
    kept = text[: cut + 1].rstrip()
    # A cut right after a list number ("3.") leaves the number dangling: drop it.
    return re.sub(r"(?:^|\n)\s*\d{1,2}[.)]$", "", kept).rstrip()


def check_answer(
    answer: str,
    *,
    language: str,
    n_sources: int,
    evidence: str,
    removed_instructions: list[str],
    question: str = "",
) -> Verdict:
    """Judge ``answer`` against the sources it was given (``evidence`` = sources + question)."""
    body = answer.strip()
    prose = _URL.sub("", _CITATION.sub("", body))
    if len(prose.strip()) < 8:
        return Verdict(False, "empty")
    cited = citations_in(body)
    if not cited:
        return Verdict(False, "no_citation")
    if any(n < 1 or n > n_sources for n in cited):
        return Verdict(False, "citation_out_of_range")
    lines = [ln.strip() for ln in body.splitlines() if ln.strip()]
    headers = [ln for ln in lines if re.match(r"^\[\d{1,2}\]\s*\S", ln) and ">" in ln]
    if lines and len(headers) * 2 >= len(lines):
        return Verdict(False, "lists_sources")
    answer_terms = set(terms(prose))
    if question and answer_terms and answer_terms <= set(terms(question)):
        return Verdict(False, "restates_question")
    ratio = hangul_ratio(prose)
    if language == "ko" and ratio < 0.3:
        return Verdict(False, "language_mismatch")
    if language == "en" and ratio > 0.2:
        return Verdict(False, "language_mismatch")
    foreign = scripts_in(prose) - scripts_in(evidence)
    if foreign:
        return Verdict(False, "foreign_script:" + ",".join(sorted(foreign)))
    if any(url not in evidence for url in _URL.findall(body)):
        return Verdict(False, "unknown_link")
    if removed_instructions and repeats_removed_text(body, removed_instructions):
        return Verdict(False, "follows_injected_instruction")
    return Verdict(True)
