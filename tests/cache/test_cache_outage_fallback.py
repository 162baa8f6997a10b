"""Every ModelCache read answers from its ``load`` when the backend is down, however it is called.

The fallback is one decorator (``sublimate_runtime.cache_outage``) on all five reads, finding
``load`` by name: these pin that each read, on a Session and on an AsyncSession (as the async
repositories call it: inside ``run_sync``), returns exactly what its ``load`` returned, with
``load`` passed by position or by keyword, and that a read without a ``load`` is refused when it
is decorated rather than failing during an outage.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dogpile.cache import make_region
from sqlalchemy import Engine, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sublimate_runtime import (
    Cache,
    CacheUnavailableWarning,
    async_session_factory,
    create_async_engine,
    session_factory,
)
from sublimate_runtime.cache_outage import load_on_outage

from .app import _CACHE, Account

pytestmark = pytest.mark.server

DEAD = {"url": "redis://127.0.0.1:1/0", "socket_connect_timeout": 1}

# (method, what identifies the result): the load of each call returns a fresh sentinel.
READS: list[tuple[str, tuple[Any, ...]]] = [
    ("get", ((1,),)),
    ("get_by", ("email", ("a1@example.com",))),
    ("list", (select(Account),)),
    ("list_and_count", (select(Account).limit(2),)),
    ("scalar", (select(func.count()).select_from(Account),)),
]


def _dead_cache() -> Cache:
    region = make_region().configure("dogpile.cache.redis", arguments=DEAD)
    return Cache(region, namespace="dead-fallback")


@pytest.mark.parametrize("by_keyword", [False, True], ids=["positional", "keyword"])
@pytest.mark.parametrize(("method", "args"), READS, ids=[name for name, _ in READS])
def test_a_sync_read_returns_what_load_returns_when_redis_is_down(
    engine: Engine, method: str, args: tuple[Any, ...], by_keyword: bool
) -> None:
    sentinel = object()
    calls: list[object] = []

    def load() -> object:
        calls.append(sentinel)
        return sentinel

    factory = _dead_cache().attach(session_factory(engine))
    read: Callable[..., Any] = getattr(_CACHE, method)
    with warnings.catch_warnings(record=True) as caught, factory() as session:
        warnings.simplefilter("always")
        assert isinstance(session, Session)
        found = read(session, *args, load=load) if by_keyword else read(session, *args, load)
    assert found is sentinel
    assert calls == [sentinel]  # once: the fallback, not the cache, ran the query
    assert any(issubclass(w.category, CacheUnavailableWarning) for w in caught)


@pytest.mark.parametrize("by_keyword", [False, True], ids=["positional", "keyword"])
@pytest.mark.parametrize(("method", "args"), READS, ids=[name for name, _ in READS])
async def test_an_async_read_returns_what_load_returns_when_redis_is_down(
    engine: Engine, db_path: Path, method: str, args: tuple[Any, ...], by_keyword: bool
) -> None:
    """``engine`` created and filled the database file."""
    sentinel = object()
    calls: list[object] = []

    def load() -> object:
        calls.append(sentinel)
        return sentinel

    def through(sync: Session) -> Any:
        return read(sync, *args, load=load) if by_keyword else read(sync, *args, load)

    async_engine = create_async_engine(f"sqlite+aiosqlite:///{db_path}")
    factory = _dead_cache().attach(async_session_factory(async_engine))
    read: Callable[..., Any] = getattr(_CACHE, method)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            async with factory() as session:
                assert isinstance(session, AsyncSession)
                found = await session.run_sync(through)
    finally:
        await async_engine.dispose()
    assert found is sentinel
    assert calls == [sentinel]
    assert any(issubclass(w.category, CacheUnavailableWarning) for w in caught)


def test_a_read_without_a_load_parameter_is_refused_when_decorated() -> None:
    def read(session: Session, ident: tuple[Any, ...]) -> None:
        return None

    with pytest.raises(TypeError, match="has no 'load' parameter"):
        load_on_outage(read)
