"""A real PostgreSQL server for the tests: Debian's binaries, a throwaway cluster, a free port.

The ``postgresql`` package is installed by `make system-deps` (a prerequisite of `make test`),
never here: without it the tests that need the server fail, saying so. The server runs as the
``postgres`` OS user when the tests run as root, because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

BIN_GLOB = "/usr/lib/postgresql/*/bin"
MISSING = (
    "PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin): run "
    "`make system-deps` (Debian's postgresql package; `make test` runs it first)"
)


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be found or started."""


def find_bindir() -> Path | None:
    """The newest Debian PostgreSQL bin folder holding initdb and pg_ctl, or None."""
    found = [Path(d) for d in glob.glob(BIN_GLOB) if (Path(d) / "initdb").exists()]
    found = [d for d in found if (d / "pg_ctl").exists()]
    return max(found, key=lambda d: int(d.parent.name), default=None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """A private PostgreSQL cluster in a temporary folder, on 127.0.0.1 at a free port."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self._as_postgres = os.geteuid() == 0
        # The postgres user must reach the folder: /tmp, not a private TMPDIR of root's.
        parent = "/tmp" if self._as_postgres and os.path.isdir("/tmp") else None
        self.root = Path(tempfile.mkdtemp(prefix="servicedesk-pg-", dir=parent))
        self.data = self.root / "data"
        self.port = _free_port()

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise PostgresUnavailable(f"{' '.join(args[:1])} failed:\n{done.stderr}\n{tail}")

    def start(self) -> PostgresServer:
        """Create the cluster and start the server; waits until it accepts connections."""
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C")  # fmt: skip
        # A throwaway cluster: durability is not needed, speed is.
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        log = str(self.root / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")
        return self

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` on this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (a fresh name unless given); its SQLAlchemy URL."""
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server and delete its folder."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """Start a private server on Debian's PostgreSQL; ``PostgresUnavailable`` naming
    `make system-deps` when it is not installed."""
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable(MISSING)
    return PostgresServer(bindir).start()
