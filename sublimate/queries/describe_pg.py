"""PostgreSQL: the server describes each statement (libpq's prepare and describe, through
psycopg): parameter types, result column types and, for a column read straight from a table,
which table and column (so its NOT NULL tells the nullability). Nothing is executed, no row is
read; the unnamed prepared statement is replaced by the next one and dropped with the session.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Engine

from .. import redact
from ..introspect import IntrospectError
from .clauses import counted_labels
from .described import Described, DescribedColumn, Origin, outer_nullable
from .parse import ParsedQuery
from .pytypes import PyType, any_type, list_of, literal_of, named

# pg_type.typname -> a hint name (pytypes vocabulary)
_BY_NAME = {
    "int2": "int",
    "int4": "int",
    "int8": "int",
    "oid": "int",
    "float4": "float",
    "float8": "float",
    "numeric": "Decimal",
    "text": "str",
    "varchar": "str",
    "bpchar": "str",
    "char": "str",
    "name": "str",
    "citext": "str",
    "money": "str",
    "bool": "bool",
    "bytea": "bytes",
    "date": "date",
    "timestamp": "datetime",
    "timestamptz": "datetime",
    "time": "time",
    "timetz": "time",
    "interval": "timedelta",
    "uuid": "UUID",
}
# On PostgreSQL psycopg returns these as Python values already: no SQLAlchemy processing.
_NATIVE = frozenset({"str", "int", "float", "bool", "Decimal", "date", "datetime", "time"})


class PgDescriber:
    dialect = "postgresql"

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        try:
            self._raw: Any = engine.raw_connection()
        except Exception as error:  # the driver's own exception classes
            message = " ".join(redact.scrub(str(error)).split())[:300]
            raise IntrospectError(f"cannot connect to describe the queries: {message}") from error
        pgconn: Any = getattr(self._raw.driver_connection, "pgconn", None)
        if pgconn is None:
            self.close()
            raise IntrospectError(
                "describing queries on PostgreSQL needs the psycopg driver (libpq's describe):"
                " use a postgresql+psycopg:// URL (pip install 'psycopg[binary]')"
            )
        self._pg: Any = pgconn
        self._types: dict[int, PyType] = {}
        self._columns: dict[tuple[int, int], tuple[Origin, bool]] = {}

    def close(self) -> None:
        self._raw.close()
        self._engine.dispose()

    def describe(self, query: ParsedQuery) -> Described:
        from psycopg import pq

        sql = _positional(query)
        result = self._pg.prepare(b"", sql.encode(), None)
        if result.status != pq.ExecStatus.COMMAND_OK:
            field = pq.DiagnosticField
            message = (result.error_field(field.MESSAGE_PRIMARY) or b"").decode(errors="replace")
            position = result.error_field(field.STATEMENT_POSITION)
            offset = int(position) - 1 if position else None
            raise query.error(message or result.error_message.decode(errors="replace"), offset, sql)
        described = self._pg.describe_prepared(b"")
        param_oids = [described.param_type(i) for i in range(described.nparams)]
        fields = [
            (
                described.fname(i).decode(errors="replace"),
                described.ftype(i),
                described.ftable(i),
                described.ftablecol(i),
            )
            for i in range(described.nfields)
        ]
        self._load_types([*param_oids, *(f[1] for f in fields)])
        self._load_columns([(f[2], f[3]) for f in fields if f[2]])
        nullable_side = outer_nullable(query.tokens)
        counted = counted_labels(query.tokens, query.sql)
        columns = []
        for label, oid, table, number in fields:
            known = self._columns.get((table, number)) if table else None
            origin, not_null = known if known else (None, False)
            outer = nullable_side is None or (
                origin is not None and origin.table.lower() in nullable_side
            )
            nullable = not (not_null and not outer)
            if origin is None and label.lower() in counted:  # COUNT is never NULL
                nullable = False
            columns.append(DescribedColumn(label, self._types[oid], nullable, origin))
        return Described(
            params=tuple((self._types[oid], False) for oid in param_oids),
            columns=tuple(columns),
        )

    def column_exists(self, origin: str) -> bool:
        table, _, column = origin.rpartition(".")
        rows = self._query(
            "SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
            " WHERE c.relname = %s AND a.attname = %s AND a.attnum > 0"
            " AND NOT a.attisdropped AND pg_table_is_visible(c.oid)",
            (table, column),
        )
        return bool(rows)

    def _query(self, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        cursor = self._raw.cursor()
        try:
            cursor.execute(sql, params)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
        finally:
            cursor.close()
        self._raw.rollback()
        return rows

    def _load_types(self, oids: Iterable[int]) -> None:
        missing = sorted(set(oids) - set(self._types))
        if not missing:
            return
        rows = self._query(
            "SELECT t.oid, t.typname, t.typtype, t.typelem, e.typname, t.typbasetype,"
            " b.typname, (SELECT array_agg(l.enumlabel ORDER BY l.enumsortorder) FROM pg_enum l"
            "  WHERE l.enumtypid = CASE WHEN t.typelem <> 0 THEN t.typelem ELSE t.oid END)"
            " FROM pg_type t LEFT JOIN pg_type e ON e.oid = t.typelem"
            " LEFT JOIN pg_type b ON b.oid = t.typbasetype WHERE t.oid = ANY(%s)",
            (missing,),
        )
        for oid, name, kind, element, element_name, _base, base_name, labels in rows:
            if element and name.startswith("_"):
                inner = _scalar(element_name, tuple(labels or ()))
                self._types[oid] = list_of(inner, name[1:] + "[]")
            elif kind == "d" and base_name:
                self._types[oid] = _scalar(base_name, (), sql=name)
            else:
                self._types[oid] = _scalar(name, tuple(labels or ()) if kind == "e" else ())
        for oid in missing:
            self._types.setdefault(oid, any_type("unknown"))

    def _load_columns(self, pairs: list[tuple[int, int]]) -> None:
        missing = sorted(set(pairs) - set(self._columns))
        if not missing:
            return
        rows = self._query(
            "SELECT a.attrelid, a.attnum, n.nspname, c.relname, a.attname, a.attnotnull"
            " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE (a.attrelid, a.attnum) IN (SELECT * FROM unnest(%s::oid[], %s::int2[]))",
            ([p[0] for p in missing], [p[1] for p in missing]),
        )
        for table, number, schema, relname, column, not_null in rows:
            self._columns[(table, number)] = (Origin(schema, relname, column), bool(not_null))


def _scalar(name: str, labels: tuple[str, ...], sql: str = "") -> PyType:
    if labels:
        return literal_of(labels, sql or name)
    if name in ("json", "jsonb"):
        return any_type(name, "sa.JSON()")
    hint = _BY_NAME.get(name)
    if hint is None:
        return any_type(sql or name)
    found = named(hint, sql or name)
    if hint in _NATIVE:  # psycopg converts: no result processing needed on the way out
        return PyType(found.annotation, found.imports, "", found.sql)
    return found


def _positional(query: ParsedQuery) -> str:
    """The statement with `:name` as `$n` (libpq's form); newlines stay, so offsets keep lines."""
    numbers = {name: index for index, name in enumerate(query.params, 1)}
    parts: list[str] = []
    position = 0
    for token in query.tokens:
        if token.kind == "param":
            parts.append(query.sql[position : token.start])
            parts.append(f"${numbers[token.text]}")
            position = token.start + 1 + len(token.text)
    parts.append(query.sql[position:])
    return "".join(parts)
