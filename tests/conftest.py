from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import pg
from tests.tools import missing


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """Base URL (the ``postgres`` database) of a throwaway server started for the session.

    Outside CI the PostgreSQL tests skip with the reason when no server can be started;
    in CI (``CI=true``) that is a failure (``tests.tools.missing``).
    """
    try:
        server = pg.start_server()
    except pg.PgUnavailable as exc:
        missing(f"no PostgreSQL server: {exc}")
    try:
        yield server.base_url
    finally:
        pg.stop_server(server)


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """URL of a fresh, empty database for this test."""
    url = pg.create_database(pg_server)
    yield url
    pg.drop_database(pg_server, url)
