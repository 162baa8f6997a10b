"""The cache with read replicas: misses are filled from the primary, not a lagging replica."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sublimate_runtime import (
    Cache,
    async_routing_session_factory,
    create_async_router,
    create_router,
    routing_session_factory,
)

from .app import AccountRepository, AsyncAccountRepository, statements
from .conftest import Backend


@pytest.mark.parametrize("fill_from_primary", [True, False])
def test_misses_fill_from_the_primary(
    engine: Engine, db_path: Path, backend: Backend, fill_from_primary: bool
) -> None:
    replica = db_path.with_name("replica.sqlite3")
    shutil.copy(db_path, replica)
    with sqlite3.connect(replica) as connection:  # the replica lags: it missed a rename
        connection.execute("UPDATE accounts SET name = 'stale' WHERE id = 1")
    connection.close()
    router = create_router(f"sqlite:///{db_path}", [f"sqlite:///file:{replica}?mode=ro&uri=true"])
    cache = Cache(
        backend.region(), namespace=backend.namespace, fill_from_primary=fill_from_primary
    )
    factory = cache.attach(routing_session_factory(router))
    uncached = routing_session_factory(router)
    try:
        with uncached() as session:
            assert AccountRepository(session).get(1).name == "stale"  # plain reads: the replica
        expected = "name 1" if fill_from_primary else "stale"
        with factory() as session:
            assert AccountRepository(session).get(1).name == expected
            assert not session.on_primary  # the fill did not hold the session on the primary
        on_primary, on_replica = statements(router.primary), statements(router.replicas[0])
        with factory() as session:
            assert AccountRepository(session).get(1).name == expected  # what the cache stored
        assert on_primary == on_replica == []
    finally:
        router.dispose()


async def test_async_misses_fill_from_the_primary(
    engine: Engine, db_path: Path, backend: Backend
) -> None:
    """primary() set around the awaited loader reaches the AsyncSession's greenlet."""
    replica = db_path.with_name("replica.sqlite3")
    shutil.copy(db_path, replica)
    with sqlite3.connect(replica) as connection:
        connection.execute("UPDATE accounts SET name = 'stale' WHERE id = 1")
    connection.close()
    router = create_async_router(
        f"sqlite+aiosqlite:///{db_path}", [f"sqlite+aiosqlite:///file:{replica}?mode=ro&uri=true"]
    )
    cache = Cache(backend.region(), namespace=backend.namespace)
    factory = cache.attach(async_routing_session_factory(router))
    try:
        async with async_routing_session_factory(router)() as session:
            assert (await AsyncAccountRepository(session).get(1)).name == "stale"
        async with factory() as session:
            assert (await AsyncAccountRepository(session).get(1)).name == "name 1"
            assert (await AsyncAccountRepository(session).count()) == 5
    finally:
        await router.dispose()
