"""Recognise a value the database refused (too long, out of range, NUL in text) and name its column.

Measured on the servers the tests run against:

- PostgreSQL says *what* failed but not *where*: psycopg raises ``DataError`` with SQLSTATE class 22
  (``value too long for type character varying(5)``, ``numeric field overflow``, ``smallint out of
  range``) and no ``diag.column_name``; a NUL in text is refused by psycopg itself (a ``DataError``
  without SQLSTATE). SQLAlchemy's asyncpg adapter raises a plain ``DBAPIError`` with the SQLSTATE in
  ``orig.sqlstate`` (asyncpg checks int ranges itself: ``22000 ... value out of int16 range``).
- MariaDB/MySQL name the column in the message (``1406 Data too long for column 'x'``, ``1264 Out
  of range value for column 'x'``, ``1366 Incorrect integer value ... for column 'x'``).
- PostgreSQL parses the text of a tsvector or tsquery value itself and refuses a malformed one
  with SQLSTATE 42601 (``syntax error in tsvector: "a:b'"``), the class of SQL syntax errors: a
  42601 counts as a refused value only when its message names one of those two types (type names
  stay in English in translated messages).
- SQLite enforces no lengths or ranges; the one data error is the driver's ``OverflowError`` for
  an integer beyond 64 bits, which SQLAlchemy does not wrap.

Where the database does not name the column, the engines the runtime makes (:func:`create_engine`)
find it with a ``handle_error`` hook: the statement's bound values are checked against their
columns' types (length, precision and scale, integer width, NUL, a native enum's values) and the
one that cannot fit is recorded on the driver's exception (in a SELECT, a filter's bind is named by
the column it compares with). Whatever the engine, a repository write whose error names no
column checks the values it wrote (:func:`column_that_cannot_fit`, through the write guard's
``name_column``); an error caught elsewhere on an engine made otherwise names none on
PostgreSQL and SQLite.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Enum, Integer, Numeric, SmallInteger, String
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DataError as DriverDataError
from sqlalchemy.exc import DBAPIError, StatementError

from .errors import DataError

_COLUMN = "_sublimate_data_column"
_FROM_STATEMENT = "_sublimate_from_statement"
_MYSQL_DATA = frozenset({1264, 1265, 1292, 1366, 1367, 1406, 1690})
_MYSQL_COLUMN = re.compile(r"for column '((?:[^']|'')*)'")
_ROW_SUFFIX = re.compile(r"(_m[0-9]+|__[0-9]+)\Z")
_INT_BOUNDS = {SmallInteger: 2**15, BigInteger: 2**63, Integer: 2**31}
_TEXT_SEARCH = re.compile(r"\b(tsvector|tsquery)\b")


def data_error_of(error: BaseException, model: str) -> DataError | None:
    """The runtime's ``DataError`` for ``error`` when it is a refused value, else None."""
    if isinstance(error, OverflowError):  # sqlite3: an int beyond 64 bits, never wrapped
        return DataError(model, getattr(error, _COLUMN, None), error)
    if not isinstance(error, DBAPIError):
        return None
    original: BaseException = error.orig if error.orig is not None else error
    args = original.args
    if len(args) >= 2 and isinstance(args[0], int):  # pymysql / aiomysql
        if args[0] not in _MYSQL_DATA:
            return None
        found = _MYSQL_COLUMN.search(str(args[1]))
        column = found.group(1).replace("''", "'") if found else None
        return DataError(model, column, original)
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    is_data = (
        isinstance(error, DriverDataError)
        or (isinstance(sqlstate, str) and sqlstate.startswith("22"))
        or (sqlstate == "42601" and _TEXT_SEARCH.search(str(original)) is not None)
    )
    if not is_data:
        return None
    diag = getattr(original, "diag", None)
    column = getattr(diag, "column_name", None) or getattr(original, _COLUMN, None)
    return DataError(model, column, original)


