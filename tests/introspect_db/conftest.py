"""Fixtures for the live-database tests: databases of their own on the real servers.

`server_database("postgresql")` creates a uniquely named database (dropped at the end of the
scope that asked for it) through `server_admin` from tests/conftest.py, so an unreachable server
skips (or, with SUBLIMATE_REQUIRE_SERVERS=1, fails) the test, and the test is marked `server`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import pytest
import sqlalchemy as sa

DROP = {"postgresql": "DROP DATABASE {} WITH (FORCE)", "mysql": "DROP DATABASE {}"}


@contextmanager
def database_on(admin: sa.Engine, backend: str, prefix: str = "sbi") -> Iterator[sa.URL]:
    """A fresh database on a server, dropped on exit (its name is short: it appears in headers)."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield admin.url.set(database=name)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(DROP[backend].format(name)))


ServerDatabase = Callable[..., sa.URL]


@pytest.fixture
def server_database(server_admin: Callable[[str], sa.Engine]) -> Iterator[ServerDatabase]:
    """`server_database("mysql")`: the URL of a fresh database, dropped after the test."""
    with ExitStack() as stack:

        def create(backend: str, prefix: str = "sbi") -> sa.URL:
            return stack.enter_context(database_on(server_admin(backend), backend, prefix))

        yield create
