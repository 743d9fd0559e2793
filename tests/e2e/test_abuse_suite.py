"""The abuse suite (``evals.abuse``) against a freshly served desk with its default limits: every
anonymous attack is refused with a 4xx, nothing answers 5xx, the liveness probe keeps answering.

The figures it prints are the ones docs/operations.md quotes ("Abuse suite").
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.settings import SlackSettings
from evals.abuse import AbuseReport, run_abuse
from tests.fakes import FixedTriage
from tests.sites import build_site, site_config

pytestmark = pytest.mark.e2e

ASK_RATE = 20  # asks per minute per address: the default SERVICEDESK_RATE_LIMIT_ASK


@pytest.fixture(scope="module")
def report(sample_kb, tmp_path_factory) -> Iterator[AbuseReport]:
    folder = tmp_path_factory.mktemp("abuse-suite")
    config = site_config(
        sample_kb.settings.data_dir,
        database_url=f"sqlite:///{folder / 'desk.db'}",
        session_secret="abuse-suite-secret-" + "x" * 32,
        rate_limit_ask=f"{ASK_RATE}/minute",
        rate_limit_api="300/minute",
    )
    slack = SlackSettings(
        _env_file=None,
        bot_token="xoxb-test",
        signing_secret="test-signing-secret",
        mode="http",
        api_url="http://127.0.0.1:9/api/",
    )
    site = build_site(config, kb=sample_kb, triage=FixedTriage(), slack=slack, serve=True)
    try:
        yield run_abuse(site.url)
    finally:
        site.stop()


def test_no_attack_gets_a_server_error_or_a_dropped_connection(report, capsys) -> None:
    with capsys.disabled():
        print("\n" + report.table())
    assert report.server_errors == 0, report.table()


def test_oversized_bodies_are_refused_with_413(report) -> None:
    for name in ("2 GB announced body", "8 MiB chunked body"):
        assert set(report.attack(name).statuses) == {413}, report.table()


def test_masking_hostile_texts_are_answered_or_refused_never_worked_on_for_long(report) -> None:
    statuses = report.attack("masking-hostile text").statuses
    # The 20,000-character question is within the API's bound: the desk says it is too long.
    # Fifty 20,000-character turns (1 MB of JSON) pass the body budget: 413 unread. Ten turns of
    # 8,000 fit the body but not the history's total: 422 before any work.
    assert statuses == {200: 1, 413: 1, 422: 1}, report.table()


def test_one_address_gets_at_most_its_ask_rate_answered(report) -> None:
    crowd = report.attack("40 concurrent asks").statuses
    flood = report.attack("60 asks in a row").statuses
    assert set(crowd) | set(flood) <= {200, 429}, report.table()
    assert 0 < crowd[200] + flood[200] <= ASK_RATE
    assert flood[429] > 0 and "Retry-After" in report.attack("60 asks in a row").note


def test_password_guessing_is_throttled_after_five_failures(report) -> None:
    statuses = report.attack("20 password guesses").statuses
    assert statuses[429] >= 15 and statuses[401] <= 5, report.table()


def test_the_liveness_probe_answered_throughout(report) -> None:
    assert report.healthz_failures == 0, report.table()
