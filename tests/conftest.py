"""Real servers for every test package: a database (or schema) per test, dropped afterwards.

The servers come from SUBLIMATE_TEST_PG_URL / SUBLIMATE_TEST_MYSQL_URL (defaults in DESIGN.md).
An unreachable server skips the tests that need it, or fails them when
SUBLIMATE_REQUIRE_SERVERS=1 (CI).

Tests reach this machinery through fixtures, never by importing this module:

- ``scratch_database(backend, schema=False)`` (a factory) creates a ``ScratchDatabase`` on
  ``"sqlite"`` (a file in tmp_path), ``"postgresql"`` or ``"mysql"`` (MariaDB) and drops it at the
  end of the test. ``schema=True`` on PostgreSQL makes a schema in the configured database instead
  of a database (5x cheaper); the engines must then pass ``connect_args`` / ``async_connect_args``,
  which set the ``search_path``.
- ``server_urls`` maps each server backend to its configured URL.

A test that uses ``scratch_database`` with a parameter naming a server (``postgresql...``,
``mysql...``, ``mariadb...``), or uses ``server_admin``, is marked ``server``, so
``pytest -m "not server"`` runs the SQLite part alone.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import URL, Engine, make_url, text


def _isolate_the_user_cache() -> None:
    """sublimate's user cache (compiled templates, models' IR) in a directory of this session's,
    for every run in-process or in a subprocess: a test sees no entry from the developer's own
    runs, and leaves none behind in their home."""
    if "SUBLIMATE_TEST_KEEP_CACHE" not in os.environ:
        directory = tempfile.mkdtemp(prefix="sublimate-test-cache-")
        os.environ["XDG_CACHE_HOME"] = directory
        atexit.register(shutil.rmtree, directory, ignore_errors=True)


_isolate_the_user_cache()


def _share_one_mypy_cache() -> None:
    """One mypy cache for every mypy run of the session, in-process or in a subprocess (through
    MYPY_CACHE_DIR): SQLAlchemy, msgspec, Litestar and FastAPI are analysed once, not once per
    generated project (14.5 s cold against 2 s warm for a Litestar project on this machine).
    mypy checks each cached module against its source's hash, so projects that reuse a package
    name only re-analyse what differs."""
    if "MYPY_CACHE_DIR" not in os.environ:
        directory = tempfile.mkdtemp(prefix="sublimate-test-mypy-")
        os.environ["MYPY_CACHE_DIR"] = directory
        atexit.register(shutil.rmtree, directory, ignore_errors=True)


_share_one_mypy_cache()


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
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtime"))


_use_checkout_runtime()

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
SERVER_PREFIXES = ("postgresql", "mysql", "mariadb")


@dataclass(frozen=True)
class ScratchDatabase:
    """A database of one test's own, reachable through a sync and an async driver.

    ``connect_args`` / ``async_connect_args`` must be passed to ``create_engine`` /
    ``create_async_engine``: for a PostgreSQL schema they set the search_path.
    """

    backend: str
    url: URL
    async_url: URL
    schema: str | None = None
    connect_args: dict[str, Any] = field(default_factory=dict)
    async_connect_args: dict[str, Any] = field(default_factory=dict)


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
            engine.dispose()
            _admin_engines[backend] = error
    found = _admin_engines[backend]
    if isinstance(found, Engine):
        return found
    reason = f"{backend} server unreachable at {SERVER_URLS[backend]}: {found}"
    if _require_servers():
        pytest.fail(reason)
    pytest.skip(reason)


def _names_a_server(value: object) -> bool:
    return isinstance(value, str) and value.startswith(SERVER_PREFIXES)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests parametrized with a server backend ``server`` so ``-m "not server"`` works."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "server_admin" in fixtures:
            item.add_marker(pytest.mark.server)
            continue
        if "scratch_database" not in fixtures:
            continue
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        if any(_names_a_server(value) for value in params.values()):
            item.add_marker(pytest.mark.server)


def pytest_sessionfinish() -> None:
    for engine in _admin_engines.values():
        if isinstance(engine, Engine):
            engine.dispose()


@contextmanager
def make_database(
    backend: str, tmp_path: Path, *, schema: bool = False
) -> Iterator[ScratchDatabase]:
    """Create a uniquely named database (or PostgreSQL schema), yield it, drop it."""
    if backend == "sqlite":
        path = tmp_path / f"scratch-{uuid.uuid4().hex[:8]}.sqlite3"
        yield ScratchDatabase(
            backend, make_url(f"sqlite+pysqlite:///{path}"), make_url(f"sqlite+aiosqlite:///{path}")
        )
        return
    admin = _admin_engine(backend)
    name = f"sublimate_t_{uuid.uuid4().hex[:12]}"
    if schema and backend == "postgresql":
        with admin.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {name}"))
        try:
            yield ScratchDatabase(
                backend,
                admin.url,
                admin.url.set(drivername=ASYNC_DRIVERS[backend]),
                schema=name,
                connect_args={"options": f"-c search_path={name}"},
                async_connect_args={"server_settings": {"search_path": name}},
            )
        finally:
            with admin.connect() as connection:
                connection.execute(text(f"DROP SCHEMA {name} CASCADE"))
        return
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    url = admin.url.set(database=name)
    try:
        yield ScratchDatabase(backend, url, url.set(drivername=ASYNC_DRIVERS[backend]))
    finally:
        with admin.connect() as connection:
            connection.execute(text(DROP_DATABASE[backend].format(name)))


ScratchFactory = Callable[..., ScratchDatabase]


@pytest.fixture
def scratch_database(tmp_path: Path) -> Iterator[ScratchFactory]:
    """``scratch_database("postgresql", schema=True)``: a fresh database, dropped after the test."""
    with ExitStack() as stack:

        def create(backend: str, *, schema: bool = False) -> ScratchDatabase:
            return stack.enter_context(make_database(backend, tmp_path, schema=schema))

        yield create


@pytest.fixture(scope="session")
def server_urls() -> dict[str, str]:
    """The configured server URLs, by backend ("postgresql", "mysql")."""
    return dict(SERVER_URLS)


@pytest.fixture(scope="session")
def server_admin() -> Callable[[str], Engine]:
    """``server_admin("mysql")``: an AUTOCOMMIT engine on the server (skips when unreachable)."""
    return _admin_engine


@pytest.fixture(scope="session")
def mypy_cache() -> Path:
    """The session's shared mypy cache (see _share_one_mypy_cache), for `--cache-dir`."""
    return Path(os.environ["MYPY_CACHE_DIR"])
