"""SQLite: each statement is prepared (compiled, never run) against an empty in-memory copy of
the schema, through SQLite's own C API: the prepare checks every name, the statement's result
columns say which table column they come from (`sqlite3_column_table_name`/`origin_name`) and
that column's declared type and NOT NULL give the Python type and the nullability.

Python's `sqlite3` module exposes none of that, so the library is called through ctypes; the
copy is made of the schema's DDL only (no row is copied or read). SQLite cannot type an
expression (`max(x)`, `a + b`; a whole top-level `count(...)` is an int, never NULL) nor a
parameter: an expression needs a `-- column` hint, and a parameter's type comes from the
column it is compared with, assigned to or inserted into (`col = :p`, `:p < t.col`, `col IN
(:a, :b)`, `SET col = :p`, `INSERT (col) VALUES (:p)`, `LIMIT :n`), or from a `-- param` hint;
otherwise generation stops and says which hint to add.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import re
import sqlite3
from collections.abc import Sequence

from ..introspect import IntrospectError
from .clauses import counted_labels
from .described import Described, DescribedColumn, Origin, outer_nullable
from .param_types import param_types
from .parse import ParsedQuery
from .pytypes import PyType, any_type, named

_OPEN_READWRITE, _OPEN_CREATE, _OPEN_MEMORY = 0x2, 0x4, 0x80


def _library() -> ctypes.CDLL:
    path = ctypes.util.find_library("sqlite3")
    try:
        lib = ctypes.CDLL(path or "libsqlite3.so.0")
        lib.sqlite3_column_table_name  # noqa: B018 - only with SQLITE_ENABLE_COLUMN_METADATA
    except (OSError, AttributeError) as error:
        raise IntrospectError(
            "describing queries on SQLite needs a libsqlite3 built with column metadata"
            f" ({error}); set queries_url to a PostgreSQL database instead"
        ) from error
    p, i, s = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
    signatures: dict[str, tuple[list[type], type | None]] = {
        "sqlite3_open_v2": ([s, ctypes.POINTER(p), i, s], i),
        "sqlite3_close_v2": ([p], i),
        "sqlite3_exec": ([p, s, p, p, p], i),
        "sqlite3_prepare_v2": ([p, p, i, ctypes.POINTER(p), ctypes.POINTER(p)], i),
        "sqlite3_finalize": ([p], i),
        "sqlite3_errmsg": ([p], s),
        "sqlite3_error_offset": ([p], i),
        "sqlite3_column_count": ([p], i),
        "sqlite3_column_name": ([p, i], s),
        "sqlite3_column_decltype": ([p, i], s),
        "sqlite3_column_table_name": ([p, i], s),
        "sqlite3_column_origin_name": ([p, i], s),
    }
    for name, (arguments, result) in signatures.items():
        function = getattr(lib, name, None)
        if function is not None:
            function.argtypes, function.restype = arguments, result
    return lib


class SqliteDescriber:
    dialect = "sqlite"

    def __init__(self, ddl: Sequence[str]) -> None:
        self._lib = _library()
        self._db = ctypes.c_void_p()
        flags = _OPEN_READWRITE | _OPEN_CREATE | _OPEN_MEMORY
        if self._lib.sqlite3_open_v2(b":memory:", ctypes.byref(self._db), flags, None) != 0:
            raise IntrospectError("cannot open an in-memory SQLite database to describe queries")
        self._catalog = sqlite3.connect(":memory:")
        for statement in ddl:
            try:
                self._catalog.execute(statement)
            except sqlite3.Error as error:
                self.close()
                raise IntrospectError(
                    f"the schema cannot be copied into SQLite to describe the queries ({error});"
                    " set queries_url to a database that has it"
                ) from error
            if self._lib.sqlite3_exec(self._db, statement.encode(), None, None, None) != 0:
                message = self._lib.sqlite3_errmsg(self._db).decode(errors="replace")
                self.close()
                raise IntrospectError(f"cannot copy the schema into SQLite: {message}")
        self._tables: dict[str, dict[str, tuple[str, bool]]] = {}

    def close(self) -> None:
        if self._db:
            self._lib.sqlite3_close_v2(self._db)
            self._db = ctypes.c_void_p()
        self._catalog.close()

    def describe(self, query: ParsedQuery) -> Described:
        encoded = query.sql.encode()
        buffer = ctypes.create_string_buffer(encoded)
        statement, tail = ctypes.c_void_p(), ctypes.c_void_p()
        code = self._lib.sqlite3_prepare_v2(
            self._db,
            ctypes.addressof(buffer),
            len(encoded) + 1,
            ctypes.byref(statement),
            ctypes.byref(tail),
        )
        if code != 0:
            message = self._lib.sqlite3_errmsg(self._db).decode(errors="replace")
            offset = self._lib.sqlite3_error_offset(self._db)
            at = len(encoded[:offset].decode(errors="ignore")) if offset >= 0 else None
            raise query.error(message, at)
        try:
            columns = self._columns(query, statement)
        finally:
            self._lib.sqlite3_finalize(statement)
        params = self._params(query)
        return Described(
            params=tuple((found, False) for found, _ in params),
            columns=columns,
            param_origins=tuple(origin for _, origin in params),
        )

    def _columns(
        self, query: ParsedQuery, statement: ctypes.c_void_p
    ) -> tuple[DescribedColumn, ...]:
        lib = self._lib
        nullable_side = outer_nullable(query.tokens)
        counted = counted_labels(query.tokens, query.sql)
        found = []
        for index in range(lib.sqlite3_column_count(statement)):
            label = (lib.sqlite3_column_name(statement, index) or b"").decode(errors="replace")
            table = lib.sqlite3_column_table_name(statement, index)
            column = lib.sqlite3_column_origin_name(statement, index)
            if table is None or column is None:
                hint = query.column_hint(label)
                if hint is None and label.lower() in counted:  # COUNT: an integer, never NULL
                    found.append(DescribedColumn(label, named("int", "count"), False, None))
                    continue
                if hint is None:
                    raise query.error(
                        f"SQLite cannot tell the type of result column {label!r} (an"
                        f" expression); add `-- column {label}: <type>` after the name line"
                        " (int, str, Decimal, ... with `| None` when it may be null)"
                    )
                found.append(DescribedColumn(label, hint.type, hint.nullable, None))
                continue
            origin = Origin("", table.decode(), column.decode())
            declared, not_null = self._column(origin.table, origin.column)
            outer = nullable_side is None or origin.table.lower() in nullable_side
            found.append(
                DescribedColumn(label, sqlite_type(declared), not (not_null and not outer), origin)
            )
        return tuple(found)

    def _params(self, query: ParsedQuery) -> list[tuple[PyType, Origin | None]]:
        return param_types(
            query,
            "SQLite",
            self._has_column,
            lambda table, column: sqlite_type(self._column(table, column)[0]),
            named("int", "INTEGER"),
        )

    def _column(self, table: str, column: str) -> tuple[str, bool]:
        columns = self._table(table)
        for name, facts in columns.items():
            if name.lower() == column.lower():
                return facts
        return "", False

    def _table(self, table: str) -> dict[str, tuple[str, bool]]:
        key = table.lower()
        if key not in self._tables:
            rows = self._catalog.execute(
                'SELECT name, type, "notnull", pk FROM pragma_table_info(?)', (table,)
            ).fetchall()
            self._tables[key] = {
                name: (declared or "", bool(not_null) or (pk == 1 and "INT" in declared.upper()))
                for name, declared, not_null, pk in rows
            }
        return self._tables[key]

    def _has_column(self, table: str, column: str) -> bool:
        return any(name.lower() == column.lower() for name in self._table(table))

    def column_exists(self, origin: str) -> bool:
        table, _, column = origin.rpartition(".")
        return self._has_column(table, column)


_NUMERIC = re.compile(r"\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)")


def sqlite_type(declared: str) -> PyType:
    """The Python type of a declared SQLite type (its affinity rules, plus the names SQLAlchemy
    stores as text: dates and times; BOOLEAN; NUMERIC/DECIMAL as Decimal)."""
    upper = declared.upper()
    if not upper:
        return any_type("")
    if "BOOL" in upper:
        return named("bool", declared)
    if "INT" in upper:
        return _raw(named("int", declared))
    for prefix, hint in (
        ("DATETIME", "datetime"),
        ("TIMESTAMP", "datetime"),
        ("DATE", "date"),
        ("TIME", "time"),
    ):
        if upper.startswith(prefix):
            return named(hint, declared)
    if any(part in upper for part in ("CHAR", "CLOB", "TEXT")):
        return _raw(named("str", declared))
    if "BLOB" in upper:
        return _raw(named("bytes", declared))
    if any(part in upper for part in ("REAL", "FLOA", "DOUB")):
        return _raw(named("float", declared))
    if "JSON" in upper:
        return any_type(declared, "sa.JSON()")
    if "NUMERIC" in upper or "DECIMAL" in upper:
        found = named("Decimal", declared)
        size = _NUMERIC.search(upper)
        arguments = ", ".join(g for g in size.groups() if g) if size else ""
        return PyType(found.annotation, found.imports, f"sa.Numeric({arguments})", declared)
    return any_type(declared)


def _raw(found: PyType) -> PyType:
    """The driver returns it as it is: no SQLAlchemy processing."""
    return PyType(found.annotation, found.imports, "", found.sql)
