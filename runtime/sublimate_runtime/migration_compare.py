"""Alembic hook: tell a real difference from a reflection blind spot (`include_object`).

Alembic compares the models with what SQLAlchemy's Inspector reflects, and on some databases the
Inspector reports less than the database holds. A project freshly generated from a database then
showed drift against that very database (`sublimate db check` failed, autogenerate wrote a
revision that changed nothing real, or worse, dropped and re-created an index):

- SQLite reports a primary key column nullable unless it was declared NOT NULL (and an `INTEGER
  PRIMARY KEY`, a rowid, can never hold NULL), while a model's primary key column is never
  nullable: Alembic saw `modify_nullable` on every such key.
- SQLite's inline `email TEXT UNIQUE` is a unique index of origin `u` (`PRAGMA index_list`) that
  SQLAlchemy's parser of the CREATE TABLE text misses: Alembic saw the model's
  `UniqueConstraint("email")` as new.
- SQLite index parts with a collation (`a COLLATE NOCASE`) reflect as the bare column.
- PostgreSQL index elements with both an operator class and an order: SQLAlchemy cannot put
  `postgresql_ops` on a DESC element, so the model spells that element as one literal
  (`"c" text_pattern_ops DESC`), which Alembic compared by text with the reflected `"c" DESC`.

Alembic calls `include_object` with the model's object and the reflected one exactly when it
found a difference; `SameInDatabase.include_object` answers False (not a change) only when the
database itself shows that both are the same: the catalog (PRAGMAs), or the reflected index
element by element with its operator classes, orders and options. Anything it cannot show equal
stays a change: real drift is never hidden.

The other way round, `compare_index_options` (a table comparator, on with `configure_options`)
reports what Alembic does not look at: a PostgreSQL index whose method, operator classes,
INCLUDE, storage parameters or NULLS NOT DISTINCT differ is dropped and created again (not its
predicate, which PostgreSQL rewrites: see `_pg_option_signature`).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Index,
    MetaData,
    Table,
    UniqueConstraint,
    create_engine,
    exc,
)
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.schema import SchemaItem

__all__ = ["OPTION_KEY", "SameInDatabase", "compare_index_options", "register_comparators"]


@dataclass(frozen=True, slots=True)
class SameInDatabase:
    """The `include_object` filter that drops the differences the database shows are none.

    `connection` is None offline (`--sql`): nothing is reflected then, so nothing is compared.
    """

    connection: Connection | None

    def include_object(
        self,
        item: SchemaItem,
        name: str | None,
        type_: str,
        reflected: bool,
        compare_to: SchemaItem | None,
    ) -> bool:
        connection = self.connection
        if connection is None or reflected:
            return True
        dialect = connection.dialect.name
        if type_ == "column" and isinstance(item, Column) and isinstance(compare_to, Column):
            if dialect == "sqlite":
                _sqlite_primary_key_as_declared(item, compare_to)
            return True
        if type_ == "unique_constraint" and compare_to is None:
            if dialect == "sqlite" and isinstance(item, UniqueConstraint):
                return not _sqlite_has_inline_unique(connection, item)
            return True
        if type_ == "index" and isinstance(item, Index) and isinstance(compare_to, Index):
            if dialect == "sqlite":
                return not _sqlite_same_index(connection, item)
            if dialect == "postgresql":
                return not _postgresql_same_index(connection, item, compare_to)
        return True


# --- SQLite ----------------------------------------------------------------------------------


def _pragma(connection: Connection, pragma: str, argument: str, schema: str | None) -> list[Any]:
    quoted = '"' + argument.replace('"', '""') + '"'
    prefix = '"' + (schema or "main").replace('"', '""') + '".'
    return list(connection.exec_driver_sql(f"PRAGMA {prefix}{pragma}({quoted})"))


def _sqlite_primary_key_as_declared(model: Column[Any], reflected: Column[Any]) -> None:
    """A model's primary key column is NOT NULL; SQLite reports it nullable unless declared so
    (and never stores NULL in an `INTEGER PRIMARY KEY`). The reflected column is read as the key
    it is: only when it is in the database's primary key too and the model does not ask for a
    nullable column, so a model that makes the column nullable is still a change."""
    if model.primary_key and reflected.primary_key and not model.nullable and reflected.nullable:
        reflected.nullable = False


def _sqlite_has_inline_unique(connection: Connection, constraint: UniqueConstraint) -> bool:
    """The table has a UNIQUE constraint (an index of origin `u`) on exactly these columns."""
    table = constraint.table
    if not isinstance(table, Table):
        return False
    columns = [c.name for c in constraint.columns]
    for row in _pragma(connection, "index_list", table.name, table.schema):
        index, unique, origin = row[1], row[2], row[3]
        if origin != "u" or not unique:
            continue
        parts = [r[2] for r in _pragma(connection, "index_info", index, table.schema)]
        if parts == columns:
            return True
    return False


@dataclass(frozen=True, slots=True)
class _SqliteIndex:
    """An index as SQLite describes it: unique, partial, its key parts (column, DESC,
    collation; an expression part has no column), and its CREATE INDEX text."""

    unique: bool
    partial: bool
    parts: tuple[tuple[Any, ...], ...]
    sql: str


def _sqlite_index(raw: Any, table: str, index: str, schema: str | None) -> _SqliteIndex | None:
    """`raw`: a DB-API connection or a SQLAlchemy Connection (its driver SQL)."""

    def rows(statement: str, *parameters: Any) -> list[Any]:
        if isinstance(raw, Connection):
            return list(raw.exec_driver_sql(statement, parameters))
        return list(raw.execute(statement, parameters))

    schema_q = '"' + (schema or "main").replace('"', '""') + '"'

    def quoted(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    listed = rows(f"PRAGMA {schema_q}.index_list({quoted(table)})")
    found = [row for row in listed if row[1] == index]
    if not found:
        return None
    _, _, unique, _, partial = found[0][:5]
    parts = rows(f"PRAGMA {schema_q}.index_xinfo({quoted(index)})")
    keys = tuple((r[2], r[3], str(r[4]).upper()) for r in parts if r[5])
    sql_rows = rows(
        f"SELECT sql FROM {schema_q}.sqlite_master WHERE type = 'index' AND name = ?", index
    )
    sql = " ".join(str(sql_rows[0][0] or "").split()) if sql_rows else ""
    return _SqliteIndex(bool(unique), bool(partial), keys, sql)


def _sqlite_same_index(connection: Connection, index: Index) -> bool:
    """The model's index, created on a copy of its table in a scratch in-memory database, is
    described by SQLite exactly as the database's index is (key parts with their collations and
    orders, unique, partial). When a part is an expression or the index is partial, PRAGMAs
    cannot tell two expressions apart: the CREATE INDEX texts must then be the same too."""
    table = index.table
    if not isinstance(table, Table) or not index.name:
        return False
    existing = _sqlite_index(connection, table.name, str(index.name), table.schema)
    if existing is None:
        return False
    scratch = create_engine("sqlite://")
    try:
        copy = MetaData()
        copied = table.to_metadata(copy, schema="main")  # the scratch database's own
        with scratch.begin() as lite:
            lite.execute(CreateTable(copied, include_foreign_key_constraints=[]))
            model_index = next(i for i in copied.indexes if i.name == index.name)
            lite.execute(CreateIndex(model_index))
            wanted = _sqlite_index(lite, copied.name, str(index.name), None)
    except (exc.SQLAlchemyError, sqlite3.Error, StopIteration):
        return False
    finally:
        scratch.dispose()
    if wanted is None:
        return False
    same = (wanted.unique, wanted.partial, wanted.parts) == (
        existing.unique,
        existing.partial,
        existing.parts,
    )
    has_expression = any(part[0] is None for part in existing.parts)
    if same and (has_expression or existing.partial):
        return wanted.sql == existing.sql  # SQLite stores it without the schema
    return same


# --- PostgreSQL ------------------------------------------------------------------------------

_ORDERS = {
    operators.desc_op: "DESC",
    operators.asc_op: "ASC",
    operators.nulls_first_op: "NULLS FIRST",
    operators.nulls_last_op: "NULLS LAST",
}


def _pg_element(element: Any, ops: dict[str, str], connection: Connection) -> tuple[str, ...]:
    """One index element as (expression, operator class, orders...), however it is spelled: a
    column, an expression, or a literal that already carries its operator class."""
    orders: list[str] = []
    while isinstance(element, UnaryExpression) and element.modifier in _ORDERS:
        orders.insert(0, _ORDERS[element.modifier])
        element = element.element
    compiled = element.compile(
        dialect=connection.dialect, compile_kwargs={"include_table": False, "literal_binds": True}
    )
    text = str(compiled).strip()
    keys = [getattr(element, "key", None), getattr(element, "name", None), text]
    operator_class = next((ops[k] for k in keys if isinstance(k, str) and k in ops), "")
    if not operator_class:  # a literal spelled `"c" text_pattern_ops`
        head, _, last = text.rpartition(" ")
        if head and re.fullmatch(r"[a-z_][a-z0-9_]*_ops", last):
            text, operator_class = head.strip(), last
    orders = [o for o in orders if o != "ASC"]
    if orders == ["DESC", "NULLS FIRST"]:  # PostgreSQL's default for DESC
        orders = ["DESC"]
    if orders == ["NULLS LAST"]:  # and for ASC
        orders = []
    return (" ".join(text.split()), operator_class, *orders)


def _pg_options(index: Index, connection: Connection) -> tuple[Any, ...]:
    options = index.dialect_options["postgresql"]
    where_text = _sql_text(options.get("where"), connection)
    include = tuple(getattr(c, "name", c) for c in options.get("include") or ())
    using = (options.get("using") or "btree").lower()
    with_ = sorted((str(k), str(v)) for k, v in (options.get("with") or {}).items())
    return (
        bool(index.unique),
        using,
        _bare(where_text),
        include,
        with_,
        bool(options.get("nulls_not_distinct")),
    )


def _pg_option_signature(index: Index, connection: Connection) -> tuple[Any, ...]:
    """What Alembic does not compare and is spelled the same in a model and in the catalog:
    each element's operator class, the method, INCLUDE, storage parameters, NULLS NOT DISTINCT.
    Not the predicate: PostgreSQL rewrites it (casts, parentheses), so `postgresql_where=
    sa.text("n > 0 AND t <> 'x'")` reads back as `(n > 0) AND (t <> 'x'::text)`, and comparing
    texts would report drift on every project whose models were written by hand."""
    unique, using, _, include, with_, nulls_not_distinct = _pg_options(index, connection)
    classes = tuple(element[1] for element in _pg_elements(index, connection))
    return (classes, unique, using, include, with_, nulls_not_distinct)


def _sql_text(clause: Any, connection: Connection) -> str:
    """A predicate as SQL text: reflected ones are strings, a model's a `sa.text()` or an
    expression."""
    if clause is None:
        return ""
    if isinstance(clause, str):
        return clause
    text = getattr(clause, "text", None)
    if isinstance(text, str):
        return text
    compiled = clause.compile(
        dialect=connection.dialect, compile_kwargs={"include_table": False, "literal_binds": True}
    )
    return str(compiled)


def _bare(text: str) -> str:
    """An expression without its outer parentheses and extra spaces, as compared."""
    text = " ".join(text.split())
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return text


def _balanced(text: str) -> bool:
    depth, quote = 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0 and not quote


def _pg_elements(index: Index, connection: Connection) -> list[tuple[str, ...]]:
    ops = {
        str(k): str(v) for k, v in (index.dialect_options["postgresql"].get("ops") or {}).items()
    }
    return [_pg_element(e, ops, connection) for e in index.expressions]


def _postgresql_same_index(connection: Connection, model: Index, reflected: Index) -> bool:
    """The model's index and the reflected one are the same element by element (expression,
    operator class, order) with the same unique, method, predicate, INCLUDE, storage
    parameters and NULLS NOT DISTINCT."""
    try:
        return _pg_elements(model, connection) == _pg_elements(reflected, connection) and (
            _pg_options(model, connection) == _pg_options(reflected, connection)
        )
    except (exc.SQLAlchemyError, AttributeError, KeyError, TypeError):
        return False  # cannot show them equal: a change


# --- PostgreSQL index options Alembic does not compare ---------------------------------------

OPTION_KEY = "sublimate_compare_index_options"
"""The `context.configure` option that turns on `compare_index_options` (set by
`configure_options`): the comparator is registered with Alembic globally, as its extension API
has it, so it acts only in the environments that ask for it."""


def compare_index_options(
    autogen_context: Any,
    modify_ops: Any,
    schema: str | None,
    table_name: str,
    reflected_table: Table | None,
    model_table: Table | None,
) -> Any:
    """An Alembic table comparator: a PostgreSQL index whose elements, orders and uniqueness
    Alembic finds equal, but whose method (`USING gist`), operator classes, `INCLUDE`, storage
    parameters or NULLS NOT DISTINCT differ, is dropped and created again. Alembic looks at
    none of these, so a model changed from `gin` to `gist` produced no revision and `db check`
    no drift."""
    from alembic.operations import ops

    migration = autogen_context.migration_context
    connection = autogen_context.connection
    if (
        not migration.opts.get(OPTION_KEY)
        or connection is None
        or connection.dialect.name != "postgresql"
        or reflected_table is None
        or model_table is None
    ):
        return _CONTINUE
    compare = getattr(migration.impl, "compare_indexes", None)
    if compare is None:  # an Alembic without it: leave the comparison to Alembic
        return _CONTINUE
    reflected = {str(i.name): i for i in reflected_table.indexes if i.name}
    flagged = {str(getattr(op, "index_name", "") or "") for op in modify_ops.ops}
    for index in sorted(model_table.indexes, key=lambda i: str(i.name)):
        name = str(index.name or "")
        existing = reflected.get(name)
        if existing is None or name in flagged:
            continue
        if not compare(index, existing).is_equal:
            continue  # Alembic reports it (and `include_object` rules on it)
        try:
            same = _pg_option_signature(index, connection) == _pg_option_signature(
                existing, connection
            )
        except (exc.SQLAlchemyError, AttributeError, KeyError, TypeError):
            same = True  # cannot read the options: leave the index to Alembic
        if same:
            continue
        if not autogen_context.run_object_filters(index, name, "index", False, existing):
            continue
        modify_ops.ops.append(ops.DropIndexOp.from_index(existing))
        modify_ops.ops.append(ops.CreateIndexOp.from_index(index))
    return _CONTINUE


def _continue() -> Any:
    try:
        from alembic.util.langhelpers import PriorityDispatchResult
    except ImportError:  # Alembic < 1.18: a comparator returns nothing
        return None
    return PriorityDispatchResult.CONTINUE


_CONTINUE = _continue()


_registered: list[bool] = []


def register_comparators() -> None:
    """Register `compare_index_options` with Alembic's comparators (once per process)."""
    from alembic.autogenerate import comparators

    if _registered:
        return
    try:  # Alembic >= 1.18: its own subgroup, so no other comparator's STOP skips it
        decorate = comparators.dispatch_for("table", subgroup="sublimate_index_options")
    except TypeError:
        decorate = comparators.dispatch_for("table")
    decorate(compare_index_options)
    _registered.append(True)
