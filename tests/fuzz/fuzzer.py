"""Schemathesis, from its own environment (``.venv-fuzz``, ``make fuzz-venv``), run as a
subprocess against a served app's OpenAPI document; its JSON run report and HAR log read back.

One :class:`Pass` is one ``schemathesis run``: who calls (the headers), which operations, which
phases. The run is bounded and repeatable: a fixed number of examples per operation, a fixed
seed, one worker, no example database carried between runs.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
SCHEMATHESIS = REPO / ".venv-fuzz" / "bin" / "schemathesis"
OPENAPI = "/api/v1/openapi.json"

EXAMPLES = 20  # per operation and phase; about 2,000 requests a pass
# On the code before tests/e2e/test_fuzz_findings.py, seeds 1 and 2 found its 500s in every
# signed-in pass, seeds 3 and 13 in none: a pass samples, it proves nothing.
SEED = 1
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
TIMEOUT_S = 300  # one pass; they take 10 to 30 s on two cores


@dataclass(frozen=True)
class Pass:
    """One schemathesis run: a name, the headers that sign it in (none: anonymous), operations
    left out or the only ones taken (``"METHOD /path"`` regular expressions), and the phases
    (empty: schemathesis's default, every phase)."""

    name: str
    headers: dict[str, str] = field(default_factory=dict)
    exclude: str = ""
    include: str = ""
    phases: tuple[str, ...] = ()

    def arguments(self) -> list[str]:
        """The command-line options this pass adds to the common ones."""
        out: list[str] = []
        for name, value in self.headers.items():
            out += ["--header", f"{name}: {value}"]
        if self.exclude:
            out += ["--exclude-name-regex", self.exclude]
        if self.include:
            out += ["--include-name-regex", self.include]
        if self.phases:
            out += ["--phases", ",".join(self.phases)]
        return out


@dataclass
class Report:
    """What one pass did: operations tested, requests sent, each response by path and status,
    the check failures schemathesis reported (``ST101 Server error: POST /path``), its output."""

    name: str
    operations: int
    errored: int
    responses: Counter[tuple[str, int]]  # (path, status) -> how many
    failures: list[str]
    wall_s: float
    output: str

    @property
    def requests(self) -> int:
        """How many requests the pass sent."""
        return self.responses.total()

    @property
    def statuses(self) -> Counter[int]:
        """How many responses had each status (0: no response at all)."""
        out: Counter[int] = Counter()
        for (_, status), n in self.responses.items():
            out[status] += n
        return out

    @property
    def server_errors(self) -> int:
        """How many requests got a 5xx, or no response at all."""
        return sum(n for status, n in self.statuses.items() if status >= 500 or status < 100)

    def paths(self, *statuses: int) -> set[str]:
        """The paths that answered one of ``statuses`` at least once."""
        return {path for path, status in self.responses if status in statuses}

    def line(self) -> str:
        """The figures in one line."""
        return (
            f"{self.name}: {self.operations} operations, {self.requests:,} requests, "
            f"{self.server_errors} 5xx, {len(self.failures)} check failures, {self.wall_s:.0f} s"
        )


def run_pass(url: str, fuzz: Pass, folder: Path) -> Report:
    """Run ``fuzz`` against the app served at ``url``, reports into ``folder``; read them back."""
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        str(SCHEMATHESIS),
        "run",
        url + OPENAPI,
        *("--checks", ",".join(CHECKS)),
        *("--max-examples", str(EXAMPLES), "--seed", str(SEED), "--workers", "1"),
        *("--generation-database", "none", "--request-timeout", "30"),
        *("--report", "json,har", "--report-dir", str(folder)),
        *("--report-json-path", str(folder / "run.json")),
        *("--report-har-path", str(folder / "requests.har")),
        "--no-color",
        *fuzz.arguments(),
    ]
    started = time.monotonic()
    # The folder as working directory: no schemathesis.toml or example database of the repo's.
    done = subprocess.run(
        command, cwd=folder, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    output = done.stdout + done.stderr
    if not (folder / "run.json").exists():
        raise RuntimeError(f"schemathesis wrote no report (exit {done.returncode}):\n{output}")
    return read_report(fuzz.name, folder, time.monotonic() - started, output)


def read_report(name: str, folder: Path, wall_s: float, output: str = "") -> Report:
    """The :class:`Report` of the run whose ``run.json`` and ``requests.har`` lie in ``folder``."""
    run = json.loads((folder / "run.json").read_text())
    entries = json.loads((folder / "requests.har").read_text())["log"]["entries"]
    failures = [
        f"{failure['code']} {failure['title']}: {operation}"
        for failure in run["failures"]
        for operation in failure.get("operations", [])
    ]
    responses = Counter(
        (urlsplit(entry["request"]["url"]).path, entry["response"].get("status", 0))
        for entry in entries
    )
    return Report(
        name=name,
        operations=run["operations"]["tested"],
        errored=run["operations"]["errored"],
        responses=responses,
        failures=failures,
        wall_s=wall_s,
        output=output,
    )
