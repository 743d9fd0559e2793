"""The fuzz tier's figures, printed at the end of the run (operations and requests per pass)."""

from __future__ import annotations

import pytest

from tests.fuzz.fuzzer import Report

FIGURES = pytest.StashKey[list[Report]]()


@pytest.fixture(scope="session")
def fuzz_figures(request) -> list[Report]:
    """Where each pass leaves its report for the summary."""
    return request.config.stash.setdefault(FIGURES, [])


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Print each pass's figures: the numbers docs/development.md quotes."""
    reports = config.stash.get(FIGURES, [])
    if not reports:
        return
    terminalreporter.section("schemathesis over /api/v1/openapi.json")
    for report in reports:
        terminalreporter.write_line(report.line())
    total = sum(r.requests for r in reports)
    wall = sum(r.wall_s for r in reports)
    terminalreporter.write_line(f"all passes: {total:,} requests in {wall:.0f} s")
