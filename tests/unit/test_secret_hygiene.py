"""Secrets stay secret: strong session keys, no key in argv or logs, no password in errors."""

from __future__ import annotations

import importlib.util
import logging
import os
import stat
import subprocess
import sys
import threading

import pytest
import typer
from pydantic import ValidationError

from bot.cli.common import config_or_exit, redacted_url, store_or_exit
from bot.settings import BotSettings
from bot.wiring import load_config, load_session_secret
from llm_server.engines import llamacpp_engine, vllm_engine
from llm_server.settings import LLMSettings

pytestmark = pytest.mark.unit

SHORT = "hunter2-is-not-a-key"


def test_a_configured_session_secret_under_32_bytes_stops_start_up_without_echoing_it() -> None:
    with pytest.raises(ValidationError) as caught:
        load_config(env_file=None, bot={"session_secret": SHORT})
    message = str(caught.value)
    assert "session_secret must be at least 32 bytes" in message
    assert SHORT not in message


def test_the_short_secret_is_refused_from_the_environment_too(monkeypatch) -> None:
    monkeypatch.setenv("SERVICEDESK_SESSION_SECRET", SHORT)
    with pytest.raises(ValidationError) as caught:
        load_config(env_file=None)
    assert SHORT not in str(caught.value)


def test_an_empty_kept_secret_is_replaced_by_a_strong_private_one(tmp_path) -> None:
    path = tmp_path / "session_secret"
    path.touch()
    secret = load_session_secret(BotSettings(), tmp_path)
    assert len(secret.encode()) >= 32
    assert path.read_text(encoding="utf-8") == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".session_secret.")] in (
        [],
        [".session_secret.lock"],
    )  # no draft is left behind
    assert load_session_secret(BotSettings(), tmp_path) == secret


def test_processes_starting_together_agree_on_one_secret(tmp_path) -> None:
    seen: list[str] = []
    start = threading.Barrier(8)

    def load() -> None:
        start.wait()
        seen.append(load_session_secret(BotSettings(), tmp_path))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == 1 and len(seen) == 8
    assert os.path.getsize(tmp_path / "session_secret") >= 32


# -- the LLM API key: by environment, never in argv or the logs ---------------------------------

KEY = "sk-never-in-argv-7f3a"


def test_llamacpp_gets_the_api_key_by_environment_not_argv(tmp_path, caplog) -> None:
    gguf = tmp_path / "own.gguf"
    gguf.write_bytes(b"GGUF")
    engine = llamacpp_engine(LLMSettings(gguf_path=gguf, api_key=KEY), tmp_path)
    assert not any(KEY in arg for arg in engine.argv)
    assert engine.env["API_KEY"] == KEY and KEY not in repr(engine)
    with caplog.at_level(logging.DEBUG, logger="llm_server.engines"):
        engine.start()
        engine.stop(grace=5)
    assert "starting llama.cpp" in caplog.text and KEY not in caplog.text


PARSE_LIKE_LLAMA_CPP = """
import argparse, sys
from llama_cpp.server.cli import add_args_from_model, parse_model_from_args
from llama_cpp.server.settings import ServerSettings, Settings
parser = argparse.ArgumentParser()
add_args_from_model(parser, Settings)
print(parse_model_from_args(ServerSettings, parser.parse_args(sys.argv[1:])).api_key)
"""


