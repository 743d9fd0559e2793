"""`eval triage` arithmetic: folds, scores, the majority baseline, dataset names."""

from __future__ import annotations

import pytest

from bot.settings import TRIAGE_EXAMPLES
from bot.tickets.triage.examples import Example, ExamplesError
from evals.triage_eval import format_triage, resolve_triage_dataset, run_triage_eval, scores
from tests.fakes import FixedTriage

pytestmark = pytest.mark.unit

DATA = (
    [Example(f"VPN problem {i}", "network", "P2") for i in range(6)]
    + [Example(f"printer jam {i}", "hardware", "P3") for i in range(3)]
    + [Example(f"password reset {i}", "account", "P4") for i in range(3)]
)


def test_scores_match_a_hand_count() -> None:
    gold = ["a", "a", "b", "b"]
    result = scores(gold, ["a", "b", "b", "b"])
    assert result["accuracy"] == 0.75
    # a: precision 1, recall 0.5, F1 0.667; b: precision 0.667, recall 1, F1 0.8
    assert result["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2, abs=1e-4)
    assert result["per_category"]["a"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": 0.667,
        "support": 2,
    }


def test_a_triage_that_always_says_network_scores_like_the_majority_baseline() -> None:
    run = run_triage_eval(DATA, "toy", folds=3, factory=lambda train: FixedTriage("network", "P2"))
    r = run.result
    assert r["accuracy"] == r["baseline"]["accuracy"] == 0.5
    assert r["macro_f1"] == r["baseline"]["macro_f1"] == pytest.approx((2 / 3) / 3, abs=1e-4)
    assert r["baseline"]["label"] == "network"
    assert r["priority"] == {"accuracy": 0.5, "within_one": 0.75, "baseline_accuracy": 0.5}
    assert [p["predicted"] for p in run.per_question] == ["network"] * len(DATA)
    assert "majority baseline (network): accuracy 0.500" in format_triage(r)


def test_every_example_is_predicted_once_by_a_model_that_never_saw_it() -> None:
    seen: list[set[str]] = []

    def factory(train):
        seen.append({e.text for e in train})
        return FixedTriage("network")

    run_triage_eval(DATA, "toy", folds=3, factory=factory)
    assert len(seen) == 3
    held_out = [{e.text for e in DATA} - s for s in seen]
    assert sorted(len(h) for h in held_out) == [4, 4, 4]
    assert set().union(*held_out) == {e.text for e in DATA}


def test_the_real_classifier_beats_the_baseline_on_separable_text() -> None:
    r = run_triage_eval(DATA, "toy", folds=3).result
    assert r["accuracy"] == 1.0 and r["macro_f1"] == 1.0
    assert r["backend"] == "classifier"


def test_folds_beyond_the_rarest_category_are_refused() -> None:
    with pytest.raises(ExamplesError, match=r"needs 2\.\.3"):
        run_triage_eval(DATA, "toy", folds=4)


def test_dataset_names(tmp_path) -> None:
    assert resolve_triage_dataset("sample") == ("sample", TRIAGE_EXAMPLES)
    assert resolve_triage_dataset(str(TRIAGE_EXAMPLES))[0] == "sample"
    folder = tmp_path / "helpdesk_ko"
    folder.mkdir()
    (folder / "tickets.jsonl").write_text('{"text": "x", "category": "y"}\n', encoding="utf-8")
    assert resolve_triage_dataset(str(folder)) == ("helpdesk_ko", folder / "tickets.jsonl")
    assert resolve_triage_dataset(str(folder / "tickets.jsonl"))[0] == "helpdesk_ko"
    with pytest.raises(ExamplesError, match="not found"):
        resolve_triage_dataset(str(tmp_path / "missing"))
