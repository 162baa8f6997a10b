"""The cache under a failing or hostile Redis: reads go on, nothing stale, nothing unpickled.

- Redis down (a closed port): every cached read is answered from the database, with one
  ``CacheUnavailableWarning`` per 30 s, not a ``ConnectionError`` per read.
- A real outage in the middle (a TCP proxy to the real Redis that the test stops and starts): a
  row cached before the outage, then updated while Redis was unreachable (its invalidation lost),
  is read fresh after Redis comes back, by this app and by another one on the same Redis.
- Whatever is written straight into a Redis key (a pickle that would create a file) is never
  executed: the entry is a miss, read from the database, with a ``CacheEntryWarning``.
"""

from __future__ import annotations

import contextlib
import pickle
import socket
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dogpile.cache import make_region
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sublimate_runtime import (
    Cache,
    CacheEntryWarning,
    CacheInvalidationWarning,
    CacheUnavailableWarning,
    async_session_factory,
    create_async_engine,
    session_factory,
)

from .app import _CACHE, AccountRepository, AsyncAccountRepository
from .conftest import REDIS_URL, Backend, _redis_or_skip

pytestmark = pytest.mark.server

DEAD = {"url": "redis://127.0.0.1:1/0", "socket_connect_timeout": 1}


def _unavailable(caught: list[warnings.WarningMessage]) -> list[warnings.WarningMessage]:
    return [w for w in caught if issubclass(w.category, CacheUnavailableWarning)]


def test_reads_with_redis_down_come_from_the_database(engine: Engine) -> None:
    dead = Cache(make_region().configure("dogpile.cache.redis", arguments=DEAD), namespace="dead")
    factory = dead.attach(session_factory(engine))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with factory() as session:
            repo = AccountRepository(session)
            assert repo.get(1).name == "name 1"
            assert repo.get_by_email("a2@example.com").id == 2  # type: ignore[union-attr]
            assert [a.id for a in repo.list()] == [1, 2, 3, 4, 5]
            assert repo.count() == 5
            assert repo.list_and_count(limit=2)[1] == 5
    assert len(_unavailable(caught)) == 1  # rate-limited: one warning for five failed reads
    assert "reading from the database" in str(_unavailable(caught)[0].message)


async def test_async_reads_with_redis_down_come_from_the_database(
    engine: Engine, db_path: Path
) -> None:
    """``engine`` created and filled the database file."""
    async_engine: AsyncEngine = create_async_engine(f"sqlite+aiosqlite:///{db_path}")
    dead = Cache(make_region().configure("dogpile.cache.redis", arguments=DEAD), namespace="dead")
    factory = dead.attach(async_session_factory(async_engine))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            async with factory() as session:
                repo = AsyncAccountRepository(session)
                assert (await repo.get(1)).name == "name 1"
                assert (await repo.get_by_email("a2@example.com")).id == 2  # type: ignore[union-attr]
                assert len(await repo.list()) == 5
                assert await repo.count() == 5
        assert len(_unavailable(caught)) == 1
    finally:
        await async_engine.dispose()


class Proxy:
    """A TCP proxy on 127.0.0.1 to the real Redis: ``stop()`` is an outage, ``start()`` its end."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            found, self._sockets = self._sockets, []
            listener, self._listener = self._listener, None
        for sock in [*found, *([listener] if listener else [])]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def redis_backend() -> Iterator[Backend]:
    import uuid

    import redis

    _redis_or_skip()
    backend = Backend("redis", f"sublimate-test-{uuid.uuid4().hex[:12]}")
    yield backend
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"*{backend.namespace}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    from urllib.parse import urlsplit

    parts = urlsplit(REDIS_URL)
    found = Proxy((parts.hostname or "127.0.0.1", parts.port or 6379))
    found.start()
    yield found
    found.stop()


def _region_through(proxy: Proxy) -> Any:
    arguments = {
        "url": f"redis://127.0.0.1:{proxy.port}/0",
        "socket_connect_timeout": 1,
        "socket_timeout": 1,
    }
    return make_region().configure("dogpile.cache.redis", arguments=arguments)


def test_a_row_written_during_an_outage_is_read_fresh_after_it(
    engine: Engine, proxy: Proxy, redis_backend: Backend
) -> None:
    through_proxy = Cache(_region_through(proxy), namespace=redis_backend.namespace)
    app = through_proxy.attach(session_factory(engine))
    other = Cache(redis_backend.region(), namespace=redis_backend.namespace)
    other_app = other.attach(session_factory(engine))  # another instance, never saw the outage
    with app() as session:
        assert AccountRepository(session).get(1).name == "name 1"  # cached now
    with other_app() as session:
        assert AccountRepository(session).get(1).name == "name 1"  # a hit on the same entry

    proxy.stop()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with app() as session:
            AccountRepository(session).update(1, name="during the outage")
            session.commit()  # the invalidation is lost
        with app() as session:
            assert AccountRepository(session).get(1).name == "during the outage"
    assert any(issubclass(w.category, CacheInvalidationWarning) for w in caught)
    assert _unavailable(caught)

    proxy.start()
    with app() as session:  # the first contact after the outage drops what was cached before
        assert AccountRepository(session).get(1).name == "during the outage"
    with other_app() as session:
        assert AccountRepository(session).get(1).name == "during the outage"
    with app() as session:  # and caching works again: a second read is a hit
        sql: list[str] = []
        from sqlalchemy import event

        event.listen(engine, "before_cursor_execute", lambda *a: sql.append(a[2]))
        assert AccountRepository(session).get(1).name == "during the outage"
        assert sql == []


def _attack(marker: Path) -> bytes:
    """A pickle that creates ``marker`` when loaded."""

    class Exploit:
        def __reduce__(self) -> tuple[Any, tuple[str, str]]:
            return (open, (str(marker), "w"))

    return pickle.dumps(Exploit())


@pytest.mark.parametrize("framing", ["dogpile", "msgpack"])
def test_a_pickle_written_into_redis_is_never_executed(
    engine: Engine, redis_backend: Backend, tmp_path: Path, framing: str
) -> None:
    import msgspec
    import redis

    marker = tmp_path / "pwned"
    payload = _attack(marker)
    if framing == "dogpile":  # what dogpile's region would unpickle: metadata|pickle
        value = b'{"ct": 9999999999.0, "v": 2}|' + payload
    else:  # a valid envelope whose record is a pickle
        value = msgspec.msgpack.encode((9999999999.0, msgspec.Raw(payload)))
    cache = Cache(redis_backend.region(), namespace=redis_backend.namespace)
    factory = cache.attach(session_factory(engine))
    with factory() as session:
        assert AccountRepository(session).get(1).name == "name 1"  # tokens and entry exist
    spec = _CACHE.spec
    token_key, row_key = cache._row_keys(spec, (1,))
    client = redis.Redis.from_url(REDIS_URL)
    try:
        for key in (row_key, token_key, cache._epoch_key(spec), f"{cache.namespace}:generation"):
            client.set(key, value)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with factory() as session:
                assert AccountRepository(session).get(1).name == "name 1"
            with factory() as session:  # stored again, correctly: a hit
                assert AccountRepository(session).get(1).name == "name 1"
        assert not marker.exists()
        assert any(issubclass(w.category, CacheEntryWarning) for w in caught)
        stored: Any = client.get(row_key)
        assert not stored.startswith(b'{"ct"')  # rewritten in the runtime's own format
    finally:
        client.close()
