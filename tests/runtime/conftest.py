"""Real databases for the runtime tests: one fresh database per test, dropped afterwards.

``database`` is parametrized over SQLite (a file in tmp_path), PostgreSQL and MariaDB. The servers
come from SUBLIMATE_TEST_PG_URL / SUBLIMATE_TEST_MYSQL_URL; an unreachable server skips its tests,
or fails them when SUBLIMATE_REQUIRE_SERVERS=1 (CI).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy import URL, Engine, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine


def _use_checkout_runtime() -> None:
    """Import the runtime from this checkout when it is not installed as a regular package.

    An editable install made before ``__init__.py`` existed resolves to an empty namespace package.
    """
    try:
        import sublimate_runtime
    except ImportError:
        pass
    else:
        if getattr(sublimate_runtime, "__file__", None) is not None:
            return
        del sys.modules["sublimate_runtime"]
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "runtime"))


_use_checkout_runtime()

from sublimate_runtime import create_async_engine, create_engine  # noqa: E402

SERVER_URLS = {
    "postgresql": os.environ.get(
        "SUBLIMATE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
    "mysql": os.environ.get("SUBLIMATE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}
ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "mysql": "mysql+aiomysql",
}
DROP_DATABASE = {"postgresql": "DROP DATABASE {} WITH (FORCE)", "mysql": "DROP DATABASE {}"}
BACKENDS = ("sqlite", "postgresql", "mysql")


@dataclass(frozen=True)
class ScratchDatabase:
    """A database of one test's own, reachable through a sync and an async driver."""

    backend: str
    url: URL
    async_url: URL


def _require_servers() -> bool:
    return os.environ.get("SUBLIMATE_REQUIRE_SERVERS") == "1"


_admin_engines: dict[str, Engine | BaseException] = {}


def _admin_engine(backend: str) -> Engine:
    """An AUTOCOMMIT engine on the configured server database, or skip/fail when unreachable."""
    if backend not in _admin_engines:
        engine = sqlalchemy.create_engine(
            SERVER_URLS[backend], isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        try:
            with engine.connect():
                pass
            _admin_engines[backend] = engine
        except Exception as error:  # any failure to connect means "no server"
            _admin_engines[backend] = error
    found = _admin_engines[backend]
    if isinstance(found, Engine):
        return found
    reason = f"{backend} server unreachable at {SERVER_URLS[backend]}: {found}"
    if _require_servers():
        pytest.fail(reason)
    pytest.skip(reason)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests that need PostgreSQL or MariaDB ``server`` so ``-m "not server"`` works."""
    here = Path(__file__).parent
    for item in items:
        if not item.path.is_relative_to(here):
            continue  # this hook sees the whole session's items
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        if params.get("database") in SERVER_URLS or params.get("backend") in SERVER_URLS:
            item.add_marker(pytest.mark.server)


def pytest_sessionfinish() -> None:
    for engine in _admin_engines.values():
        if isinstance(engine, Engine):
            engine.dispose()


def make_database(backend: str, tmp_path: Path) -> Iterator[ScratchDatabase]:
    """Create a uniquely named database, yield it, drop it."""
    if backend == "sqlite":
        path = tmp_path / "test.sqlite3"
        yield ScratchDatabase(
            backend, make_url(f"sqlite+pysqlite:///{path}"), make_url(f"sqlite+aiosqlite:///{path}")
        )
        return
    admin = _admin_engine(backend)
    name = f"sublimate_rt_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    url = admin.url.set(database=name)
    try:
        yield ScratchDatabase(backend, url, url.set(drivername=ASYNC_DRIVERS[backend]))
    finally:
        with admin.connect() as connection:
            connection.execute(text(DROP_DATABASE[backend].format(name)))


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ScratchDatabase]:
    """A fresh database on each backend."""
    yield from make_database(request.param, tmp_path)


@pytest.fixture
def engine(database: ScratchDatabase) -> Iterator[Engine]:
    """The runtime's sync engine on ``database``."""
    engine = create_engine(database.url)
    yield engine
    engine.dispose()


@pytest.fixture
async def async_engine(database: ScratchDatabase) -> AsyncIterator[AsyncEngine]:
    """The runtime's async engine on ``database`` (aiosqlite, asyncpg, aiomysql)."""
    engine = create_async_engine(database.async_url)
    yield engine
    await engine.dispose()
