"""Starting the engine beside the app without making anyone wait for it.

The app answers extractively until the engine is healthy; a failed start is logged, never fatal.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from llm_server.engines import EngineProcess, build_engine, is_ready
from llm_server.settings import LLMSettings

log = logging.getLogger(__name__)


class BackgroundEngine:
    """Prepares the model and starts the configured engine on a thread."""

    def __init__(self, settings: LLMSettings, log_dir: Path):
        self.settings = settings
        self.log_dir = log_dir
        self.engine: EngineProcess | None = None
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, name="llm-engine", daemon=True)

    def start(self) -> BackgroundEngine:
        """Begin preparing and starting (returns at once)."""
        self._thread.start()
        return self

    def _run(self) -> None:
        if is_ready(self.settings.api_base, self.settings.api_key):
            log.info(
                "an LLM endpoint already answers at %s; not starting another",
                self.settings.api_base,
            )
            return
        try:
            self.engine = build_engine(self.settings, self.log_dir)
            if self.engine is None:
                return
            self.engine.start().wait_ready(self.settings.startup_timeout_s)
            log.info("LLM ready at %s", self.settings.api_base)
        except Exception as err:  # the app keeps answering extractively
            self.error = str(err)
            log.error("LLM engine did not start; answers stay extractive: %s", err)

    def join(self, timeout: float | None = None) -> None:
        """Wait for the start attempt to finish."""
        self._thread.join(timeout)

    def stop(self) -> None:
        """Stop the engine if this process started it."""
        if self.engine is not None:
            self.engine.stop()
