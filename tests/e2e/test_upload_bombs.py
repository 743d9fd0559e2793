"""Zip bombs dressed as DOCX, uploaded by an admin over HTTP to the served app: each gets a clear
per-file refusal, the good file next to them is ingested, the app keeps serving, and the server's
memory does not move (the bombs are refused from their zip directory, or cut at the size they
declare, in the reader process)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.settings import SAMPLE_KB
from bot.tickets.accounts import hash_password
from bot.tickets.records import Account
from tests import sites
from tests.conftest import make_kb
from tests.sites import Site, build_site, site_config
from tests.unit.test_zip_budget import BOMB_MB, docx_with

pytestmark = pytest.mark.e2e

PASSWORD = "admin-pw-1"
GOOD = SAMPLE_KB / "laptop-return-guide.docx"
MB = 1_048_576


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("bombs")
    kb = make_kb(root / "data")
    config = site_config(kb.settings.data_dir, database_url=f"sqlite:///{root}/desk.db")
    site = build_site(config, kb=kb, serve=True)
    site.store.add_account(Account("admin", "admin"), hash_password(PASSWORD))  # type: ignore[arg-type]
    yield site
    site.stop()
    site.services.close()  # the store, the knowledge base and the library's reader process


@pytest.fixture(scope="module")
def admin(site: Site) -> Iterator[httpx.Client]:
    client = sites.sign_in(site.url, "admin", PASSWORD, timeout=120)
    yield client
    client.close()


@pytest.fixture(scope="module")
def bombs(tmp_path_factory) -> list[tuple[str, bytes]]:
    folder = tmp_path_factory.mktemp("bomb-files")
    bomb = docx_with(folder / "bomb.docx", "word/document.xml", BOMB_MB)
    # Its headers claim 1 KB: only inflating it shows the 200 MB.
    liar = docx_with(folder / "liar.docx", "word/document.xml", BOMB_MB, declare=1024)
    return [(path.name, path.read_bytes()) for path in (bomb, liar)]


def upload(client: httpx.Client, *files: tuple[str, bytes]) -> httpx.Response:
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    return client.post("/api/v1/admin/uploads", files=parts)


def test_bombs_are_refused_per_file_and_the_good_document_is_ingested(
    site: Site, admin: httpx.Client, bombs: list[tuple[str, bytes]]
) -> None:
    assert all(len(data) < MB for _, data in bombs)  # 200 MB of zeros inside each
    response = upload(admin, *bombs, (GOOD.name, GOOD.read_bytes()))
    assert response.status_code == 200
    lines = sorted(response.json()["lines"])
    assert lines[0].startswith("ADDED laptop-return-guide.docx")
    assert re.fullmatch(
        r"FAILED bomb\.docx: DOCX expands to more than 100 MB \(\d+ MB declared; "
        r"refused as a possible zip bomb\)",
        lines[1],
    )
    assert lines[2] == "FAILED liar.docx: corrupt DOCX: Bad CRC-32 for file 'word/document.xml'"
    assert not (site.kb.settings.data_dir / "uploads" / "bomb.docx").exists()
    hits = admin.get("/api/v1/search", params={"q": "laptop return"})
    assert hits.status_code == 200
    assert "laptop-return-guide" in [hit["article_id"] for hit in hits.json()["hits"]]


def test_the_server_keeps_its_memory_and_its_reader(
    site: Site, admin: httpx.Client, bombs: list[tuple[str, bytes]]
) -> None:
    reader = site.services.library.sandbox
    assert upload(admin, (GOOD.name, GOOD.read_bytes())).status_code == 200
    pid = reader.worker_pid
    try:
        Path("/proc/self/clear_refs").write_text("5")  # the peak RSS starts again from now
    except OSError:
        pytest.skip("this kernel does not let a process reset its peak memory")
    for _ in range(3):
        response = upload(admin, *bombs)
        assert response.status_code == 200
        assert [line.startswith("FAILED") for line in response.json()["lines"]] == [True, True]
    assert peak_rss_growth() < 50 * MB  # either bomb inflated here would be 200 MB at least
    assert reader.worker_pid == pid  # refused by the checks, not by killing the reader
    assert admin.get("/api/v1/session").status_code == 200


def peak_rss_growth() -> int:
    """Bytes between this process's peak resident memory (since the reset) and its current."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return (int(status["VmHWM"].split()[0]) - int(status["VmRSS"].split()[0])) * 1024
