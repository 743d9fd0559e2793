"""The `servicedesk` command as a user runs it, with its own data directory: the commands through
Typer's runner in this process (each as if in a process of its own), and the installed command
once in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from chromadb.api.client import SharedSystemClient
from click.testing import Result
from typer.testing import CliRunner

from bot.cli.main import app

pytestmark = pytest.mark.e2e

ARTICLE = """---
id: KB-OTP
title: OTP 앱 재등록
tags: [mfa, otp]
---
## 휴대폰을 바꿨을 때

새 휴대폰에 Hanbit OTP 앱을 설치하고 포털에서 재등록합니다.
"""
STAFF = """---
id: KB-FW
title: Firewall change request
allowed_groups: [it-staff]
---
Firewall changes need a CAB ticket two days ahead.
"""


def _env(data_dir: Path, **env_extra: str) -> dict[str, str]:
    env = {"SERVICEDESK_DATA_DIR": str(data_dir), "SERVICEDESK_PROGRESS": "false"}
    env.update({f"SERVICEDESK_{k.upper()}": v for k, v in env_extra.items()})
    return env


def _cli(data_dir: Path, *args: str, **env_extra: str) -> Result:
    """Run one command; a crash (not an exit with a code) fails the test with its traceback."""
    try:
        done = CliRunner().invoke(app, list(args), env=_env(data_dir, **env_extra))
    finally:
        # Each command stands for a process of its own: forget the Chroma clients it opened
        # (Chroma keeps one per folder per process, and `--reindex` deletes the folder).
        SharedSystemClient.clear_system_cache()
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        raise done.exception
    return done


@pytest.fixture()
def kb_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "otp.md").write_text(ARTICLE, encoding="utf-8")
    (folder / "fw.md").write_text(STAFF, encoding="utf-8")
    return folder


def test_ingest_search_show_delete_round_trip(tmp_path, kb_dir) -> None:
    data = tmp_path / "data"
    done = _cli(data, "ingest", str(kb_dir))
    assert done.exit_code == 0, done.stderr
    assert "2 added" in done.stdout

    again = _cli(data, "ingest", str(kb_dir))
    assert "2 unchanged" in again.stdout and "0 chunks indexed" in again.stdout

    found = _cli(data, "search", "폰 바꿨는데 otp 어떻게 해요", "--json")
    hits = json.loads(found.stdout)["hits"]
    assert hits[0]["article_id"] == "KB-OTP" and hits[0]["section"] == "휴대폰을 바꿨을 때"

    public = json.loads(_cli(data, "search", "firewall change", "--json").stdout)["hits"]
    staff = json.loads(
        _cli(data, "search", "firewall change", "--json", "--groups", "it-staff").stdout
    )["hits"]
    assert "KB-FW" not in [h["article_id"] for h in public]
    assert staff[0]["article_id"] == "KB-FW"

    listing = _cli(data, "kb", "list")
    assert "KB-OTP" in listing.stdout and "[it-staff]" in listing.stdout
    shown = _cli(data, "kb", "show", "KB-OTP")
    assert "새 휴대폰에" in shown.stdout
    assert _cli(data, "kb", "delete", "KB-OTP").exit_code == 0
    assert "KB-OTP" not in _cli(data, "kb", "list").stdout
    assert _cli(data, "kb", "show", "KB-OTP").exit_code == 1


def test_failed_files_give_one_line_each_and_a_non_zero_exit(tmp_path, kb_dir) -> None:
    (kb_dir / "scan.pdf").write_bytes(b"not a pdf at all")
    (kb_dir / "notes.xyz").write_text("?")
    done = _cli(tmp_path / "data", "ingest", str(kb_dir))
    assert done.exit_code == 1
    failed = [line for line in done.stderr.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 2
    assert any("scan.pdf" in f and "corrupt PDF" in f for f in failed)
    assert any("notes.xyz" in f and "unsupported" in f for f in failed)
    assert "2 added" in done.stdout


def test_invalid_configuration_is_refused_at_start(tmp_path) -> None:
    done = _cli(tmp_path / "data", "kb", "list", chunk_tokens="5")
    assert done.exit_code == 2 and "chunk_tokens" in done.stderr


def test_unknown_embedder_is_a_clear_error(tmp_path) -> None:
    done = _cli(tmp_path, "search", "vpn", embedder="bert")
    assert done.exit_code == 2 and "unknown embedder 'bert'" in done.stderr


def test_switching_embedder_needs_and_gets_a_reindex(tmp_path, kb_dir) -> None:
    data = tmp_path / "data"
    assert _cli(data, "ingest", str(kb_dir)).exit_code == 0
    refused = _cli(data, "search", "otp", embedder="use-m3")
    assert refused.exit_code == 2 and "--reindex" in refused.stderr
    rebuilt = _cli(data, "ingest", "--reindex", str(kb_dir), embedder="use-m3")
    assert rebuilt.exit_code == 0 and "2 added" in rebuilt.stdout
    found = json.loads(_cli(data, "search", "OTP 재등록", "--json", embedder="use-m3").stdout)
    assert found["hits"][0]["article_id"] == "KB-OTP"


def test_ask_answers_with_sources_or_declines_offering_a_ticket(tmp_path, kb_dir) -> None:
    assert _cli(tmp_path, "ingest", str(kb_dir)).exit_code == 0
    # The LLM endpoint is a port nothing listens on: the Desk must still answer, extractively.
    dead = {"llm_port": "9", "decision_threshold": "0.5"}
    asked = _cli(tmp_path, "ask", "휴대폰을 바꿨는데 OTP 재등록은 어떻게 하나요?", "--json", **dead)
    assert asked.exit_code == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["decision"] == "answered" and answer["language"] == "ko"
    assert answer["citations"][0]["article_id"] == "KB-OTP"
    assert answer["fallback_reason"] == "llm_unavailable"
    assert "재등록" in answer["text"]
    declined = _cli(tmp_path, "ask", "What is the cafeteria menu today?", **dead)
    assert declined.exit_code == 0
    assert "Not answered: talk to a person" in declined.stdout
    # The firewall article is for it-staff only.
    staff = _cli(
        tmp_path, "ask", "Firewall change request CAB ticket", "--groups", "it-staff", "--json",
        **{**dead, "answer_backend": "extractive"},
    )  # fmt: skip
    assert json.loads(staff.stdout)["citations"][0]["article_id"] == "KB-FW"
    empty = _cli(tmp_path, "ask", "   ", "--json", **dead)
    assert json.loads(empty.stdout)["reason"] == "invalid_question"


def test_the_installed_command_runs_in_a_process_of_its_own(tmp_path, kb_dir) -> None:
    # The entry point itself, once; the hash embedder: this is not about ranking.
    installed = Path(sys.executable).with_name("servicedesk")
    command = [str(installed)] if installed.exists() else [sys.executable, "-m", "bot.cli.main"]
    data = tmp_path / "data"
    env = {**os.environ, **_env(data, embedder="hash")}
    done = subprocess.run(
        [*command, "ingest", str(kb_dir)], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "2 added" in done.stdout
    found = _cli(
        data, "search", "firewall change", "--json", "--groups", "it-staff", embedder="hash"
    )
    assert json.loads(found.stdout)["hits"][0]["article_id"] == "KB-FW"
