"""Connecting to the database given by `--url`, and the one-line errors when that fails.

Every failure to reach the database (bad URL, driver missing, server down, bad credentials, a
URL parameter the driver refuses) raises `IntrospectError` with one line that says what to do.
A driver's message may echo the connection string: each one goes through `redact` first.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from sublimate import redact
from sublimate.introspect import IntrospectError

_SYNC_DRIVERS = {
    "asyncpg": "psycopg",
    "psycopg_async": "psycopg",
    "aiomysql": "pymysql",
    "asyncmy": "pymysql",
    "aiosqlite": "pysqlite",
}
_PIP_NAMES = {
    "psycopg": "psycopg[binary]",
    "psycopg2": "psycopg2-binary",
    "MySQLdb": "mysqlclient",
    "pymysql": "pymysql",
    "mariadb": "mariadb",
    "pyodbc": "pyodbc",
    "oracledb": "oracledb",
}
_TIMEOUT_ARG = {name: "connect_timeout" for name in ("psycopg", "psycopg2", "pymysql")}


def source_name(url: sa.URL) -> str:
    """A stable description of the database, without host, user or password."""
    database = url.database or ""
    if url.get_backend_name() == "sqlite":
        database = os.path.basename(database) or "memory"
    return f"{url.get_backend_name()}:{database}"


def make_engine(url_text: str) -> Engine:
    """A synchronous engine without a pool (introspection is one connection, then done)."""
    url = _sync_url(_parse(url_text))
    if url.get_backend_name() == "sqlite":
        _check_sqlite_path(url.database or "")
    connect_args: dict[str, Any] = {}
    if url.get_driver_name() in _TIMEOUT_ARG:
        connect_args[_TIMEOUT_ARG[url.get_driver_name()]] = 10
    try:
        return sa.create_engine(url, poolclass=NullPool, connect_args=connect_args)
    except sa_exc.NoSuchModuleError as error:
        raise _unknown_driver(url) from error
    except ImportError as error:
        missing = error.name or str(error)
        package = _PIP_NAMES.get(missing, missing)
        raise IntrospectError(
            f"database driver {missing!r} for {url.drivername} is not installed:"
            f" pip install {package!r} (or name another driver in the URL)"
        ) from error


def _parse(url_text: str) -> sa.URL:
    try:
        return sa.make_url(url_text)
    except (sa_exc.ArgumentError, ValueError) as error:
        raise IntrospectError(
            "invalid database URL: expected dialect+driver://user:password@host:port/database,"
            " e.g. postgresql+psycopg://app@localhost/app"
        ) from error


def _sync_url(url: sa.URL) -> sa.URL:
    """The URL with an async driver swapped for its synchronous sibling: introspection is
    synchronous, the generated code need not be."""
    try:
        driver = url.get_driver_name()
    except sa_exc.NoSuchModuleError as error:
        raise _unknown_driver(url) from error
    if driver in _SYNC_DRIVERS:
        url = url.set(drivername=f"{url.get_backend_name()}+{_SYNC_DRIVERS[driver]}")
    return url


def _unknown_driver(url: sa.URL) -> IntrospectError:
    return IntrospectError(
        f"unknown database dialect or driver {url.drivername!r} in the URL"
        " (e.g. postgresql+psycopg, mysql+pymysql, sqlite)"
    )


def _check_sqlite_path(path: str) -> None:
    """SQLite creates a missing file on connect: an empty database, never what was meant."""
    if path in ("", ":memory:") or path.startswith("file:"):
        if not path.startswith("file:"):
            raise IntrospectError("an in-memory SQLite database is empty: give a file path")
    elif not os.path.isfile(path):
        raise IntrospectError(f"SQLite database file not found: {path}")


@contextmanager
def connected(engine: Engine) -> Iterator[Connection]:
    """A connection; any SQLAlchemy error while connecting or reading is an IntrospectError."""
    try:
        connection = engine.connect()
    except sa_exc.DBAPIError as error:
        message = driver_message(error)
        raise IntrospectError(
            f"cannot connect to {_safe(engine.url)}: {message} ({_hint(message)})"
        ) from error
    except TypeError as error:  # pymysql: a URL query parameter it has no argument for
        message = " ".join(redact.scrub(str(error)).split())[:300]
        raise IntrospectError(
            f"cannot connect to {_safe(engine.url)}: the driver refused a URL parameter:"
            f" {message} ({_hint(message)})"
        ) from error
    try:
        yield connection
    except sa_exc.SQLAlchemyError as error:
        message = driver_message(error)
        raise IntrospectError(f"reading {_safe(engine.url)} failed: {message}") from error
    finally:
        connection.close()


def driver_message(error: sa_exc.SQLAlchemyError) -> str:
    """The driver's own words, on one line, without the secrets of the URL (libpq may echo
    the connection string)."""
    orig = getattr(error, "orig", None)
    text = str(orig) if orig is not None else str(error)
    if orig is not None and len(orig.args) == 2 and isinstance(orig.args[1], str):
        text = orig.args[1]  # pymysql: (code, message)
    return " ".join(redact.scrub(text).split())[:300]


def _safe(url: sa.URL) -> str:
    """The URL for messages: password and secret query parameters masked (`redact`)."""
    return redact.mask_url(url)


def _hint(message: str) -> str:
    lowered = message.lower()
    if "invalid connection option" in lowered or "unexpected keyword argument" in lowered:
        return "check the query parameters of the URL: the driver does not take that one"
    if "password" in lowered or "access denied" in lowered or "role" in lowered:
        return "check the user and password in the URL"
    if "database" in lowered and ("not exist" in lowered or "unknown" in lowered):
        return "check the database name in the URL"
    return "check that the server is running and the URL's host and port"
