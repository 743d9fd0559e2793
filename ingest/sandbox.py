"""Read untrusted files in a worker process with memory, processor and time limits.

PDF, DOCX and HTML have parsers (pypdf; python-docx and BeautifulSoup on lxml) that a hostile or
merely broken file can keep busy for minutes or make allocate gigabytes. A :class:`LoaderSandbox`
reads those formats in one worker process with ``RLIMIT_AS`` (memory) and ``RLIMIT_CPU`` set, and
kills it when a file takes longer than the wall-clock limit. A file that breaks a limit fails with
a :class:`~ingest.articles.LoaderError` saying which; the next file gets a fresh worker. Markdown,
plain text, CSV and JSONL are read in this process: their loaders are linear Python over a
size-capped file, and a round trip to the worker would cost more than reading them.

The worker lives as long as the sandbox (one ingestion run, or the web app's life): a run pays
one process start (about 0.3 s), not one per file. It is a fresh interpreter started with
``subprocess``, not a fork: threads and model libraries loaded here are never copied into it,
and unlike multiprocessing's spawn it never re-imports the caller's main script.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.articles import Article, LoaderError
from ingest.loaders import docx, html, load_file, pdf
from ingest.loaders.zip_budget import DEFAULT_BUDGET, MB, ZipBudget

if TYPE_CHECKING:  # the worker imports this module: it need not load pydantic-settings
    from ingest.settings import IngestSettings

#: Suffixes read in the worker; the others are read in this process.
SANDBOXED_SUFFIXES = frozenset((*pdf.SUFFIXES, *docx.SUFFIXES, *html.SUFFIXES))
#: What the worker calls, as ``module:function``; it is called with ``(path, budget)``.
DEFAULT_LOADER = "ingest.loaders:load_file"
_LEAVE_S = 2.0  # how long close() lets an idle worker leave on its own before killing it
_START_S = 60.0  # how long a new worker may take to import the loaders
# The worker's first lines: this process's import path, then this module's main().
_WORKER_MAIN = (
    "import json, sys; sys.path[:0] = json.loads(sys.argv[2])['path']; "
    "from ingest.sandbox import main; main(sys.argv[1:])"
)
_ENV_KEPT = frozenset({"PATH", "LANG", "LANGUAGE", "TZ", "TMPDIR", "HOME"})
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SandboxLimits:
    """What reading one file may take."""

    timeout_s: float = 30.0
    memory_mb: int = 1024
    cpu_s: int = 30
    budget: ZipBudget = DEFAULT_BUDGET

    @classmethod
    def from_settings(cls, settings: IngestSettings) -> SandboxLimits:
        """The limits ``settings`` configure."""
        return cls(
            timeout_s=settings.loader_timeout_s,
            memory_mb=settings.loader_memory_mb,
            cpu_s=settings.loader_cpu_s,
            budget=ZipBudget.from_mb(settings.max_unpacked_mb),
        )


class _WorkerLost(Exception):
    """The worker broke a limit or died; ``reason`` is what the admin reads."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LoaderSandbox:
    """Load files as :func:`ingest.loaders.load_file` does, the risky formats in a worker within
    :class:`SandboxLimits`. Thread-safe (one file at a time); close it, or use it as a context."""

    def __init__(self, limits: SandboxLimits | None = None, loader: str = DEFAULT_LOADER) -> None:
        self.limits = limits or SandboxLimits()
        # A seam: tests name a loader of their own that sleeps, spins or hoards memory.
        self.loader = loader
        self._worker: _Worker | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: IngestSettings) -> LoaderSandbox:
        """A sandbox with the limits ``settings`` configure."""
        return cls(SandboxLimits.from_settings(settings))

    def load(self, path: Path) -> list[Article]:
        """Load ``path``; raise LoaderError if it cannot be read within the limits."""
        path = Path(path)
        if path.suffix.lower() not in SANDBOXED_SUFFIXES:
            return load_file(path, self.limits.budget)
        with self._lock:
            worker = self._running()
            try:
                return worker.load(path)
            except _WorkerLost as lost:
                worker.kill()
                self._worker = None
                raise LoaderError(lost.reason) from None

    def start(self) -> None:
        """Start the worker now, if none runs: it imports the loaders while the caller works.
        Never raises: a worker that cannot start is reported by the load that needs it."""
        with self._lock, contextlib.suppress(LoaderError):
            self._running()

    @property
    def worker_pid(self) -> int | None:
        """The worker's process id while one runs, else None."""
        worker = self._worker
        return worker.process.pid if worker else None

    def close(self) -> None:
        """Stop the worker (a later load starts a new one)."""
        with self._lock:
            if self._worker is not None:
                self._worker.stop()
                self._worker = None

    def __enter__(self) -> LoaderSandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _running(self) -> _Worker:
        """The worker, started if there is none."""
        if self._worker is None:
            try:
                self._worker = _Worker(self.limits, self.loader)
            except OSError as err:  # no processes or memory left to start one
                raise LoaderError(f"could not start the reader: {err.strerror or err}") from err
        return self._worker


