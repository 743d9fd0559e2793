"""Starting the engine beside the app without making anyone wait for it.

The app answers extractively until the engine is healthy; a failed start is logged, never fatal.
The app talks only to the engine it started (:class:`OwnEngineChat`): a port already taken by
something else is reported, never silently used (an endpoint the app did not start is used only
when configured as ``external``). The engine stops with the app: :meth:`BackgroundEngine.stop`
on every clean exit, the kernel's parent-death signal otherwise (``engines.die_with_parent``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

from llm_server.client import ChatModel, LLMUnavailable, Message
from llm_server.engines import EngineProcess, build_engine, port_taken
from llm_server.settings import LLMSettings

log = logging.getLogger(__name__)


class BackgroundEngine:
    """Prepares the model and starts the configured engine on a thread that then stays until
    :meth:`stop` (the engine's parent-death signal is tied to that thread)."""

    def __init__(self, settings: LLMSettings, log_dir: Path):
        self.settings = settings
        self.log_dir = log_dir
        self.engine: EngineProcess | None = None
        self.error: str | None = None
        self.ready = False
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="llm-engine", daemon=True)

    def start(self) -> BackgroundEngine:
        """Begin preparing and starting (returns at once)."""
        self._thread.start()
        return self

    def _run(self) -> None:
        s = self.settings
        if port_taken(s.host, s.port):
            self.error = (
                f"port {s.port} on {s.host} is taken by a process this app did not start; stop "
                "it (an engine left by an earlier run?), choose SERVICEDESK_LLM_PORT, or use it "
                f"on purpose with SERVICEDESK_LLM_ENGINE=external and "
                f"SERVICEDESK_LLM_BASE_URL={s.api_base}"
            )
            log.error("LLM engine not started: %s; answers stay extractive", self.error)
            return
        if self._launch():
            self._stopping.wait()  # the engine lives as long as this thread

    def _launch(self) -> bool:
        """Build, start and wait for the engine; whether it became ready."""
        try:
            engine = build_engine(self.settings, self.log_dir)
            if engine is None:
                return False
            with self._lock:
                if self._stopping.is_set():
                    return False  # the app stopped while the model was being prepared
                self.engine = engine.start()
            engine.wait_ready(self.settings.startup_timeout_s)
        except Exception as err:  # the app keeps answering extractively
            if self._stopping.is_set():
                return False
            self.error = str(err)
            log.error("LLM engine did not start; answers stay extractive: %s", err)
            return False
        self.ready = True
        log.info("LLM ready at %s", self.settings.api_base)
        return True

    def serving(self) -> bool:
        """Whether the engine this object started is up (ready and still running)."""
        return self.ready and self.engine is not None and self.engine.alive()

    def status(self) -> tuple[bool, str]:
        """``(serving, why)`` for ``/readyz``: whose engine answers, or why none does."""
        if self.serving():
            return True, f"the engine this app started, at {self.settings.api_base}"
        if self.error:
            return False, self.error.splitlines()[0][:300]
        if self.ready:
            return False, "the engine this app started has exited; answers are extractive"
        return False, "starting; answers are extractive until it is ready"

    def join(self, timeout: float | None = None) -> None:
        """Wait for the start attempt to finish (or, once it runs, for :meth:`stop`)."""
        self._thread.join(timeout)

    def stop(self) -> None:
        """Stop the engine if this process started it; one that is still being prepared is
        never started."""
        with self._lock:
            self._stopping.set()
            engine = self.engine
        if engine is not None:
            engine.stop()

    def chat(self, model: ChatModel) -> OwnEngineChat:
        """``model`` restricted to this engine (see :class:`OwnEngineChat`)."""
        return OwnEngineChat(model, self)


class OwnEngineChat:
    """A ``ChatModel`` that sends requests only while the engine this app started serves:
    whatever else answers on its port is never asked."""

    def __init__(self, model: ChatModel, engine: BackgroundEngine) -> None:
        self.model = model
        self.engine = engine
        self.name = model.name

    def available(self) -> bool:
        """Whether our engine serves and the model answers."""
        return self.engine.serving() and self.model.available()

    def complete(self, messages: list[Message], max_tokens: int | None = None) -> str:
        """The whole reply, or ``LLMUnavailable`` when our engine is not serving."""
        return "".join(self.stream(messages, max_tokens))

    def stream(self, messages: list[Message], max_tokens: int | None = None) -> Iterator[str]:
        """The reply piece by piece, or ``LLMUnavailable`` when our engine is not serving."""
        if not self.engine.serving():
            raise LLMUnavailable("not_serving: the engine this app started is not serving")
        yield from self.model.stream(messages, max_tokens)
