"""The llama.cpp tier: the real shipped 0.5B model served by llama-cpp-python's server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.desk.desk import Desk
from bot.settings import BotSettings
from bot.wiring import build_retriever
from llm_server.client import OpenAIChatModel
from llm_server.engines import EngineProcess, llamacpp_engine
from llm_server.settings import LLMSettings
from tests.conftest import free_port

# Assembled once per machine (the wheel cache makes later runs quick).
MODELS = Path(__file__).resolve().parents[2] / "data" / "models"


def engine_settings() -> LLMSettings:
    """Deterministic decoding on a free port, the shipped 0.5B model."""
    return LLMSettings(port=free_port(), models_dir=MODELS, temperature=0.0, max_tokens=200)


def start_engine(settings: LLMSettings, log_dir: Path) -> EngineProcess:
    """A running llama.cpp engine (ready to answer)."""
    engine = llamacpp_engine(settings, log_dir).start()
    engine.wait_ready(timeout=120)
    return engine


@pytest.fixture(scope="module")
def llama(tmp_path_factory) -> Iterator[tuple[EngineProcess, LLMSettings]]:
    settings = engine_settings()
    engine = start_engine(settings, tmp_path_factory.mktemp("llama-logs"))
    yield engine, settings
    engine.stop()


def make_desk(sample_kb, settings: LLMSettings, **bot) -> Desk:
    """The real Desk over the sample KB talking to the engine at ``settings``."""
    return Desk(
        build_retriever(sample_kb),
        BotSettings(answer_deadline_s=120.0, **bot),
        OpenAIChatModel(settings),
    )
