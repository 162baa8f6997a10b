"""Engine and session factories with the settings generated repositories rely on.

- SQLite enforces foreign keys only when asked, per connection: without ``PRAGMA foreign_keys=ON``
  a ``ForeignKeyError`` would never be raised there, unlike on PostgreSQL and MariaDB.
- An in-memory SQLite database lives inside one connection; a ``StaticPool`` makes every session
  of the engine share it (the embedded default is for demos and tests, not concurrent writers).
- SQLite batches the INSERTs of rows whose integer key it assigns, as PostgreSQL and MariaDB do:
  see :func:`batch_sqlite_inserts`.
- Connections are pinged before each checkout (``pool_pre_ping=True``): a connection the server or
  a proxy closed while it sat idle in the pool (a restart, ``pg_terminate_backend``, an idle
  timeout) is replaced instead of failing the next request. It costs one round trip per checkout
  (a transaction, not a statement); pass ``pool_pre_ping=False`` to opt out.
- A value the database refuses without naming its column (PostgreSQL, SQLite) is traced to its
  column, for ``DataError.column``: see :mod:`sublimate_runtime.data_errors`.
- Sessions keep attribute values after commit (``expire_on_commit=False``): a service returns DTOs
  built from objects after committing; expired attributes would cost a query each, and under
  AsyncSession an implicit load raises ``MissingGreenlet``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy
from sqlalchemy import Engine, event, make_url
from sqlalchemy.engine import URL, ExceptionContext
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool
from sqlalchemy.sql.compiler import InsertmanyvaluesSentinelOpts

if TYPE_CHECKING:  # asyncio support needs greenlet: imported only where it is used
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

DEFAULT_URL = "sqlite+pysqlite:///:memory:"
DEFAULT_ASYNC_URL = "sqlite+aiosqlite:///:memory:"


def create_engine(url: str | URL | None = None, **kwargs: Any) -> Engine:
    """``sqlalchemy.create_engine`` with the SQLite settings above; ``None`` means in-memory."""
    parsed = make_url(url or DEFAULT_URL)
    engine = _name_data_errors(sqlalchemy.create_engine(parsed, **_engine_options(parsed, kwargs)))
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _enable_foreign_keys)
        batch_sqlite_inserts(engine)
    return engine


def create_async_engine(url: str | URL | None = None, **kwargs: Any) -> AsyncEngine:
    """The async twin of :func:`create_engine` (aiosqlite by default)."""
    from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

    parsed = make_url(url or DEFAULT_ASYNC_URL)
    engine = _create_async_engine(parsed, **_engine_options(parsed, kwargs))
    _name_data_errors(engine.sync_engine)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _enable_foreign_keys)
        batch_sqlite_inserts(engine.sync_engine)
    return engine


def batch_sqlite_inserts(engine: Engine) -> Engine:
    """Let the unit of work insert rows with a SQLite-assigned integer key in one statement.

    SQLAlchemy needs each new object's key back in the order the objects were given. SQLite does
    not promise the order of RETURNING rows, so for such rows SQLAlchemy falls back to one INSERT
    per row (1,000 statements for ``add_many`` of 1,000). It can instead sort the returned rows by
    the key itself, as it does on MariaDB: one ``INSERT ... VALUES (...), ... RETURNING`` per
    batch. That is sound on SQLite because a statement assigns rowids in VALUES order (largest
    rowid + 1 for each row; AUTOINCREMENT tables only ever grow). The one exception: a table
    without AUTOINCREMENT whose largest rowid is already 2**63 - 1, where SQLite picks free rowids
    at random. :func:`create_engine` calls this for SQLite; call it on an engine made otherwise,
    before its first statement (compiled statements are cached per engine).
    """
    if engine.dialect.name == "sqlite":
        engine.dialect.insertmanyvalues_implicit_sentinel = (
            InsertmanyvaluesSentinelOpts.ANY_AUTOINCREMENT
        )
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine`` that keep loaded values after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def async_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Async sessions bound to ``engine`` that keep loaded values after commit."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    return async_sessionmaker(bind=engine, expire_on_commit=False)


def _engine_options(url: URL, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Pre-ping unless the caller said otherwise; StaticPool for in-memory SQLite unless the
    caller chose a pool."""
    kwargs = {"pool_pre_ping": True, **kwargs}
    in_memory = url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"
    if url.get_backend_name() != "sqlite" or not in_memory or "poolclass" in kwargs:
        return kwargs
    connect_args = {"check_same_thread": False, **kwargs.get("connect_args", {})}
    return {**kwargs, "poolclass": StaticPool, "connect_args": connect_args}


def _enable_foreign_keys(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _name_data_errors(engine: Engine) -> Engine:
    """Make ``engine`` record which column a refused value was meant for (:mod:`.data_errors`)."""
    if not event.contains(engine, "handle_error", _on_error):
        event.listen(engine, "handle_error", _on_error)
    return engine


def _on_error(context: ExceptionContext) -> None:
    from .data_errors import record_column  # the error path loads with the first error

    record_column(context)
