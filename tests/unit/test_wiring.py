"""The composition root: the configuration is loaded and checked once, a misspelt variable stops
start-up with its name, the services are frozen and the web app holds nothing else."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from bot import wiring
from bot.web.app import create_app
from bot.wiring import ConfigError, Services, build_services, load_config
from tests.fakes import FixedTriage, HashEmbeddings
from tests.sites import build_site, site_config

pytestmark = pytest.mark.unit


@pytest.fixture
def services(tmp_path) -> Iterator[Services]:
    """The services on fakes: the hash embedder, a fixed triage, SQLite under ``tmp_path``."""
    config = site_config(tmp_path)
    built = build_services(config, embedder=HashEmbeddings(), triage=FixedTriage())
    yield built
    built.close()


def test_a_misspelt_variable_stops_start_up_with_its_name(monkeypatch) -> None:
    monkeypatch.setenv("SERVICEDESK_DECISON_THRESHOLD", "0.7")
    with pytest.raises(ConfigError) as refused:
        load_config(env_file=None)
    message = str(refused.value)
    assert "SERVICEDESK_DECISON_THRESHOLD" in message
    assert "did you mean SERVICEDESK_DECISION_THRESHOLD?" in message


def test_every_prefix_is_checked_and_other_names_are_left_alone(monkeypatch) -> None:
    monkeypatch.setenv("SERVICEDESK_SLACK_BOT_TOKN", "xoxb-1")
    monkeypatch.setenv("SERVICEDESK_LLM_ENGINE", "llamacpp")  # a real one
    monkeypatch.setenv("SCREENSHOTS_DIR", "/tmp/shots")  # not ours
    with pytest.raises(ConfigError, match="SERVICEDESK_SLACK_BOT_TOKN"):
        load_config(env_file=None)


def test_an_unknown_entry_in_the_env_file_is_refused_too(tmp_path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("SERVICEDESK_EMBEDER=hash\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(env_file=env_file)
    assert "SERVICEDESK_EMBEDER (did you mean SERVICEDESK_EMBEDDER?)" in str(refused.value)


def test_every_settings_field_is_claimed() -> None:
    claimed = wiring.claimed_names()
    for name in ("SERVICEDESK_DATA_DIR", "SERVICEDESK_LLM_PORT", "SERVICEDESK_SLACK_MODE"):
        assert name in claimed
    assert {"SERVICEDESK_EVAL_HISTORY", "SERVICEDESK_EVAL_DIRS"} <= claimed
    assert wiring.unclaimed(["SERVICEDESK_MAX_FILE_MB", "PATH"]) == []


def test_a_bad_value_or_override_is_refused() -> None:
    with pytest.raises(ValidationError, match="decision_threshold"):
        load_config(env_file=None, bot={"decision_threshold": 7})
    with pytest.raises(ConfigError, match="decison_threshold"):
        load_config(env_file=None, bot={"decison_threshold": 0.5})


def test_the_configuration_is_validated_once_and_services_read_no_environment(
    monkeypatch, tmp_path
) -> None:
    built = Counter()
    for key, cls in wiring.SETTINGS.items():

        class Counting(cls):  # type: ignore[valid-type, misc]
            def __init__(self, __key=key, **values) -> None:
                built[__key] += 1
                super().__init__(**values)

        monkeypatch.setitem(wiring.SETTINGS, key, Counting)
    config = site_config(tmp_path)
    assert built == dict.fromkeys(wiring.SETTINGS, 1)
    # A value set now is never read: every component takes its settings from `config`.
    monkeypatch.setenv("SERVICEDESK_DECISION_THRESHOLD", "not a number")
    services = build_services(config, embedder=HashEmbeddings(), triage=FixedTriage())
    try:
        assert built == dict.fromkeys(wiring.SETTINGS, 1)
        assert services.desk.settings is config.bot
        assert services.escalation.settings is config.bot
    finally:
        services.close()


def test_the_app_data_folder_is_the_one_retrieval_uses(tmp_path) -> None:
    config = site_config(tmp_path / "desk")
    assert config.app.data_dir == config.retrieval.data_dir == tmp_path / "desk"


def test_the_configuration_and_the_services_are_frozen(services: Services) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        services.store = None  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        services.config.bot = None  # type: ignore[misc]


def test_the_app_keeps_only_the_services_in_its_state(services: Services) -> None:
    app = create_app(services)
    assert app.state._state == {"services": services}
    with TestClient(app) as client:
        health = client.get("/healthz").json()
    assert health == {"status": "ok", "articles": 0, "chunks": 0}


def test_a_site_is_built_from_the_services_it_is_given(tmp_path) -> None:
    triage = FixedTriage()
    site = build_site(site_config(tmp_path), embedder=HashEmbeddings(), triage=triage)
    try:
        assert site.services.escalation.triage is triage
        assert site.app.state.services is site.services and site.url == ""
    finally:
        site.services.close()