def test_llama_cpp_server_reads_the_key_from_that_environment(tmp_path) -> None:
    """What llama_cpp.server's own start-up makes of our argv and environment (in a child: the
    unit tier loads no model library)."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed")
    gguf = tmp_path / "own.gguf"
    gguf.write_bytes(b"GGUF")
    engine = llamacpp_engine(LLMSettings(gguf_path=gguf, api_key=KEY), tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "API_KEY"} | engine.env
    argv = [sys.executable, "-c", PARSE_LIKE_LLAMA_CPP, *engine.argv[3:]]  # after `-m module`
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == KEY


def test_vllm_gets_the_api_key_by_environment_not_argv(tmp_path) -> None:
    python = tmp_path / "python"
    python.touch()  # stands in for vLLM's interpreter: the command is built, not run
    settings = LLMSettings(engine="vllm", hf_model="org/model", vllm_python=python, api_key=KEY)
    engine = vllm_engine(settings, tmp_path, device="cpu")
    assert not any(KEY in arg for arg in engine.argv)
    assert engine.env["VLLM_API_KEY"] == KEY  # vLLM's documented fallback for --api-key


# -- database URLs and rejected settings: named, never echoed -------------------------------------

PASSWORD = "pg-Passw0rd-xyz"


def test_a_database_url_is_shown_without_its_password() -> None:
    shown = redacted_url(f"postgresql+psycopg://desk:{PASSWORD}@db.internal:5432/desk")
    assert PASSWORD not in shown and "db.internal" in shown and "***" in shown
    assert PASSWORD not in redacted_url(f"not a url {PASSWORD}")


def test_a_database_that_cannot_open_is_reported_without_its_password(tmp_path, capsys) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql+psycopg://desk:{PASSWORD}@127.0.0.1:1/desk"  # nobody listens on port 1
    config = load_config(env_file=None, app={"data_dir": tmp_path}, bot={"database_url": url})
    with pytest.raises(typer.Exit):
        store_or_exit(config)
    err = capsys.readouterr().err
    assert "cannot open the database postgresql+psycopg://desk:***@127.0.0.1:1/desk" in err
    assert PASSWORD not in err


def test_an_unparsable_database_url_is_not_echoed(tmp_path, capsys) -> None:
    url = f"postgresql://desk:{PASSWORD}@db:notaport/desk"
    config = load_config(env_file=None, app={"data_dir": tmp_path}, bot={"database_url": url})
    with pytest.raises(typer.Exit):
        store_or_exit(config)
    err = capsys.readouterr().err
    assert "SERVICEDESK_DATABASE_URL" in err and PASSWORD not in err


def test_a_rejected_setting_is_named_but_its_value_is_not_printed(monkeypatch, capsys) -> None:
    token = "xoxp-" + "9" * 40  # a user token where a bot token belongs
    monkeypatch.setenv("SERVICEDESK_SLACK_BOT_TOKEN", token)
    with pytest.raises(typer.Exit):
        config_or_exit()
    err = capsys.readouterr().err
    assert "bot_token: Value error, bot_token must start with xoxb-" in err
    assert token not in err and "input_value" not in err
    monkeypatch.delenv("SERVICEDESK_SLACK_BOT_TOKEN")
    monkeypatch.setenv("SERVICEDESK_SESSION_SECRET", SHORT)
    with pytest.raises(typer.Exit):
        config_or_exit()
    err = capsys.readouterr().err
    assert "session_secret" in err and SHORT not in err


# -- trusted-header SSO needs its proxies named ---------------------------------------------------


def test_sso_without_trusted_proxies_stops_start_up() -> None:
    with pytest.raises(ValidationError, match="sso_trusted_proxies is empty"):
        load_config(env_file=None, bot={"sso_header": "X-Remote-User"})


def test_trusted_proxies_are_cidrs_from_a_comma_separated_variable(monkeypatch) -> None:
    monkeypatch.setenv("SERVICEDESK_SSO_HEADER", "X-Remote-User")
    monkeypatch.setenv("SERVICEDESK_SSO_TRUSTED_PROXIES", "10.0.0.5, 192.168.0.0/24,fd00::/8")
    proxies = load_config(env_file=None).bot.sso_trusted_proxies
    assert proxies == ["10.0.0.5/32", "192.168.0.0/24", "fd00::/8"]
    monkeypatch.setenv("SERVICEDESK_SSO_TRUSTED_PROXIES", "10.0.0.5,proxy.internal")
    with pytest.raises(ValidationError, match=r"'proxy\.internal' is not an IP address or CIDR"):
        load_config(env_file=None)


def test_password_sign_in_can_be_off_only_with_sso_on() -> None:
    with pytest.raises(ValidationError, match="password_login=false needs sso_header"):
        load_config(env_file=None, bot={"password_login": False})
