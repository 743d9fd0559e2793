"""The abuse suite: what one anonymous caller can make a served desk do, measured over HTTP.

It plays the attacks a security review tries first against a running app (``servicedesk abuse
URL``; the e2e tier runs it against a freshly served site): bodies announced at 2 GB, bodies
streamed without end, texts built to make masking quadratic, forty asks at once, a flood of asks,
a password guesser. For each it reports the statuses, the server errors (the suite expects none)
and how long the refusals took; beside them the liveness probe's latency before and during the
concurrent asks, as a ratio measured in the same run. Everything stays bounded: each attack has
a fixed number of requests and every request a timeout.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

TIMEOUT_S = 30.0
KIB = 1024


@dataclass
class Attack:
    """One attack's outcome: the statuses it got and how long each request took (ms)."""

    name: str
    statuses: Counter = field(default_factory=Counter)
    took_ms: list[float] = field(default_factory=list)
    note: str = ""

    def record(self, status: int, started: float) -> None:
        """Count one response of ``status`` to a request sent at ``started`` (monotonic s)."""
        self.statuses[status] += 1
        self.took_ms.append((time.monotonic() - started) * 1000)

    @property
    def server_errors(self) -> int:
        """Responses of 500 or more (status 0: no response at all, counted too)."""
        return sum(n for status, n in self.statuses.items() if status >= 500 or status == 0)

    @property
    def p95_ms(self) -> float:
        """The 95th percentile of the request times (0 when none)."""
        return _p95(self.took_ms)


@dataclass
class AbuseReport:
    """Every attack, and the liveness probe before and during the concurrent asks."""

    attacks: list[Attack]
    healthz_idle_ms: float
    healthz_loaded_ms: float
    healthz_failures: int = 0

    @property
    def server_errors(self) -> int:
        """Server errors over the whole suite."""
        return sum(a.server_errors for a in self.attacks)

    def attack(self, name: str) -> Attack:
        """The attack called ``name``."""
        return next(a for a in self.attacks if a.name == name)

    def table(self) -> str:
        """The report as a Markdown table, then the probe's ratio."""
        lines = [
            "| attack | requests | statuses | 5xx | p95 ms | note |",
            "|---|---:|---|---:|---:|---|",
        ]
        for a in self.attacks:
            statuses = " ".join(f"{s}×{n}" for s, n in sorted(a.statuses.items()))
            lines.append(
                f"| {a.name} | {sum(a.statuses.values())} | {statuses} | {a.server_errors} "
                f"| {a.p95_ms:.0f} | {a.note} |"
            )
        ratio = self.healthz_loaded_ms / max(self.healthz_idle_ms, 0.1)
        lines.append(
            f"\n/healthz p95: {self.healthz_idle_ms:.1f} ms idle, {self.healthz_loaded_ms:.1f} ms "
            f"under the concurrent asks ({ratio:.1f}x); {self.healthz_failures} probes failed"
        )
        return "\n".join(lines)


def run_abuse(base_url: str, concurrent_asks: int = 40, flood: int = 60) -> AbuseReport:
    """Run every attack against the app at ``base_url`` (anonymous) and report."""
    with httpx.Client(base_url=base_url, timeout=TIMEOUT_S) as client:
        idle = _probe(client, 20)
        attacks = [
            _announced_bodies(base_url),
            _endless_bodies(base_url),
            _quadratic_texts(client),
        ]
        crowd, loaded = _concurrent_asks(client, concurrent_asks)
        attacks += [crowd, _ask_flood(client, flood), _password_guessing(client)]
    failures = sum(t >= TIMEOUT_S * 1000 for t in idle + loaded)
    return AbuseReport(attacks, _p95(idle), _p95(loaded), failures)


def _announced_bodies(base_url: str) -> Attack:
    """A 2 GB Content-Length on every body-reading entry an anonymous caller reaches."""
    attack = Attack("2 GB announced body", note="headers only; refused before any byte is read")
    headers = {"Content-Type": "application/json", "Content-Length": str(2 * 1024**3)}
    for path in ("/login", "/api/v1/ask", "/api/v1/session", "/slack/events"):
        started = time.monotonic()
        attack.record(_raw_post(base_url, path, headers), started)
    return attack


