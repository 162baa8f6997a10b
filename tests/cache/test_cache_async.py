"""The cache from asyncio code: AsyncSession, async loaders, a per-key asyncio.Lock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session
from sublimate_runtime import (
    Cache,
    NotFoundError,
    async_session_factory,
    create_async_engine,
)

from .app import _CACHE, Account, AsyncAccountRepository, add_sleep_function, statements


@pytest.fixture
async def async_engine(engine: Engine, db_path: Path) -> AsyncIterator[AsyncEngine]:
    """The same database file as ``engine`` (which created and filled it), through aiosqlite."""
    async_engine = create_async_engine(f"sqlite+aiosqlite:///{db_path}")
    add_sleep_function(async_engine.sync_engine)
    yield async_engine
    await async_engine.dispose()


@pytest.fixture
def async_factory(async_engine: AsyncEngine, cache: Cache) -> async_sessionmaker[AsyncSession]:
    return cache.attach(async_session_factory(async_engine))


async def test_async_hits_commit_and_rollback(
    async_factory: async_sessionmaker[AsyncSession], async_engine: AsyncEngine
) -> None:
    sql = statements(async_engine.sync_engine)
    async with async_factory() as session:
        repo = AsyncAccountRepository(session)
        assert (await repo.get(1)).name == "name 1"
        assert await repo.count() == 5
        assert len(await repo.list()) == 5
        assert (await repo.get_by_email("a2@example.com")).id == 2  # type: ignore[union-attr]
        with pytest.raises(NotFoundError):
            await repo.get(99)
    assert len(sql) == 5
    for expected in (1, 0):  # get_by's first hit loads the row it points to
        sql.clear()
        async with async_factory() as session:
            repo = AsyncAccountRepository(session)
            assert (await repo.get(1)).name == "name 1"
            assert await repo.count() == 5
            assert len(await repo.list()) == 5
            assert (await repo.get_by_email("a2@example.com")).id == 2  # type: ignore[union-attr]
            with pytest.raises(NotFoundError):
                await repo.get(99)
        assert len(sql) == expected
    async with async_factory() as session:
        await AsyncAccountRepository(session).update(1, name="rolled back")
        session.add(Account(id=99, email="n@example.com", name="rolled back"))
        assert await AsyncAccountRepository(session).count() == 6  # own writes, before commit
        await session.rollback()
    sql.clear()
    async with async_factory() as session:
        repo = AsyncAccountRepository(session)
        assert (await repo.get(1)).name == "name 1"
        assert await repo.count() == 5
    assert sql == []
    async with async_factory.begin() as session:
        await AsyncAccountRepository(session).update(1, name="committed")
        session.add(Account(id=99, email="n@example.com", name="new"))
    async with async_factory() as session:
        repo = AsyncAccountRepository(session)
        assert (await repo.get(1)).name == "committed"
        assert (await repo.get(99)).name == "new"
        assert await repo.count() == 6


async def test_async_stampede_runs_one_query(
    async_factory: async_sessionmaker[AsyncSession], async_engine: AsyncEngine
) -> None:
    sql = statements(async_engine.sync_engine)
    slow = func.sleep_ms(150) == 0

    async def read() -> list[str]:
        async with async_factory() as session:
            return [a.name for a in await AsyncAccountRepository(session).list([slow])]

    async def get() -> str | None:
        async with async_factory() as session:
            statement = select(Account).where(Account.id == 3, slow)

            # as the async repositories read: the sync cache call inside run_sync's greenlet,
            # where a miss waits on the key's asyncio.Lock (never a thread lock on the loop)
            def read_through(sync: Session) -> Account | None:
                return _CACHE.get(sync, (3,), lambda: sync.scalars(statement).one_or_none())

            found = await session.run_sync(read_through)
            return found.name if found else None

    lists = await asyncio.gather(*(read() for _ in range(8)))
    gets = await asyncio.gather(*(get() for _ in range(8)))
    assert len([s for s in sql if "sleep_ms" in s]) == 2  # one per key
    assert all(found == lists[0] for found in lists) and len(lists[0]) == 5
    assert gets == ["name 3"] * 8
