"""How sure retrieval is that its top hit answers the question, as a number in [0, 1].

The answer-or-escalate decision is taken from this number alone, never from the LLM refusing,
so it has to mean the same thing on knowledge bases we have never seen. It therefore uses only
signals whose scale does not depend on the corpus: the embedder's cosine similarity, the share of
the query's terms that the best chunk contains, and whether both rankers agree on the article.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Evidence:
    """What the rankers said about one article."""

    cosine: float  # best chunk's cosine similarity to the query (0 if dense did not find it)
    coverage: float  # share of the query's distinct terms found in the best keyword chunk
    dense_rank: int | None  # 1-based article rank in each ranker, None if absent
    keyword_rank: int | None


@dataclass(frozen=True)
class ConfidenceModel:
    """A logistic model over the evidence; coefficients are chosen by evaluation."""

    cosine_center: float = 0.88
    cosine_scale: float = 21.8
    coverage_weight: float = 2.76
    agreement_weight: float = 1.76
    bias: float = 0.0

    def __call__(self, ev: Evidence) -> float:
        """Return the probability-like confidence for one article."""
        agree = 1.0 if ev.dense_rank == 1 and ev.keyword_rank == 1 else 0.0
        z = (
            self.cosine_scale * (ev.cosine - self.cosine_center)
            + self.coverage_weight * ev.coverage
            + self.agreement_weight * agree
            + self.bias
        )
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))
