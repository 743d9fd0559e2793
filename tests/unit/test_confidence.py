"""Confidence rises with the evidence and stays a probability."""

from __future__ import annotations

import pytest

from retrieval.confidence import ConfidenceModel, Evidence

pytestmark = pytest.mark.unit
model = ConfidenceModel()


def test_more_similar_and_better_covered_is_more_confident() -> None:
    weak = Evidence(cosine=0.80, coverage=0.2, dense_rank=3, keyword_rank=None)
    strong = Evidence(cosine=0.90, coverage=0.9, dense_rank=1, keyword_rank=1)
    assert 0.0 <= model(weak) < 0.5 < model(strong) <= 1.0


def test_agreement_of_both_rankers_adds_confidence() -> None:
    apart = Evidence(cosine=0.86, coverage=0.5, dense_rank=1, keyword_rank=2)
    agreed = Evidence(cosine=0.86, coverage=0.5, dense_rank=1, keyword_rank=1)
    assert model(agreed) > model(apart)


def test_extreme_inputs_do_not_overflow() -> None:
    assert model(Evidence(10.0, 1.0, 1, 1)) == pytest.approx(1.0)
    assert model(Evidence(-10.0, 0.0, None, None)) == pytest.approx(0.0)
