"""Regions (the memory backend and Redis at 127.0.0.1:6379) and a SQLite file per test.

Redis tests use a fresh key namespace per test and delete its keys afterwards; an unreachable
Redis skips them, or fails them when SUBLIMATE_REQUIRE_SERVERS=1 (CI).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dogpile.cache import CacheRegion, make_region
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from sublimate_runtime import Cache, create_engine, session_factory

from .app import Account, Base, add_sleep_function

REDIS_URL = os.environ.get("SUBLIMATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_arguments() -> dict[str, Any]:
    return {"url": REDIS_URL, "distributed_lock": True, "thread_local_lock": False}


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        reason = f"redis unreachable at {REDIS_URL}: {error}"
        if os.environ.get("SUBLIMATE_REQUIRE_SERVERS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


@dataclass
class Backend:
    name: str
    namespace: str

    def region(self) -> CacheRegion:
        """A new region on the same store (a second process or app instance makes its own)."""
        if self.name == "memory":
            return make_region().configure("dogpile.cache.memory")
        return make_region().configure("dogpile.cache.redis", arguments=redis_arguments())


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.server)])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    namespace = f"sublimate-test-{uuid.uuid4().hex[:12]}"
    if request.param == "redis":
        _redis_or_skip()
    yield Backend(request.param, namespace)
    if request.param == "redis":
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"*{namespace}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "cache.sqlite3"


@pytest.fixture
def engine(db_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite+pysqlite:///{db_path}")
    add_sleep_function(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(
            [Account(id=i, email=f"a{i}@example.com", name=f"name {i}") for i in range(1, 6)]
        )
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def cache(backend: Backend) -> Cache:
    return Cache(backend.region(), namespace=backend.namespace)


@pytest.fixture
def factory(engine: Engine, cache: Cache) -> sessionmaker[Session]:
    return cache.attach(session_factory(engine))
