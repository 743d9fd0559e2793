"""Fixtures of the integration tier: a real PostgreSQL server (started on first use)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.postgres import PostgresServer, PostgresUnavailable, start_postgres


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A private PostgreSQL server for the whole session (Debian's, from `make system-deps`)."""
    try:
        server = start_postgres()
    except PostgresUnavailable as err:
        pytest.fail(str(err), pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres: PostgresServer) -> str:
    """The SQLAlchemy URL of one empty database on the session's server."""
    return postgres.create_database("servicedesk")