class _Worker:
    """One worker process and the socket to it."""

    def __init__(self, limits: SandboxLimits, loader: str) -> None:
        self.limits = limits
        ours, theirs = socket.socketpair()
        with ours, theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _WORKER_MAIN, str(theirs.fileno()), _spec(limits, loader)],
                pass_fds=[theirs.fileno()],
                env=_worker_env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # stderr stays: a loader's warnings reach the log
            )
            self.conn = Connection(ours.detach())
        self._ready = False
        # Interpreter exit ends a worker whose sandbox was never closed.
        self._end = weakref.finalize(self, _end, self.process, self.conn)

    def load(self, path: Path) -> list[Article]:
        """Ask the worker for ``path``'s articles; _WorkerLost when it breaks a limit or dies."""
        try:
            self._wait_ready()
            # The worker works in our folder: a relative path names the same file, and the
            # articles' sources read exactly as they would in this process.
            self.conn.send((os.getcwd(), str(path)))
            if not self.conn.poll(self.limits.timeout_s):
                raise _WorkerLost(f"took longer than {self.limits.timeout_s:g} s to read")
            kind, value = self.conn.recv()
        except (EOFError, OSError):
            raise _WorkerLost(self._death()) from None
        if kind == "memory":
            raise _WorkerLost(f"needed more than {self.limits.memory_mb} MB of memory to read")
        if kind == "refused":
            raise LoaderError(value)
        return value

    def _wait_ready(self) -> None:
        """Wait for the worker's first word (its imports done) before a read's clock starts."""
        if self._ready:
            return
        if not self.conn.poll(_START_S):
            raise _WorkerLost(f"the reader did not start within {_START_S:g} s")
        self.conn.recv()
        self._ready = True

    def _death(self) -> str:
        """Why the worker is gone, from its exit status."""
        try:
            code = self.process.wait(_LEAVE_S)
        except subprocess.TimeoutExpired:
            return "the reader stopped answering"
        if code == -signal.SIGXCPU:
            return f"needed more than {self.limits.cpu_s} s of processor time to read"
        if code < 0:
            return f"the reader crashed ({_signal_name(-code)})"
        return f"the reader stopped unexpectedly (exit status {code})"

    def kill(self) -> None:
        """End the worker at once (it may be stuck in a parser)."""
        self._end()

    def stop(self) -> None:
        """Let the idle worker leave (it reads the end of the socket), or kill it."""
        self.conn.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(_LEAVE_S)
        self._end()


def _end(process: subprocess.Popen, conn: Connection) -> None:
    """Close the socket, kill the process if it still runs, and reap it."""
    conn.close()
    if process.poll() is None:
        process.kill()
    process.wait()


def _spec(limits: SandboxLimits, loader: str) -> str:
    """What the worker needs to know, as one JSON argument."""
    return json.dumps({**asdict(limits), "loader": loader, "path": sys.path})


def _worker_env() -> dict[str, str]:
    """The environment the worker gets: locale, time zone and search path, none of our secrets
    (a parser that a file subverts finds no API key or database password to read)."""
    return {
        name: value
        for name, value in os.environ.items()
        if name in _ENV_KEPT or name.startswith("LC_")
    }


def _signal_name(number: int) -> str:
    """SIGSEGV for 11; a plain number for a signal Python does not name."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


# -- the worker's side ------------------------------------------------------------------------


def main(argv: list[str]) -> None:
    """Run a worker: ``argv`` holds the socket's descriptor and :func:`_spec`'s JSON."""
    spec = json.loads(argv[1])
    _limit_memory(spec["memory_mb"])
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a killed worker leaves no core file
    # Ctrl-C is the parent's to handle; the worker leaves when the parent closes the socket.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = Connection(int(argv[0]))
    conn.send(("ready", os.getpid()))
    serve(conn, _import(spec["loader"]), ZipBudget(**spec["budget"]), spec["cpu_s"])
    sys.stderr.flush()
    os._exit(0)  # nothing to tidy: skipping the interpreter's teardown makes close() quick


def serve(conn: Connection, load: Callable, budget: ZipBudget, cpu_s: int) -> None:
    """Answer load requests on ``conn`` until it closes."""
    while True:
        try:
            cwd, path = conn.recv()
        except EOFError:
            return
        _limit_cpu(cpu_s)
        try:
            conn.send(_answer(load, cwd, Path(path), budget))
        except MemoryError:
            # Parsers' state after a failed allocation is not to be trusted: leave after saying so.
            conn.send(("memory", None))
            return


def _answer(load: Callable, cwd: str, path: Path, budget: ZipBudget) -> tuple[str, object]:
    """``("ok", articles)`` or ``("refused", reason)``; MemoryError passes through."""
    try:
        os.chdir(cwd)
        return "ok", load(path, budget)
    except LoaderError as err:
        return "refused", str(err)
    except MemoryError:
        raise
    except Exception as err:  # a loader's bug: this file fails, the worker serves the next one
        log.exception("reading %s failed", path)
        return "refused", f"unreadable: {type(err).__name__}: {err}"


def _limit_memory(memory_mb: int) -> None:
    """Cap the worker's address space (never above a hard limit it inherited)."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = memory_mb * MB
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _limit_cpu(cpu_s: int) -> None:
    """Allow ``cpu_s`` more processor seconds from now: the limit counts the worker's whole life."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(usage.ru_utime + usage.ru_stime) + 1 + cpu_s
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _import(name: str) -> Callable:
    """The function ``module:function`` names."""
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(module), function)
