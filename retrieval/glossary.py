"""A bilingual IT glossary: words employees use for the same thing ("비번", "password").

The keyword ranker also searches for a query term's equivalents, at a lower weight, which lets
BM25 bridge Korean and English articles and everyday slang. Dense retrieval needs no help here.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from retrieval.terms import terms_many

DEFAULT = Path(__file__).with_name("glossary_it.txt")


class Glossary:
    """Groups of equivalent words, matched on the same terms the keyword index uses."""

    def __init__(self, groups: list[list[str]]) -> None:
        variants = [v for group in groups for v in group]
        analysed = iter(terms_many(variants))
        self._groups: list[list[frozenset[str]]] = [
            [frozenset(next(analysed)) for _ in group] for group in groups
        ]
        self._by_term: dict[str, list[int]] = {}
        for index, group in enumerate(self._groups):
            for variant in group:
                for term in variant:
                    self._by_term.setdefault(term, []).append(index)

    @classmethod
    def from_text(cls, text: str) -> Glossary:
        """Parse lines of comma-separated equivalents; ``#`` starts a comment."""
        groups = []
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            words = [w.strip() for w in line.split(",") if w.strip()]
            if len(words) > 1:
                groups.append(words)
        return cls(groups)

    def expand(self, query_terms: list[str]) -> list[str]:
        """Return the terms of every equivalent of a phrase fully present in the query."""
        present = set(query_terms)
        extra: set[str] = set()
        for index in {i for t in present for i in self._by_term.get(t, ())}:
            group = self._groups[index]
            if any(variant and variant <= present for variant in group):
                for variant in group:
                    extra |= variant
        return sorted(extra - present)

    def __len__(self) -> int:
        return len(self._groups)


@lru_cache(maxsize=4)
def load_glossary(path: str) -> Glossary:
    """Load (once per process) the glossary at ``path``."""
    return Glossary.from_text(Path(path).read_text(encoding="utf-8"))
