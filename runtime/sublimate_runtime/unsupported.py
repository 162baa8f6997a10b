"""Turn a driver's ``NotSupportedError`` on a write into the runtime's ``UnsupportedWriteError``.

Measured on PostgreSQL 15 (psycopg and asyncpg both raise SQLSTATE 0A000, which SQLAlchemy wraps
as ``sqlalchemy.exc.NotSupportedError``): a conditional ``DO INSTEAD`` rule makes
``INSERT ... RETURNING`` fail with ``cannot perform INSERT RETURNING on relation "payment"``, and
any INSERT or UPDATE rule makes ``INSERT ... ON CONFLICT`` fail with ``INSERT with ON CONFLICT
clause cannot be used with table that has INSERT or UPDATE rules`` (which names no table).

The table is taken from the statement SQLAlchemy compiled (``INSERT INTO t``, ``UPDATE t``,
``DELETE FROM t``), else from the database's message; the error reports None when neither says.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import DBAPIError, NotSupportedError

from .errors import UnsupportedWriteError

_NAME = r'(?:"(?:[^"]|"")+"|`(?:[^`]|``)+`|[^\s(."`]+)'
_STATEMENT_TABLE = re.compile(
    rf"\A\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?P<table>{_NAME}(?:\.{_NAME})?)",
    re.IGNORECASE,
)
_FEATURE_NOT_SUPPORTED = "0A000"
_RELATION = re.compile(r'relation "(?P<table>(?:[^"]|"")+)"')


def unsupported_write(error: BaseException, model: str) -> UnsupportedWriteError | None:
    """The typed error for a write the database refused as unsupported, else None.

    psycopg raises ``NotSupportedError``; SQLAlchemy's asyncpg adapter a plain ``DBAPIError``
    whose ``orig.sqlstate`` is 0A000 (feature_not_supported).
    """
    if not isinstance(error, DBAPIError):
        return None
    sqlstate = getattr(error.orig, "sqlstate", None)
    if not isinstance(error, NotSupportedError) and sqlstate != _FEATURE_NOT_SUPPORTED:
        return None
    original: BaseException = error.orig if error.orig is not None else error
    return UnsupportedWriteError(model, _table(error), original)


def _table(error: DBAPIError) -> str | None:
    found = _STATEMENT_TABLE.match(error.statement or "")
    if found:
        return ".".join(_unquote(part) for part in _split(found["table"]))
    named = _RELATION.search(str(error.orig))
    return named["table"].replace('""', '"') if named else None


def _split(qualified: str) -> list[str]:
    return re.findall(_NAME, qualified)


def _unquote(name: str) -> str:
    if name[:1] in '"`' and name[-1:] == name[:1]:
        return name[1:-1].replace(name[0] * 2, name[0])
    return name
