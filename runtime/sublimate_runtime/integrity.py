"""Turn a driver's ``IntegrityError`` into the runtime's errors, naming the unique key that was hit.

Every driver reports a violation in its own shape, measured on the servers the tests run against:

- PostgreSQL: SQLSTATE 23505 (unique) or 23503 (foreign key). psycopg puts it in ``orig.sqlstate``
  and the constraint name and DETAIL line in ``orig.diag``. SQLAlchemy's asyncpg adapter copies the
  SQLSTATE to ``orig.sqlstate`` (and ``orig.pgcode``) but leaves ``constraint_name`` and ``detail``
  on the asyncpg exception, which is ``orig.__cause__``.
- MariaDB/MySQL: pymysql and aiomysql both raise pymysql exceptions, ``orig.args == (errno, text)``;
  errno 1062 names the index (``for key 'uq_x'``; MySQL 8 writes ``'table.uq_x'``).
- SQLite: pysqlite and aiosqlite both raise ``sqlite3`` exceptions with ``sqlite_errorname`` and a
  message that lists the columns (``UNIQUE constraint failed: t.a, t.b``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.exc import IntegrityError

from .errors import (
    ConflictError,
    ForeignKeyError,
    IntegrityViolationError,
    RepositoryError,
    UniqueKeySpec,
)

_PG_UNIQUE = "23505"
_PG_FOREIGN_KEY = "23503"
_MYSQL_UNIQUE = frozenset({1062, 1586})
_MYSQL_FOREIGN_KEY = frozenset({1216, 1217, 1451, 1452})
_MYSQL_KEY_NAME = re.compile(r".*for key '(.*)'\Z", re.DOTALL)  # the last one: values come first
_SQLITE_UNIQUE = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})
# A CHECK constraint that MariaDB (4025, ER_CONSTRAINT_FAILED) and MySQL 8 (3819,
# ER_CHECK_CONSTRAINT_VIOLATED) report through pymysql as an OperationalError, not as an
# IntegrityError: without this the caller (and an HTTP layer) would get the raw driver error.
_MYSQL_CHECK = frozenset({3819, 4025})


@dataclass(frozen=True, slots=True)
class _Violation:
    """What the database said, before it is matched against the model's keys."""

    kind: Literal["unique", "foreign_key", "other"]
    constraint: str | None = None
    sql_columns: tuple[str, ...] = ()


def translate_integrity_error(
    error: IntegrityError, model: str, keys: Sequence[UniqueKeySpec]
) -> RepositoryError:
    """Classify ``error`` as a unique, foreign key or other violation of ``model``.

    For a unique violation the key is found by constraint name, else by the column list the
    database printed, among ``keys``; ``ConflictError.columns`` are then that key's attribute names.
    When no key matches, the database's column names are reported as they are (or nothing).
    """
    original: BaseException = error.orig if error.orig is not None else error
    violation = _classify(original)
    if violation.kind == "foreign_key":
        return ForeignKeyError(model, original)
    if violation.kind == "other":
        return IntegrityViolationError(model, original)
    key = _match_key(violation, keys)
    columns = key.columns if key is not None else violation.sql_columns
    return ConflictError(model, columns, original)


def check_violation(error: BaseException, model: str) -> IntegrityViolationError | None:
    """The ``IntegrityViolationError`` of a CHECK constraint that the driver did not raise as an
    ``IntegrityError`` (MariaDB/MySQL through pymysql and aiomysql), else None."""
    original = getattr(error, "orig", None)
    if original is None:
        return None
    args = original.args
    if len(args) >= 2 and isinstance(args[0], int) and args[0] in _MYSQL_CHECK:
        return IntegrityViolationError(model, original)
    return None


def _classify(original: BaseException) -> _Violation:
    if type(original).__module__ == "sqlite3":
        return _sqlite(original)
    args = original.args
    if len(args) >= 2 and isinstance(args[0], int):
        return _mysql(args[0], str(args[1]))
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if isinstance(sqlstate, str):
        return _postgresql(original, sqlstate)
    return _Violation("other")


def _postgresql(original: BaseException, sqlstate: str) -> _Violation:
    if sqlstate == _PG_FOREIGN_KEY:
        return _Violation("foreign_key")
    if sqlstate != _PG_UNIQUE:
        return _Violation("other")
    diag = getattr(original, "diag", None)
    source = diag if diag is not None else original.__cause__
    constraint = getattr(source, "constraint_name", None)
    detail = getattr(source, "message_detail", None) or getattr(source, "detail", None)
    return _Violation("unique", constraint, _pg_key_columns(detail or str(original)))


def _pg_key_columns(detail: str) -> tuple[str, ...]:
    """Column names from ``Key (a, "b c")=(...) already exists.``, honouring quotes and parens."""
    start = detail.find("Key (")
    if start < 0:
        return ()
    names: list[str] = []
    current: list[str] = []
    depth = 0
    quoted = False
    index = start + len("Key (")
    while index < len(detail):
        char = detail[index]
        if quoted:
            if char != '"':
                current.append(char)
            elif detail.startswith('"', index + 1):  # "" is a quote inside a quoted name
                current.append(char)
                index += 1
            else:
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "," and depth == 0:
            names.append("".join(current))
            current = []
        elif char == ")" and depth == 0:
            names.append("".join(current))
            return tuple(names)
        elif not (char == " " and not current):
            depth += (char == "(") - (char == ")")
            current.append(char)
        index += 1
    return ()


def _mysql(errno: int, message: str) -> _Violation:
    if errno in _MYSQL_FOREIGN_KEY:
        return _Violation("foreign_key")
    if errno not in _MYSQL_UNIQUE:
        return _Violation("other")
    match = _MYSQL_KEY_NAME.match(message)
    return _Violation("unique", match.group(1) if match else None)


def _sqlite(original: BaseException) -> _Violation:
    message = str(original)
    name = getattr(original, "sqlite_errorname", "")
    if name == "SQLITE_CONSTRAINT_FOREIGNKEY" or message.startswith("FOREIGN KEY constraint"):
        return _Violation("foreign_key")
    if name not in _SQLITE_UNIQUE and not message.startswith("UNIQUE constraint failed"):
        return _Violation("other")
    detail = message.partition(": ")[2]
    if detail.startswith("index '") and detail.endswith("'"):  # a unique index on expressions
        return _Violation("unique", constraint=detail[len("index '") : -1])
    columns = tuple(part.partition(".")[2] or part for part in detail.split(", ") if part)
    return _Violation("unique", sql_columns=columns)


def _match_key(violation: _Violation, keys: Sequence[UniqueKeySpec]) -> UniqueKeySpec | None:
    name = violation.constraint
    short_name = name.rpartition(".")[2] if name is not None else None  # MySQL 8: `table.key`
    if name is not None:
        for key in keys:
            if key.constraint_name is not None and key.constraint_name in (name, short_name):
                return key
        if short_name == "PRIMARY":
            return next((key for key in keys if key.primary), None)
    if violation.sql_columns:
        wanted = frozenset(violation.sql_columns)
        return next((key for key in keys if frozenset(key.sql_columns) == wanted), None)
    if short_name is not None:
        # MariaDB/MySQL name an unnamed unique index after its first column (+ _2, _3 on clashes).
        for first_column in (short_name, re.sub(r"_[0-9]+\Z", "", short_name)):
            found = [k for k in keys if not k.primary and k.sql_columns[:1] == (first_column,)]
            if len(found) == 1:
                return found[0]
    return None
