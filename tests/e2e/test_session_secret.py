"""The session secret over HTTP: a weak kept secret is replaced, never used as the HMAC key."""

from __future__ import annotations

import logging

import httpx
import pytest

from bot.settings import BotSettings
from bot.tickets.records import Account
from bot.web.auth import COOKIE
from bot.web.sessions import encode_session, new_session
from retrieval.hash_embedder import HashEmbeddings
from tests.fakes import FixedTriage
from tests.sites import build_site, site_config

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("kept", ["", "\n", "short-but-not-empty"])
def test_a_weak_kept_secret_is_replaced_and_a_cookie_signed_with_it_is_refused(
    tmp_path, caplog, kept
) -> None:
    (tmp_path / "session_secret").write_text(
        kept, encoding="utf-8"
    )  # `touch`, a crash, a full disk
    with caplog.at_level(logging.WARNING, logger="bot.wiring"):
        site = build_site(
            site_config(tmp_path), embedder=HashEmbeddings(), triage=FixedTriage(), serve=True
        )
    try:
        site.store.add_account(Account("boss", "admin"), None)
        secret = site.services.session_secret
        assert len(secret.encode()) >= 32 and secret != kept.strip()
        assert (tmp_path / "session_secret").read_text(encoding="utf-8") == secret
        assert "replacing it with a new secret" in caplog.text
        forged = encode_session(new_session("boss", BotSettings()), kept.strip())
        reply = httpx.get(f"{site.url}/api/v1/session", cookies={COOKIE: forged}, timeout=30)
        assert reply.status_code == 401
        genuine = encode_session(new_session("boss", BotSettings()), secret)
        reply = httpx.get(f"{site.url}/api/v1/session", cookies={COOKIE: genuine}, timeout=30)
        assert reply.status_code == 200 and reply.json()["account"]["username"] == "boss"
    finally:
        site.stop()
        site.services.close()