def _endless_bodies(base_url: str) -> Attack:
    """Chunked bodies that keep coming (8 MiB offered): the app must stop reading them."""
    attack = Attack("8 MiB chunked body", note="streamed; refused once past the path's budget")
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    chunks = [b"a" * (64 * KIB)] * 128
    for path in ("/api/v1/ask", "/api/v1/session", "/slack/events"):
        started = time.monotonic()
        attack.record(_raw_post(base_url, path, headers, chunks), started)
    return attack


def _quadratic_texts(client: httpx.Client) -> Attack:
    """Questions and histories of ``a@a@...`` (quadratic for a naive e-mail pattern)."""
    attack = Attack(
        "masking-hostile text", note="a 20,000-char question; 50 × 20,000 and 10 × 8,000-char turns"
    )
    bodies = [
        {"question": "a@" * 10_000, "history": []},
        {"question": "VPN", "history": [{"role": "user", "text": "a@" * 10_000}] * 50},
        {"question": "VPN", "history": [{"role": "user", "text": "a@" * 3_999}] * 10},
    ]
    for body in bodies:
        started = time.monotonic()
        attack.record(_status(lambda b=body: client.post("/api/v1/ask", json=b)), started)
    return attack


def _concurrent_asks(client: httpx.Client, n: int) -> tuple[Attack, list[float]]:
    """``n`` asks at once while the liveness probe runs; the probe's times come back too."""
    attack = Attack(f"{n} concurrent asks", note="one address; the probe keeps running")
    lock = threading.Lock()

    def one() -> None:
        started = time.monotonic()
        status = _status(lambda: client.post("/api/v1/ask", json={"question": "VPN이 끊겨요"}))
        with lock:
            attack.record(status, started)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for thread in threads:
        thread.start()
    loaded = _probe(client, 20)
    for thread in threads:
        thread.join(TIMEOUT_S * 2)
    return attack, loaded


def _ask_flood(client: httpx.Client, n: int) -> Attack:
    """``n`` asks one after another from one address."""
    attack = Attack(f"{n} asks in a row", note="the per-address ask rate answers 429")
    retry_after = None
    for _ in range(n):
        started = time.monotonic()
        got = _response(lambda: client.post("/api/v1/ask", json={"question": "printer offline"}))
        attack.record(got.status_code if got is not None else 0, started)
        if got is not None and got.status_code == 429:
            retry_after = retry_after or got.headers.get("retry-after")
    if retry_after:
        attack.note += f" (Retry-After {retry_after} s)"
    return attack


def _password_guessing(client: httpx.Client) -> Attack:
    """Twenty wrong passwords through the JSON sign-in, for a name no one has: the throttle
    treats unknown names like real ones, and a real admin is not locked out by the suite."""
    attack = Attack("20 password guesses", note="the sign-in throttle answers 429")
    for n in range(20):
        started = time.monotonic()
        body = {"username": "abuse-suite-probe", "password": f"guess-{n:04d}"}
        attack.record(_status(lambda b=body: client.post("/api/v1/session", json=b)), started)
    return attack


def _probe(client: httpx.Client, n: int) -> list[float]:
    """Times (ms) of ``n`` liveness probes; a failed one counts as the timeout."""
    times = []
    for _ in range(n):
        started = time.monotonic()
        ok = _status(lambda: client.get("/healthz")) == 200
        times.append((time.monotonic() - started) * 1000 if ok else TIMEOUT_S * 1000)
        time.sleep(0.02)
    return times


def _raw_post(
    base_url: str, path: str, headers: dict[str, str], chunks: Iterable[bytes] = ()
) -> int:
    """POST with hand-written headers and, if any, chunks; the status (0 when none came)."""
    where = urlsplit(base_url)
    head = [f"POST {path} HTTP/1.1", f"Host: {where.netloc}", "Connection: close"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    try:
        with socket.create_connection((where.hostname, where.port), timeout=TIMEOUT_S) as conn:
            try:
                conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
                for chunk in chunks:
                    conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            except OSError:
                pass  # the app stopped reading and closed: its answer is waiting to be read
            line = conn.makefile("rb").readline().decode(errors="replace")
    except OSError:
        return 0
    parts = line.split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def _status(send: Callable[[], httpx.Response]) -> int:
    got = _response(send)
    return got.status_code if got is not None else 0


def _response(send: Callable[[], httpx.Response]) -> httpx.Response | None:
    try:
        return send()
    except httpx.HTTPError:
        return None


def _p95(values: list[float]) -> float:
    if not values:
        return 0.0
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[-1]
