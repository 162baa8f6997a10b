"""Real databases for the runtime tests: one fresh database per test, dropped afterwards.

``database`` is parametrized over SQLite (a file in tmp_path), PostgreSQL and MariaDB. The
machinery (server URLs, skip/fail when unreachable, the ``server`` mark) is in
``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sublimate_runtime import create_async_engine, create_engine

BACKENDS = ("sqlite", "postgresql", "mysql")


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, scratch_database: Any) -> Any:
    """A fresh database on each backend (a ``ScratchDatabase``)."""
    return scratch_database(request.param)


@pytest.fixture
def engine(database: Any) -> Iterator[Engine]:
    """The runtime's sync engine on ``database``."""
    engine = create_engine(database.url)
    yield engine
    engine.dispose()


@pytest.fixture
async def async_engine(database: Any) -> AsyncIterator[AsyncEngine]:
    """The runtime's async engine on ``database`` (aiosqlite, asyncpg, aiomysql)."""
    engine = create_async_engine(database.async_url)
    yield engine
    await engine.dispose()
