"""Schemathesis over the real app's /api/v1/openapi.json: anonymous, then signed in as an
employee, an agent and an admin. No request may get a 5xx (or no answer), and every response
must be one the document describes: its status code, content type, headers and body schema.

The site is the cheapest realistic one: three sample articles indexed with the ``hash``
embedder, extractive answers, a real SQLite store, served by uvicorn over HTTP; rates are
unlimited (``tests.sites``) so the fuzzer reaches the routes, not the limiter. Every role signs
in before the anonymous pass, whose failed sign-ins soon throttle the loopback address.

Left out of the signed-in passes, because each ends the very session the pass runs on (every
request after it would be a 401 and test nothing): ``DELETE /api/v1/session`` (``everywhere=
true`` revokes the account's sessions; the anonymous pass covers its input, and
tests/e2e/test_account_sessions.py its effect), and, from the admin's main pass, the writes to
``/api/v1/admin/accounts/{username}`` (password, sign-out, role, disable, delete: the stateful
phase follows links to the admin's own account). Those writes get a pass of their own, last,
without the stateful phase, so the usernames are generated ones, never the admin's. Deleting an
article and re-indexing them all stay in: the KB loses at most an article mid-pass.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import SAMPLE_KB
from bot.tickets.accounts import hash_password
from bot.tickets.records import Account
from ingest.pipeline import Ingestor
from retrieval.hash_embedder import HashEmbeddings
from tests.conftest import QUIET, make_kb
from tests.fakes import FixedTriage
from tests.fuzz.fuzzer import SCHEMATHESIS, Pass, Report, run_pass
from tests.sites import Site, build_site, sign_in, site_config

pytestmark = pytest.mark.fuzz

ARTICLES = ["account/mfa-otp-en.md", "general/contact-it-service-desk.md", "files/file-recovery.md"]
ROLES = ("employee", "agent", "admin")
# Where each role's own work lies: a signed-in pass must have had successes there.
OWN_ROUTES = {
    "employee": "/api/v1/conversations",
    "agent": "/api/v1/agent/",
    "admin": "/api/v1/admin/",
}
SESSION = "/api/v1/session"
SIGN_OUT = f"DELETE {SESSION}"
ACCOUNT_WRITES = "(PATCH|POST|DELETE) /api/v1/admin/accounts/.+"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    if not SCHEMATHESIS.exists():
        pytest.skip("no .venv-fuzz: run `make fuzz-venv` (make test does)")
    root = tmp_path_factory.mktemp("fuzz")
    for rel in ARTICLES:
        (root / "source" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLE_KB / rel, root / "source" / rel)
    kb = make_kb(root / "data", embedder=HashEmbeddings())
    assert Ingestor(kb, QUIET).run([root / "source"]).ok
    config = site_config(
        kb.settings.data_dir,
        database_url=f"sqlite:///{root / 'desk.db'}",
        session_secret="fuzz-session-secret-" + "f" * 32,
    )
    built = build_site(config, kb=kb, triage=FixedTriage(), serve=True)
    for role in ROLES:
        built.store.add_account(Account(f"fuzz-{role}", role), hash_password(f"{role}-pw-123"))
    yield built
    built.stop()
    built.services.close()


@pytest.fixture(scope="module")
def passes(site: Site) -> dict[str, Pass]:
    """Every pass by name, each signed-in one with its role's session cookie and CSRF header."""
    out = {"anonymous": Pass("anonymous")}
    for role in ROLES:
        client = sign_in(site.url, f"fuzz-{role}", f"{role}-pw-123")
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        headers = {"Cookie": cookie, "X-CSRF-Token": client.headers["X-CSRF-Token"]}
        client.close()
        exclude = SIGN_OUT if role != "admin" else f"{SIGN_OUT}|{ACCOUNT_WRITES}"
        out[role] = Pass(role, headers, exclude=f"^({exclude})$")
    admin = out["admin"].headers
    out["admin-accounts"] = Pass(
        "admin-accounts", admin, include=f"^({ACCOUNT_WRITES})$", phases=("coverage", "fuzzing")
    )
    return out


def fuzzed(site: Site, fuzz: Pass, folder: Path, figures: list[Report]) -> Report:
    report = run_pass(site.url, fuzz, folder)
    figures.append(report)
    print(report.line())
    return report


@pytest.mark.parametrize("name", ["anonymous", *ROLES, "admin-accounts"])
def test_no_request_gets_a_server_error_or_an_undocumented_response(
    name: str, site: Site, passes: dict[str, Pass], tmp_path: Path, fuzz_figures
) -> None:
    report = fuzzed(site, passes[name], tmp_path, fuzz_figures)
    tail = report.output[-6000:]
    assert report.requests > 0 and report.operations > 0, tail
    assert report.server_errors == 0, f"{report.statuses}\n{tail}"
    assert report.failures == [], tail
    assert report.errored == 0, tail
    if name != "anonymous":  # signed in from the first request to the last
        signed_out = report.paths(401) - {SESSION}  # (there, 401 is a wrong password)
        assert not signed_out, f"{name} was signed out mid-pass: {signed_out}"
    if name in OWN_ROUTES:  # and let in where the role works
        own = {path for path in report.paths(200, 201) if path.startswith(OWN_ROUTES[name])}
        assert own, f"{name}: no 2xx under {OWN_ROUTES[name]}"
