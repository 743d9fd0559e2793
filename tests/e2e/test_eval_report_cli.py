"""`eval run` → `eval report` → `eval compare` as a user runs them, on the sample set (through
Typer's runner, from the repository's root as `make eval` runs them)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from bot.cli.main import app

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def _eval(data_dir: Path, history: Path, *args: str) -> Result:
    """Run one `eval` command; a crash (not an exit with a code) fails the test."""
    env = {"SERVICEDESK_DATA_DIR": str(data_dir), "SERVICEDESK_EVAL_HISTORY": str(history)}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO)
        done = CliRunner().invoke(app, ["eval", *args], env=env)
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        raise done.exception
    return done


def test_a_real_run_becomes_a_report_and_a_history_line(sample_kb, tmp_path) -> None:
    history = tmp_path / "history.jsonl"
    run_json = tmp_path / "run.json"
    # The sample KB's data folder: its embedding cache makes indexing the set again quick.
    data = sample_kb.settings.data_dir
    args = ("--dataset", "sample", "--backend", "extractive", "--limit", "10")
    done = _eval(data, history, "run", *args, "--json", str(run_json))
    assert done.exit_code == 0, done.stdout + done.stderr

    payload = json.loads(run_json.read_text(encoding="utf-8"))
    assert payload["kind"] == "run" and len(payload["per_question"]) == 10
    assert len(payload["recall_at_k"]["hybrid"]) == 10
    assert all("decision" in r and "latency_ms" in r for r in payload["per_question"])
    declined = [r for r in payload["per_question"] if r["decision"] == "declined"]
    assert all(r["decline_reason"] for r in declined)

    lines = [json.loads(x) for x in history.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 1 and lines[0]["command"] == "run" and lines[0]["dataset"] == "sample"
    assert lines[0]["config"]["backend"] == "extractive" and "fcr" in lines[0]["metrics"]

    report = tmp_path / "out" / "report.html"
    done = _eval(data, history, "report", str(run_json), "--out", str(report))
    assert done.exit_code == 0, done.stderr
    html = report.read_text(encoding="utf-8")
    assert len(re.findall(r'src="data:image/png;base64,', html)) == 3
    assert "Worst failures" in html and "<th>run</th>" in html

    done = _eval(data, history, "compare", "history:-1", str(run_json))
    assert done.exit_code == 0, done.stderr
    assert re.search(r"^fcr\s.*= same$", done.stdout, re.M), done.stdout


def test_no_history_leaves_the_history_alone_and_bad_input_is_refused(tmp_path) -> None:
    history = tmp_path / "history.jsonl"
    tickets = tmp_path / "tickets.jsonl"
    rows = [{"text": f"VPN drops {i}", "category": "network"} for i in range(4)]
    rows += [{"text": f"printer jams {i}", "category": "hardware"} for i in range(4)]
    tickets.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    base = ("triage", "--dataset", str(tickets), "--embedders", "", "--folds", "2")
    done = _eval(tmp_path / "data", history, *base, "--no-history")
    assert done.exit_code == 0, done.stderr
    assert not history.exists()
    done = _eval(tmp_path / "data", history, *base)
    assert done.exit_code == 0 and len(history.read_text().splitlines()) == 1

    done = _eval(tmp_path / "data", history, "compare", "history:5", "history:-1")
    assert done.exit_code == 2 and "history:5: no such history entry" in done.stderr
    done = _eval(
        tmp_path / "data", history, "report", str(tickets), "--out", str(tmp_path / "x.html")
    )
    assert done.exit_code == 2 and "cannot read a run JSON" in done.stderr
