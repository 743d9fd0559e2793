"""The one way tests build a site: a configuration with its data in a test folder, the services
through ``bot.wiring.build_services`` (fakes where given), the web app, and, when asked, the app
served over real HTTP (``tests.conftest.serve_app``) with the Slack bot installed as ``serve``
installs it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI

from bot.settings import SlackSettings
from bot.slack.web import install_slack
from bot.web.app import create_app
from bot.wiring import Config, Services, build_services, load_config
from tests.conftest import Served, serve_app

# A test drives one account far faster than a person: rates apply where a test sets them.
UNLIMITED = {"rate_limit_ask": "100000/minute", "rate_limit_api": "100000/minute"}


def site_config(data_dir: Path, **bot) -> Config:
    """The configuration of a test site: data under ``data_dir``, answers extractive and rates
    unlimited unless ``bot`` says otherwise, ``bot``'s other settings; the environment applies,
    ``.env`` does not."""
    return load_config(
        env_file=None,
        app={"data_dir": data_dir},
        bot={"answer_backend": "extractive", **UNLIMITED, **bot},
    )


@dataclass
class Site:
    """A built site: its configuration, services, app and, when served, its server."""

    config: Config
    services: Services
    app: FastAPI
    served: Served | None = None

    @property
    def url(self) -> str:
        """Where the app listens ("" when not served)."""
        return self.served.url if self.served else ""

    @property
    def store(self):
        """The site's ticket store."""
        return self.services.store

    @property
    def kb(self):
        """The site's knowledge base."""
        return self.services.kb

    def serve(self) -> Site:
        """Serve the app over real HTTP (once the test has seeded what it needs)."""
        if self.served is None:
            self.served = serve_app(self.app)
        return self

    def stop(self) -> None:
        """Stop serving (the store and the knowledge base stay open: a test may share them)."""
        if self.served is not None:
            self.served.stop()


def build_site(
    config: Config, *, serve: bool = False, slack: SlackSettings | None = None, **overrides
) -> Site:
    """Build the services from ``config`` (``overrides`` as ``build_services`` takes them: kb,
    store, chat, triage, clock...), the app on them, Slack as ``serve`` installs it when
    ``slack`` is given; serve it over HTTP when ``serve``."""
    services = build_services(config, **overrides)
    app = create_app(services)
    if slack is not None:
        install_slack(app, services, slack)
    site = Site(config, services, app)
    return site.serve() if serve else site


def sign_in(url: str, username: str, password: str, timeout: float = 60) -> httpx.Client:
    """A client signed in through the /login form, sending the CSRF header on API writes."""
    client = httpx.Client(base_url=url, timeout=timeout)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    form = {"username": username, "password": password, "csrf_token": token}
    response = client.post("/login", data=form)
    assert response.status_code == 303, response.text
    client.headers["X-CSRF-Token"] = client.get("/api/v1/session").json()["csrf_token"]
    return client
