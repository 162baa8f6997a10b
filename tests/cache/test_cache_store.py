"""The runtime reads the region's backend directly (not through the region, whose Redis
deserializer is pickle), so it must honour what the region would: ``expiration_time``,
``region.invalidate()`` and the key mangler."""

from __future__ import annotations

import time

from dogpile.cache import make_region
from sqlalchemy import Engine
from sublimate_runtime import Cache, session_factory

from .app import AccountRepository, statements
from .conftest import Backend, redis_arguments


def _reads(engine: Engine, cache: Cache) -> int:
    """Statements one ``get`` sends through ``cache``."""
    sql = statements(engine)
    with cache.attach(session_factory(engine))() as session:
        assert AccountRepository(session).get(1).name == "name 1"
    return len(sql)


def test_entries_older_than_the_regions_expiration_time_are_misses(
    engine: Engine, backend: Backend
) -> None:
    region = backend.region()
    region.expiration_time = 0.3
    cache = Cache(region, namespace=backend.namespace)
    assert _reads(engine, cache) == 1
    assert _reads(engine, cache) == 0
    time.sleep(0.4)
    assert _reads(engine, cache) == 1


def test_region_invalidate_drops_every_entry(engine: Engine, backend: Backend) -> None:
    region = backend.region()
    cache = Cache(region, namespace=backend.namespace)
    assert _reads(engine, cache) == 1
    assert _reads(engine, cache) == 0
    time.sleep(0.01)  # invalidation compares creation times
    region.invalidate()  # type: ignore[no-untyped-call]
    assert _reads(engine, cache) == 1


def test_keys_go_through_the_regions_key_mangler(engine: Engine, backend: Backend) -> None:
    seen: list[str] = []

    def mangle(key: str) -> str:
        seen.append(key)
        return f"mangled:{key}"

    if backend.name == "memory":
        region = make_region(key_mangler=mangle).configure("dogpile.cache.memory")
    else:
        region = make_region(key_mangler=mangle).configure(
            "dogpile.cache.redis", arguments=redis_arguments()
        )
    cache = Cache(region, namespace=backend.namespace)
    assert _reads(engine, cache) == 1
    assert _reads(engine, cache) == 0
    assert seen and all(key.startswith(backend.namespace) for key in seen)
