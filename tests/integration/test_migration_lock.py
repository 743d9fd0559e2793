"""Nodes starting together migrate one after another: each process runs the migrations as it
opens the store, under a lock (PostgreSQL's advisory lock, a lock file beside a SQLite file)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from bot.store import current_revision, head_revision, upgrade
from bot.store.engine import make_engine
from bot.store.migrate import migration_lock
from bot.store.schema import Base

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
NODES = 3
# A node: open the database, say it is ready, wait for the go (so all migrate at once), migrate.
NODE = """
import sys, time
from pathlib import Path
from bot.store.engine import make_engine
from bot.store.migrate import upgrade
engine = make_engine(sys.argv[1])
print("ready", flush=True)
deadline = time.monotonic() + 60
while not Path(sys.argv[2]).exists():
    if time.monotonic() > deadline:
        sys.exit("no go within 60 s")
    time.sleep(0.002)
print(upgrade(engine), flush=True)
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/empty.db"
    return request.getfixturevalue("postgres").create_database()


def start_together(url: str, go: Path, nodes: int) -> list[tuple[int, str]]:
    """Run ``nodes`` processes that migrate ``url`` at the same moment; each one's exit status
    and output."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", NODE, url, str(go)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(nodes)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"  # "" when it died starting
        go.touch()
        return [(proc.wait(timeout=120), proc.stdout.read()) for proc in procs]  # type: ignore[union-attr]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_nodes_starting_together_each_find_the_schema_migrated_once(
    empty_db: str, tmp_path
) -> None:
    results = start_together(empty_db, tmp_path / "go", NODES)
    assert results == [(0, f"{head_revision()}\n")] * NODES, results
    engine = make_engine(empty_db)
    try:
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version"))
            assert versions.scalars().all() == [head_revision()]
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_a_node_waits_for_the_migration_in_progress_then_finds_it_done(empty_db: str) -> None:
    holder, waiter = make_engine(empty_db), make_engine(empty_db)
    done: list[str | None] = []
    try:
        with migration_lock(holder):  # another node, migrating
            node = threading.Thread(target=lambda: done.append(upgrade(waiter)), daemon=True)
            node.start()
            node.join(1.0)
            assert node.is_alive() and current_revision(holder) is None  # waiting, not migrating
        node.join(60)
        assert done == [head_revision()]
    finally:
        holder.dispose()
        waiter.dispose()
