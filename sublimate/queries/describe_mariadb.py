"""MariaDB/MySQL: no server describe reaches Python (pymysql speaks the text protocol), so each
statement is checked by `PREPARE` (names, syntax: nothing runs) and then run once, inside a
transaction that is rolled back, on an empty scratch copy of the schema (`CREATE TABLE ... LIKE`
in a database of its own, dropped at the end): no row of the real database is read or written.
The result's column metadata says each column's type, its table column and whether it can be
NULL (the server's own flag: `count(*)` NOT NULL, `sum(...)` nullable, an outer join's inner
side nullable).

Parameters: the server does not type them. A parameter takes the type of the column it is
compared with, assigned to or inserted into (`param_targets`), or a `-- param` hint; the run
binds a typed stand-in value (0, '', the enum's first value...). Creating the scratch database
needs the CREATE and DROP privileges; without them generation says so (or set `queries_url`).
CHECK constraints are switched off in that session (MariaDB), so stand-ins never trip them.
"""

from __future__ import annotations

import ast
import datetime
import decimal
import re
import uuid
from typing import Any

from sqlalchemy.engine import Engine

from .. import redact
from ..introspect import IntrospectError
from .described import Described, DescribedColumn, Origin, outer_nullable
from .param_types import param_types
from .parse import ParsedQuery
from .pytypes import PyType, any_type, literal_of, named

_NOT_NULL, _BINARY_CHARSET = 1, 63
_INTS = {1, 2, 3, 8, 9, 13}  # TINY, SHORT, LONG, LONGLONG, INT24, YEAR
_TEXT = {15, 249, 250, 251, 252, 253, 254}  # VARCHAR, blobs, VAR_STRING, STRING
_BY_CODE = {
    0: "Decimal",
    246: "Decimal",
    4: "float",
    5: "float",
    10: "date",
    14: "date",
    7: "datetime",
    12: "datetime",
    11: "timedelta",
}
_ENUM = re.compile(r"^(?:enum|set)\((.*)\)$", re.IGNORECASE | re.DOTALL)
_AT_LINE = re.compile(r" at line (\d+)$")
_STAND_IN: dict[str, object] = {
    "int": 0,
    "float": 0.0,
    "str": "",
    "bool": False,
    "bytes": b"",
    "decimal.Decimal": decimal.Decimal(0),
    "datetime.date": datetime.date(2000, 1, 1),
    "datetime.datetime": datetime.datetime(2000, 1, 1),
    "datetime.time": datetime.time(0),
    "datetime.timedelta": datetime.timedelta(0),
    "uuid.UUID": str(uuid.UUID(int=0)),
}


class MariaDbDescriber:
    dialect = "mysql"

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        try:
            self._raw: Any = engine.raw_connection()
        except Exception as error:  # the driver's own exception classes
            raise IntrospectError(
                f"cannot connect to describe the queries: {_said(error)}"
            ) from error
        self._scratch = f"sublimate_scratch_{uuid.uuid4().hex[:10]}"
        self._columns: dict[str, dict[str, tuple[str, str, bool]]] = {}
        try:
            source = self._rows("SELECT DATABASE()")[0][0]
            tables = [
                row[0]
                for row in self._rows(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
                    " AND table_type = 'BASE TABLE'",
                    (source,),
                )
            ]
            self._rows(f"CREATE DATABASE `{self._scratch}`")
        except Exception as error:
            self._raw.close()
            raise IntrospectError(
                "describing queries on MariaDB runs them on an empty scratch database, which"
                f" could not be created ({_said(error)}); grant CREATE and DROP, or set"
                " queries_url to a database where it can"
            ) from error
        try:
            for table in tables:
                quoted = table.replace("`", "``")
                self._rows(f"CREATE TABLE `{self._scratch}`.`{quoted}` LIKE `{source}`.`{quoted}`")
            self._rows(f"USE `{self._scratch}`")
            self._rows("SET SESSION foreign_key_checks = 0")
        except Exception as error:
            self.close()
            raise IntrospectError(
                f"cannot copy the schema to describe queries: {_said(error)}"
            ) from error
        self._without_checks()

    def _without_checks(self) -> None:
        """CHECK constraints off for the scratch runs (MariaDB's `check_constraint_checks`): a
        stand-in value (0, '') inserted by the statement must not fail `CHECK (price > 0)`,
        which says nothing about the statement. MySQL has no such switch: there such a CHECK
        fails the describe with the server's own message."""
        try:
            self._rows("SET SESSION check_constraint_checks = 0")
        except Exception:  # MySQL: no such variable; the scratch keeps its CHECKs
            self._raw.rollback()

    def close(self) -> None:
        try:
            self._raw.rollback()
            self._rows(f"DROP DATABASE IF EXISTS `{self._scratch}`")
        finally:
            self._raw.close()
            self._engine.dispose()

    def _rows(self, sql: str, params: tuple[object, ...] | None = None) -> list[tuple[Any, ...]]:
        cursor = self._raw.cursor()
        try:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def describe(self, query: ParsedQuery) -> Described:
        marked, order = _placeholders(query, "?")
        try:
            self._rows("PREPARE sublimate_check FROM %s", (marked,))
            self._rows("DEALLOCATE PREPARE sublimate_check")
        except Exception as error:
            raise _error(query, error) from None
        params = self._params(query)
        types = dict(zip(query.params, (found for found, _ in params), strict=True))
        values = tuple(_STAND_IN.get(types[name].annotation, _first(types[name])) for name in order)
        formatted, _ = _placeholders(query, "%s")
        cursor = self._raw.cursor()
        try:
            cursor.execute(formatted, values)
            fields = (
                list(getattr(cursor._result, "fields", None) or ()) if cursor.description else []
            )
        except Exception as error:
            raise _error(query, error) from None
        finally:
            cursor.close()
            self._raw.rollback()
        nullable_side = outer_nullable(query.tokens)
        columns = []
        for field in fields:
            label = _text(field.name)
            table, column = _text(field.org_table), _text(field.org_name)
            origin = Origin("", table, column) if table and column else None
            hint = query.column_hint(label)
            if hint is not None:
                columns.append(DescribedColumn(label, hint.type, hint.nullable, origin))
                continue
            outer = nullable_side is None or (origin is not None and table.lower() in nullable_side)
            nullable = not (field.flags & _NOT_NULL) or outer
            columns.append(DescribedColumn(label, self._type(field, origin), nullable, origin))
        return Described(
            params=tuple((found, False) for found, _ in params),
            columns=tuple(columns),
            param_origins=tuple(origin for _, origin in params),
        )

    def _params(self, query: ParsedQuery) -> list[tuple[PyType, Origin | None]]:
        return param_types(
            query,
            "MariaDB",
            self._has_column,
            lambda table, column: _declared(*self._column(table, column)[:2]),
            named("int", "int"),
        )

    def _table(self, table: str) -> dict[str, tuple[str, str, bool]]:
        key = table.lower()
        if key not in self._columns:
            rows = self._rows(
                "SELECT column_name, data_type, column_type, is_nullable = 'YES'"
                " FROM information_schema.columns WHERE table_schema = DATABASE()"
                " AND table_name = %s",
                (table,),
            )
            self._columns[key] = {name.lower(): (dt, ct, bool(n)) for name, dt, ct, n in rows}
        return self._columns[key]

    def _column(self, table: str, column: str) -> tuple[str, str, bool]:
        return self._table(table).get(column.lower(), ("", "", True))

    def _has_column(self, table: str, column: str) -> bool:
        return column.lower() in self._table(table)

    def column_exists(self, origin: str) -> bool:
        table, _, column = origin.rpartition(".")
        return self._has_column(table, column)

    def _type(self, field: Any, origin: Origin | None) -> PyType:
        if origin is not None:
            data_type, column_type, _ = self._column(origin.table, origin.column)
            if data_type in ("enum", "set", "tinyint") or column_type == "tinyint(1)":
                return _declared(data_type, column_type)
        code = field.type_code
        if code in _INTS:
            return _raw(named("int", "int"))
        if code in _TEXT:
            binary = field.charsetnr == _BINARY_CHARSET
            return _raw(named("bytes" if binary else "str", "blob" if binary else "text"))
        if code in _BY_CODE:
            return _raw(named(_BY_CODE[code], str(code)))
        if code == 245:
            return any_type("json", "sa.JSON()")
        return any_type(str(code))


