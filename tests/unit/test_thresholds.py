"""Regression thresholds name the metric that fell and by how much."""

from __future__ import annotations

import json

import pytest

from evals.datasets import DatasetError, load_dataset
from evals.thresholds import check

pytestmark = pytest.mark.unit


def test_a_fall_below_the_minimum_is_reported(tmp_path) -> None:
    table = tmp_path / "t.json"
    table.write_text(json.dumps({"demo": {"ndcg@10": 0.8, "per_language.ko.hybrid": 0.5}}))
    result = {"dataset": "demo", "ndcg@10": 0.75, "per_language": {"ko": {"hybrid": 0.6}}}
    assert check(result, table) == ["demo: ndcg@10 = 0.750 < minimum 0.8 (fell by 0.050)"]


def test_datasets_without_thresholds_pass(tmp_path) -> None:
    table = tmp_path / "t.json"
    table.write_text("{}")
    assert check({"dataset": "other", "ndcg@10": 0.1}, table) == []


def test_unknown_dataset_is_a_clear_error() -> None:
    with pytest.raises(DatasetError, match="not found"):
        load_dataset("no-such-dataset")


def test_the_sample_set_loads_with_its_knowledge_base() -> None:
    data = load_dataset("sample")
    assert len(data.questions) >= 60 and data.kb_paths[0].is_dir()
    assert sum(q.should_escalate for q in data.questions) >= 15
    assert {q.lang for q in data.questions} == {"ko", "en"}
