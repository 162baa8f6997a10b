"""A pooled connection the server killed while it sat idle is replaced, not handed out broken.

Real PostgreSQL: a session runs a query and returns its connection to the pool, an admin
connection kills that backend with ``pg_terminate_backend``, and the next session must work.
The same sequence with ``pool_pre_ping=False`` fails, which proves the test can see the bug.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sublimate_runtime import (
    async_session_factory,
    create_async_engine,
    create_engine,
    create_router,
    session_factory,
)

_PID = text("SELECT pg_backend_pid()")


def _kill(admin: Engine, pid: int) -> None:
    with admin.connect() as connection:
        killed = connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert killed.scalar_one() is True


def _sync_round(engine: Engine, admin: Engine) -> tuple[int, int]:
    """Use a pooled connection, kill it while idle, use the pool again: (old pid, new pid)."""
    make = session_factory(engine)
    with make() as session:
        pid: int = session.execute(_PID).scalar_one()
    _kill(admin, pid)
    with make() as session:
        new_pid: int = session.execute(_PID).scalar_one()
    return pid, new_pid


@pytest.fixture
def pg(scratch_database: Any, server_admin: Callable[[str], Engine]) -> tuple[Any, Engine]:
    return scratch_database("postgresql", schema=True), server_admin("postgresql")


def test_sync_engine_replaces_a_killed_idle_connection(pg: tuple[Any, Engine]) -> None:
    database, admin = pg
    engine = create_engine(database.url, connect_args=database.connect_args, pool_size=1)
    try:
        old_pid, new_pid = _sync_round(engine, admin)
        assert new_pid != old_pid
    finally:
        engine.dispose()


def test_router_engines_pre_ping(pg: tuple[Any, Engine]) -> None:
    database, admin = pg
    router = create_router(database.url, [database.url], connect_args=database.connect_args)
    try:
        for engine in (router.primary, *router.replicas):
            old_pid, new_pid = _sync_round(engine, admin)
            assert new_pid != old_pid
    finally:
        for engine in (router.primary, *router.replicas):
            engine.dispose()


def test_without_pre_ping_the_killed_connection_fails(pg: tuple[Any, Engine]) -> None:
    database, admin = pg
    engine = create_engine(
        database.url, connect_args=database.connect_args, pool_size=1, pool_pre_ping=False
    )
    try:
        with pytest.raises(DBAPIError):
            _sync_round(engine, admin)
    finally:
        engine.dispose()


async def _async_round(database: Any, admin: Engine, **kwargs: Any) -> tuple[int, int]:
    engine = create_async_engine(
        database.async_url, connect_args=database.async_connect_args, pool_size=1, **kwargs
    )
    try:
        make = async_session_factory(engine)
        async with make() as session:
            pid: int = (await session.execute(_PID)).scalar_one()
        _kill(admin, pid)
        async with make() as session:
            new_pid: int = (await session.execute(_PID)).scalar_one()
        return pid, new_pid
    finally:
        await engine.dispose()


async def test_async_engine_replaces_a_killed_idle_connection(pg: tuple[Any, Engine]) -> None:
    database, admin = pg
    old_pid, new_pid = await _async_round(database, admin)
    assert new_pid != old_pid


async def test_async_without_pre_ping_the_killed_connection_fails(pg: tuple[Any, Engine]) -> None:
    database, admin = pg
    with pytest.raises(DBAPIError):
        await _async_round(database, admin, pool_pre_ping=False)