def refused_value(error: BaseException, model: str) -> DataError | None:
    """:func:`data_error_of` for an error caught far from its statement (an app's error handler,
    where reads arrive too): an ``OverflowError`` counts only when a statement of an engine
    made by :func:`.session.create_engine` raised it, not arithmetic anywhere else. A
    ``StatementError`` around an ``OverflowError`` counts too: a bind processor could not
    convert the value for its column (SQLAlchemy stores a non-native ``Interval`` as 1970-01-01
    plus the value, so on SQLite or MariaDB a timedelta beyond some 2.9 million days overflows
    a datetime)."""
    if isinstance(error, OverflowError) and not getattr(error, _FROM_STATEMENT, False):
        return None
    if isinstance(error, StatementError) and not isinstance(error, DBAPIError):
        if isinstance(error.orig, OverflowError):
            return DataError(model, None, error.orig)
        return None
    return data_error_of(error, model)


def record_column(context: ExceptionContext) -> None:
    """The engines' ``handle_error`` hook (:mod:`.session`): note the column a refused value
    was meant for on the driver's exception."""
    original = context.original_exception
    if isinstance(original, OverflowError):
        setattr(original, _FROM_STATEMENT, True)  # see refused_value
    execution: Any = context.execution_context  # DefaultExecutionContext: compiled_parameters
    if execution is None or execution.compiled is None:
        return
    if not isinstance(original, OverflowError) and not isinstance(
        context.sqlalchemy_exception, DBAPIError
    ):
        return
    try:
        column = _offending_column(execution.compiled, execution.compiled_parameters)
        if column is not None:
            setattr(original, _COLUMN, column)
    except Exception:  # naming the column is a courtesy: never hide the real error
        return


def _offending_column(compiled: Any, rows: list[Mapping[str, Any]]) -> str | None:
    """The one column name whose bound value cannot fit its type, or None (none or several)."""
    table = getattr(compiled.statement, "table", None)
    columns = getattr(table, "c", None)
    found: set[str] = set()
    for row in rows:
        for name, value in row.items():
            bind = compiled.binds.get(name)
            if bind is None or not _cannot_fit(bind.type, value):
                continue
            found.add(_column_name(columns, name, bind))
    return found.pop() if len(found) == 1 else None


def _column_name(columns: Any, name: str, bind: Any) -> str:
    """The column a bind parameter sets: its name is the column's key (``sku``, ``sku_m1`` in
    a multi-row VALUES), or the bind itself is keyed by it; else (a SELECT's ``count = :count_1``)
    the key the bind was made for, before SQLAlchemy made it unique; else the bind's name."""
    for key in (name, _ROW_SUFFIX.sub("", name), getattr(bind, "key", name)):
        column = columns.get(key) if columns is not None else None
        if column is not None:
            return str(column.name)
    original = getattr(bind, "_orig_key", None)  # SQLAlchemy 2.0's BindParameter
    return original if isinstance(original, str) and original else name


def column_that_cannot_fit(
    table: Any, sql_names: Mapping[str, str], rows: Sequence[Mapping[str, Any]]
) -> str | None:
    """The one database column name among ``rows`` (values by attribute) whose value cannot fit
    its column's type, or None (none or several): what a repository checks when the driver's
    error named no column and the engine hook could not tell either."""
    found: set[str] = set()
    for row in rows:
        for attr, value in row.items():
            column = table.c.get(sql_names.get(attr, attr))
            if column is not None and _cannot_fit(column.type, value):
                found.add(str(column.name))
    return found.pop() if len(found) == 1 else None


def _cannot_fit(type_: Any, value: Any) -> bool:
    if isinstance(value, str):
        if isinstance(type_, Enum) and type_.native_enum and type_.enums:
            return value not in type_.enums  # PostgreSQL: invalid input value for enum
        length = getattr(type_, "length", None) if isinstance(type_, String) else None
        return "\x00" in value or (length is not None and len(value) > length)
    if isinstance(value, bool):
        return False
    if isinstance(value, int) and isinstance(type_, Integer):
        bound = next((b for kind, b in _INT_BOUNDS.items() if isinstance(type_, kind)), 2**63)
        return not -bound <= value < bound
    if isinstance(value, int | float | Decimal) and isinstance(type_, Numeric):
        precision, scale = type_.precision, type_.scale or 0
        if precision is None or not Decimal(value).is_finite():
            return False
        return abs(Decimal(value)) >= Decimal(10) ** (precision - scale)
    return False
