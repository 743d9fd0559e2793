"""The answer backend without an LLM: the best-matching sentences of the top hits, cited.

Used when the backend is ``extractive`` and as the fallback whenever the LLM is down, slow or its
answer fails the check. The framing is worded in the asker's language; the sentences are quoted
from the articles as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.desk.injection import looks_like_instruction
from bot.text.sentences import split_sentences
from retrieval.terms import terms

INTRO = {
    "ko": "지식 문서에서 찾은 내용입니다.",
    "en": "Here is what our knowledge base says.",
}
OUTRO = {
    "ko": "자세한 내용은 출처 문서를 확인하세요. 해결되지 않으면 담당자 연결을 요청하세요.",
    "en": "See the sources for details. If this does not solve it, ask to talk to a person.",
}


# A second article whose fused score is this close to the top one is shown too: retrieval
# cannot tell which of the two the asker means.
TIE = 0.8


@dataclass
class Source:
    """One retrieved passage the answer may quote, numbered as it is cited."""

    n: int
    title: str
    section: str
    text: str
    closeness: float = 1.0  # fused score relative to the top source (1.0 for the top one)


def _score(sentence_terms: set[str], wanted: set[str]) -> float:
    if not sentence_terms or not wanted:
        return 0.0
    overlap = len(sentence_terms & wanted)
    # Favour sentences that cover the question, a little against very long ones.
    return overlap / len(wanted) + 0.1 * overlap / (len(sentence_terms) ** 0.5)


def _ranked(question_terms: set[str], source: Source) -> list[tuple[float, int, str]]:
    """``(score, position, sentence)`` for every usable sentence of ``source``, best first."""
    sentences = split_sentences(source.text)
    out = [
        (_score(set(terms(s)), question_terms), pos, s)
        for pos, s in enumerate(sentences)
        if not looks_like_instruction(s)
    ]
    return sorted(out, key=lambda t: (-t[0], t[1]))


def pick_sentences(
    question: str, sources: list[Source], max_sentences: int = 4
) -> list[tuple[int, str]]:
    """The ``(source number, sentence)`` pairs that best answer ``question``, in reading order.

    The top source leads (retrieval ranked it first by meaning and words together); one other
    source adds its best sentence when it matches the question's words better than the lead, or
    when retrieval could hardly tell it from the top one (``closeness`` >= ``TIE``).
    """
    if not sources:
        return []
    wanted = set(terms(question))
    top = sources[0]
    ranked = _ranked(wanted, top)
    if not ranked:
        return []
    lead_score, lead_pos, _ = ranked[0]
    if lead_score == 0:
        # No word in common (an English question on a Korean article): the top chunk matched
        # by meaning, so its opening is the best we have.
        picks = {p: s for _, p, s in sorted(ranked, key=lambda t: t[1])[:2]}
    else:
        picks = {lead_pos: ranked[0][2]}
        by_pos = {p: s for _, p, s in ranked}
        # Steps right after the lead read as a procedure.
        for pos in (lead_pos + 1, lead_pos + 2):
            if pos in by_pos and len(picks) < max_sentences - 1:
                picks[pos] = by_pos[pos]
        for score, pos, sentence in ranked[1:]:
            if len(picks) >= max_sentences - 1 or score < 0.6 * lead_score:
                break
            picks.setdefault(pos, sentence)
    chosen = [(top.n, picks[p]) for p in sorted(picks)]
    for other in sources[1:]:
        best = _ranked(wanted, other)
        if not best or len(chosen) >= max_sentences:
            continue
        if best[0][0] > lead_score or (other.closeness >= TIE and best[0][0] > 0):
            chosen.append((other.n, best[0][2]))
            break
    return chosen


def compose(language: str, picked: list[tuple[int, str]], notice: str | None = None) -> str:
    """The extractive answer text: intro, one cited line per sentence, outro."""
    lang = language if language in INTRO else "en"
    lines = [f"- {sentence} [{n}]" for n, sentence in picked]
    parts = [notice] if notice else []
    parts += [INTRO[lang], "\n".join(lines), OUTRO[lang]]
    return "\n\n".join(parts)
