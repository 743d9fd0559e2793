"""What /api/v1/search tells each caller: no server paths or group lists for anonymous callers.

The real app over HTTP on a small real KB (`hash` embedder: this is about fields, not ranking).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.tickets.accounts import hash_password
from bot.tickets.records import Account
from ingest.pipeline import Ingestor
from retrieval.embedders import make_embedder
from retrieval.knowledge_base import KnowledgeBase
from retrieval.settings import RetrievalSettings
from tests import sites
from tests.conftest import QUIET
from tests.fakes import FixedTriage
from tests.sites import build_site, site_config

pytestmark = pytest.mark.e2e

PASSWORD = "search-pw-1"
PRINTER = """---
id: KB-PRINT
title: Printer setup
---
Open Settings > Printers and choose FLOOR3-MFP to add the printer.
"""
PRINTER_STAFF = """---
id: KB-PRINT-STAFF
title: Printer driver repair for IT staff
allowed_groups: [it-staff]
---
Reinstall the FLOOR3-MFP printer driver from the print server share.
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("search_output")
    source = root / "kb_source"
    source.mkdir()
    (source / "printer.md").write_text(PRINTER, encoding="utf-8")
    (source / "printer-staff.md").write_text(PRINTER_STAFF, encoding="utf-8")
    settings = RetrievalSettings(data_dir=root / "data", embedder="hash")
    kb = KnowledgeBase(settings, embedder=make_embedder("hash", 0, 16))
    assert Ingestor(kb, QUIET).run([source.resolve()]).ok
    config = site_config(settings.data_dir, database_url=f"sqlite:///{root}/desk.db")
    built = build_site(config, kb=kb, triage=FixedTriage(), serve=True)
    for name, role in (("agent", "agent"), ("employee", "employee")):
        account = Account(name, role, groups=["it-staff"])  # type: ignore[arg-type]
        built.store.add_account(account, hash_password(PASSWORD))
    yield {"url": built.url, "source": source.resolve()}
    built.stop()
    kb.close()


def _sign_in(url: str, username: str) -> httpx.Client:
    return sites.sign_in(url, username, PASSWORD)


def _search(client: httpx.Client) -> httpx.Response:
    response = client.get("/api/v1/search", params={"q": "FLOOR3-MFP printer", "k": 5})
    assert response.status_code == 200
    return response


def test_anonymous_search_shows_neither_server_paths_nor_groups(site) -> None:
    with httpx.Client(base_url=site["url"], timeout=60) as client:
        response = _search(client)
    hits = response.json()["hits"]
    assert [h["article_id"] for h in hits] == ["KB-PRINT"]
    assert hits[0]["source"] == "printer.md"
    assert hits[0]["allowed_groups"] is None
    assert str(site["source"]) not in response.text and str(Path.home()) not in response.text


def test_signed_in_employee_gets_the_public_form_too(site) -> None:
    client = _sign_in(site["url"], "employee")
    hits = _search(client).json()["hits"]
    client.close()
    assert sorted(h["article_id"] for h in hits) == ["KB-PRINT", "KB-PRINT-STAFF"]
    assert all("/" not in h["source"] and h["allowed_groups"] is None for h in hits)


def test_agents_still_see_where_an_article_comes_from_and_who_may_read_it(site) -> None:
    client = _sign_in(site["url"], "agent")
    hits = {h["article_id"]: h for h in _search(client).json()["hits"]}
    client.close()
    assert hits["KB-PRINT-STAFF"]["allowed_groups"] == ["it-staff"]
    assert hits["KB-PRINT"]["allowed_groups"] == []
    assert hits["KB-PRINT"]["source"] == str(site["source"] / "printer.md")
