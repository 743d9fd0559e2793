"""Readiness: named checks (the database, Chroma, the task queue, the LLM) run together, each
within a time bound, for ``/readyz``.

A check is *required* (down: the node is unready, the balancer sends it no traffic) or not (down:
the node is degraded and still serves). The LLM is not required: answers fall back to the
extractive backend while it is down. A name announced but never added (the task queue until a
worker is configured) is reported as ``not configured``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import text

if TYPE_CHECKING:  # types only: a worker that imports the metrics loads no model client
    from sqlalchemy import Engine

    from llm_server.client import ChatModel
    from retrieval.settings import RetrievalSettings

log = logging.getLogger(__name__)

Probe = Callable[[], "str | None"]  # raises when down; may return a short detail


class Down(RuntimeError):
    """A probe's way of saying the component is down, with a reason safe to show."""


@dataclass(frozen=True)
class Check:
    """One named probe; ``required``: down makes the node unready, not just degraded."""

    name: str
    probe: Probe
    required: bool = True


class Readiness:
    """The checks of one app. :meth:`report` runs them in parallel, each for at most
    ``timeout_s``; a probe still hanging from an earlier report is not started again (a dead
    database never piles up threads)."""

    def __init__(self, timeout_s: float = 2.0, announced: tuple[str, ...] = ("queue",)) -> None:
        self.timeout_s = timeout_s
        self.announced = announced
        self._checks: dict[str, Check] = {}
        self._running: set[str] = set()
        self._last: dict[str, str] = {}  # each check's last status: changes are logged
        self._lock = threading.Lock()

    def add(self, name: str, probe: Probe, required: bool = True) -> None:
        """Add (or replace) the check called ``name`` (the seam for the task queue's)."""
        self._checks[name] = Check(name, probe, required)

    def names(self) -> list[str]:
        """Every check reported: those added, then the announced ones not added."""
        return [*self._checks, *(n for n in self.announced if n not in self._checks)]

    def report(self) -> dict:
        """``{"status": ready|degraded|unready, "checks": {name: {...}}}``."""
        checks = list(self._checks.values())
        results: dict[str, dict] = {}
        threads = [self._start(check, results) for check in checks]
        deadline = time.monotonic() + self.timeout_s
        for thread in threads:
            if thread is not None:
                thread.join(max(0.0, deadline - time.monotonic()))
        out = {}
        for check in checks:
            result = results.get(check.name) or {"status": "timeout", "detail": _late(self)}
            out[check.name] = {**result, "required": check.required}
        for name in self.announced:
            out.setdefault(name, {"status": "not configured", "required": False})
        return {"status": overall(out), "checks": out}

    def _start(self, check: Check, results: dict[str, dict]) -> threading.Thread | None:
        with self._lock:
            if check.name in self._running:
                return None  # the last probe still hangs: report a timeout, start none
            self._running.add(check.name)
        thread = threading.Thread(
            target=self._run, args=(check, results), name=f"readyz-{check.name}", daemon=True
        )
        thread.start()
        return thread

    def _run(self, check: Check, results: dict[str, dict]) -> None:
        started = time.perf_counter()
        reason = ""
        try:
            detail = check.probe()
            result = {"status": "ok"} | ({"detail": detail} if detail else {})
        except Down as err:
            result = {"status": "down", "detail": str(err)}
            reason = str(err)
        except Exception as err:  # the reason goes to the log; the response names the kind only
            result = {"status": "down", "detail": type(err).__name__}
            reason = f"{type(err).__name__}: {err}"
        finally:
            with self._lock:
                self._running.discard(check.name)
        result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[check.name] = result
        self._log_change(check.name, result["status"], reason)

    def _log_change(self, name: str, status: str, reason: str) -> None:
        """Log a check going down or coming back, once (probes run every few seconds)."""
        with self._lock:
            before, self._last[name] = self._last.get(name, "ok"), status
        if status != before and status == "down":
            log.warning("readiness check %s is down: %s", name, reason)
        elif status != before and status == "ok":
            log.info("readiness check %s is ok again", name)


def _late(readiness: Readiness) -> str:
    return f"no answer within {readiness.timeout_s:g} s"


def overall(checks: dict[str, dict]) -> str:
    """``unready`` when a required check is not ok, ``degraded`` when another one is down."""
    configured = [c for c in checks.values() if c["status"] != "not configured"]
    if any(c["required"] and c["status"] != "ok" for c in configured):
        return "unready"
    if any(c["status"] != "ok" for c in configured):
        return "degraded"
    return "ready"


# -- the probes of the components every app has ------------------------------------------------


def database_probe(engine: Engine) -> Probe:
    """``SELECT 1`` on a pooled connection of the store's engine."""

    def probe() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    return probe


def chroma_probe(settings: RetrievalSettings, timeout_s: float) -> Probe:
    """The Chroma server's heartbeat in HTTP mode; in persistent mode Chroma runs inside the
    process (nothing to reach)."""

    def probe() -> str | None:
        if settings.chroma_mode != "http":
            return "embedded"
        url = f"http://{settings.chroma_host}:{settings.chroma_port}/api/v2/heartbeat"
        try:
            httpx.get(url, timeout=timeout_s).raise_for_status()
        except httpx.HTTPError as err:
            raise Down(f"{type(err).__name__} from the Chroma server") from err
        return None

    return probe


def llm_probe(chat: ChatModel) -> Probe:
    """Whether the chat model takes requests now (its own probe, cached for a few seconds)."""

    def probe() -> None:
        if not chat.available():
            raise Down("not answering: answers are extractive until it is back")

    return probe


def status_probe(status: Callable[[], tuple[bool, str]]) -> Probe:
    """A probe over a component that reports ``(up, detail)`` itself (the engine `serve`
    started)."""

    def probe() -> str:
        up, detail = status()
        if not up:
            raise Down(detail)
        return detail

    return probe


def standard_readiness(
    engine: Engine | None,
    retrieval: RetrievalSettings,
    chat: ChatModel | None,
    timeout_s: float = 2.0,
) -> Readiness:
    """The database, Chroma and (when answers use it) the LLM; the task queue announced."""
    readiness = Readiness(timeout_s)
    if engine is not None:
        readiness.add("database", database_probe(engine))
    readiness.add("chroma", chroma_probe(retrieval, timeout_s))
    if chat is not None:
        readiness.add("llm", llm_probe(chat), required=False)
    return readiness
