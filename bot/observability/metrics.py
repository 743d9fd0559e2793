"""Prometheus metrics of one app, in a registry of its own.

Counted where things happen (the web layer counts requests, ``bot.observability.observed``
answers, LLM calls and tickets); read when Prometheus scrapes (the index size, the task queue's
depth through :meth:`Metrics.watch_queue_depth`). Labels come from small fixed sets (route
templates, decisions, backends, reasons), never from what a person typed.

Several uvicorn workers: each process counts on its own. With ``PROMETHEUS_MULTIPROC_DIR`` set
before the first import of ``prometheus_client`` (an empty folder per start), the library keeps
the values in files there and :meth:`Metrics.exposition` sums every worker's.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from bot.desk.answer import Answer

log = logging.getLogger(__name__)

# Buckets in seconds: web requests are mostly fast; answers and LLM calls take seconds.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
ANSWER_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)
_LABEL = re.compile(r"^[A-Za-z0-9_.:-]{1,60}$")

IndexSize = Callable[[], tuple[int, int]]  # (articles, chunks)
QueueDepth = Callable[[], "Mapping[str, int] | int"]  # per queue name, or one number


def label(value: object, default: str = "other") -> str:
    """``value`` as a label value when it is a short token, else ``default``: a label never
    carries free text (every distinct value is a new time series)."""
    text = str(value or "")
    return text if _LABEL.match(text) else default


def fallback_label(reason: str) -> str:
    """The fallback reason without its detail (``rejected:foreign_script:han,latin`` ->
    ``rejected:foreign_script``): bounded whatever the checks report."""
    return label(":".join(reason.split(":")[:2]))


class Metrics:
    """The app's counters and histograms; :meth:`exposition` is what ``/metrics`` serves."""

    def __init__(self, index_size: IndexSize | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "servicedesk_http_requests", "HTTP requests by route template, method and status",
            ["route", "method", "status"], registry=r,
        )  # fmt: skip
        self.request_seconds = Histogram(
            "servicedesk_http_request_duration_seconds", "HTTP request latency by route template",
            ["route", "method"], buckets=REQUEST_BUCKETS, registry=r,
        )  # fmt: skip
        self.answers = Counter(
            "servicedesk_answers", "answers the Desk gave, by decision and backend",
            ["decision", "backend"], registry=r,
        )  # fmt: skip
        self.answer_seconds = Histogram(
            "servicedesk_answer_duration_seconds", "time from question to whole answer",
            ["backend"], buckets=ANSWER_BUCKETS, registry=r,
        )  # fmt: skip
        self.fallbacks = Counter(
            "servicedesk_answer_fallbacks", "answers shown extractively instead of the LLM's",
            ["reason"], registry=r,
        )  # fmt: skip
        self.llm_seconds = Histogram(
            "servicedesk_llm_request_duration_seconds", "LLM requests, call to last token",
            ["outcome"], buckets=ANSWER_BUCKETS, registry=r,
        )  # fmt: skip
        self.llm_errors = Counter(
            "servicedesk_llm_errors", "LLM requests that failed, by kind", ["kind"], registry=r
        )
        self.tickets = Counter(
            "servicedesk_tickets_filed", "tickets filed through this process, by channel",
            ["channel"], registry=r,
        )  # fmt: skip
        self.live = LiveGauges(index_size)
        r.register(self.live)

    # -- what the app reports -----------------------------------------------------------------

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one HTTP request to ``route`` (a template such as ``/tickets/{number}``)."""
        self.requests.labels(route, method, str(status)).inc()
        self.request_seconds.labels(route, method).observe(seconds)

    def answered(self, answer: Answer) -> None:
        """Count one answer by decision and backend, its latency and any fallback."""
        backend = label(answer.backend)
        self.answers.labels(label(answer.decision), backend).inc()
        total_ms = answer.latencies_ms.get("total")
        if total_ms is not None:
            self.answer_seconds.labels(backend).observe(total_ms / 1000)
        if answer.fallback_reason:
            self.fallbacks.labels(fallback_label(answer.fallback_reason)).inc()

    def llm_call(self, seconds: float, outcome: str, error: str | None = None) -> None:
        """Record one LLM request: ``ok``, ``error`` (of kind ``error``) or ``abandoned``."""
        self.llm_seconds.labels(outcome).observe(seconds)
        if error is not None:
            self.llm_errors.labels(label(error)).inc()

    def ticket_filed(self, channel: str) -> None:
        """Count one new ticket filed on ``channel`` (web, slack...)."""
        self.tickets.labels(label(channel)).inc()

    def watch_queue_depth(self, depth: QueueDepth) -> None:
        """Report the task queue's depth at every scrape: ``depth()`` returns tasks waiting per
        queue name, or one number (the seam the task worker plugs into)."""
        self.live.queue_depth = depth

    # -- what Prometheus reads ----------------------------------------------------------------

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format (every worker's, in multiprocess mode)."""
        if values.ValueClass is values.MutexValue:  # the library chose per-process values
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        registry.register(self.live)
        return generate_latest(registry)


class LiveGauges(Collector):
    """Values read at scrape time: the knowledge base's size and the task queue's depth. A
    source that fails is left out of that scrape (and logged), never a failed scrape."""

    def __init__(self, index_size: IndexSize | None = None) -> None:
        self.index_size = index_size
        self.queue_depth: QueueDepth | None = None

    def collect(self) -> Iterator[Metric]:
        """Yield the gauges whose sources answer now."""
        if self.index_size is not None:
            yield from self._gauge(
                "servicedesk_index_size", "what the knowledge base holds", "kind",
                lambda: dict(zip(("articles", "chunks"), self.index_size(), strict=True)),  # type: ignore[misc]
            )  # fmt: skip
        if self.queue_depth is not None:
            yield from self._gauge(
                "servicedesk_queue_depth", "tasks waiting in the task queue", "queue",
                self._depths,
            )  # fmt: skip

    def _depths(self) -> Mapping[str, int]:
        depth = self.queue_depth() if self.queue_depth else {}
        return depth if isinstance(depth, Mapping) else {"default": depth}

    @staticmethod
    def _gauge(
        name: str, doc: str, key: str, read: Callable[[], Mapping[str, int]]
    ) -> Iterator[Metric]:
        try:
            numbers = read()
        except Exception as err:  # a scrape must not fail because one source is down
            log.warning("metric %s not collected: %s", name, type(err).__name__)
            return
        gauge = GaugeMetricFamily(name, doc, labels=[key])
        for value, number in numbers.items():
            gauge.add_metric([label(value)], float(number))
        yield gauge