def _declared(data_type: str, column_type: str) -> PyType:
    """A column's Python type from information_schema (for parameters and enum columns)."""
    enum = _ENUM.match(column_type)
    if data_type == "enum" and enum is not None:
        labels = tuple(
            v[1:-1].replace("''", "'") for v in re.findall(r"'(?:[^']|'')*'", enum.group(1))
        )
        return literal_of(labels, column_type)
    if column_type.startswith("tinyint(1)"):
        return named("bool", column_type)
    by_name = {
        "int": "int",
        "integer": "int",
        "bigint": "int",
        "smallint": "int",
        "tinyint": "int",
        "mediumint": "int",
        "year": "int",
        "decimal": "Decimal",
        "float": "float",
        "double": "float",
        "date": "date",
        "datetime": "datetime",
        "timestamp": "datetime",
        "time": "timedelta",
        "blob": "bytes",
        "longblob": "bytes",
        "mediumblob": "bytes",
        "tinyblob": "bytes",
        "binary": "bytes",
        "varbinary": "bytes",
    }
    hint = by_name.get(data_type, "str" if data_type else "")
    return _raw(named(hint, column_type)) if hint else any_type(column_type)


def _raw(found: PyType) -> PyType:
    """pymysql converts it already: no SQLAlchemy processing."""
    return PyType(found.annotation, found.imports, "", found.sql)


def _first(found: PyType) -> object:
    """The stand-in value of an enum parameter: its first label (None for anything else)."""
    if not found.annotation.startswith("Literal["):
        return None
    return ast.literal_eval(f"({found.annotation[len('Literal[') : -1]},)")[0]


def _placeholders(query: ParsedQuery, mark: str) -> tuple[str, list[str]]:
    """The statement with each `:name` as `mark` (`%` doubled for pymysql's `%s` form), and the
    parameter names in the order of the marks."""
    parts: list[str] = []
    order: list[str] = []
    position = 0
    for token in query.tokens:
        if token.kind == "param":
            parts.append(_escape(query.sql[position : token.start], mark))
            parts.append(mark)
            order.append(token.text)
            position = token.start + 1 + len(token.text)
    parts.append(_escape(query.sql[position:], mark))
    return "".join(parts), order


def _escape(text: str, mark: str) -> str:
    return text.replace("%", "%%") if mark == "%s" else text


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value or "")


def _said(error: BaseException) -> str:
    args: tuple[Any, ...] = tuple(getattr(error, "args", ()))
    text = args[1] if len(args) == 2 and isinstance(args[1], str) else str(error)
    return " ".join(redact.scrub(text).split())[:300]


def _error(query: ParsedQuery, error: BaseException) -> Exception:
    """The server's message, at its line when it names one (`... at line 2`)."""
    message = _said(error)
    at = _AT_LINE.search(message)
    if at is None:
        return query.error(message)
    line = query.first_line + int(at.group(1)) - 1
    from .parse import QueryError

    return QueryError(query.path, line, query.name, message[: at.start()])
