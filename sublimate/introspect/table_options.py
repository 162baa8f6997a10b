"""What a table is besides its columns and keys: options the model must carry, and what it cannot.

The Inspector's bulk calls read columns, keys, indexes and comments; a table recreated from its
model with only those differs from the original where the database has more. Read here, one query
per kind per schema, and kept in `TableExtras`:

- MariaDB/MySQL: the table's ENGINE, DEFAULT CHARSET and COLLATE, carried as `mysql_engine`,
  `mysql_charset`, `mysql_collate` when they differ from the database's defaults (a utf8mb3 table
  in a utf8mb4 database). A column's own charset/collation is already in its reflected type.
  `PARTITION BY HASH/KEY (...) PARTITIONS n` is carried (`mysql_partition_by`,
  `mysql_partitions`); RANGE and LIST partitions need definitions SQLAlchemy reflects as text it
  cannot render again, so that partitioning is left out with a warning.
- PostgreSQL `PARTITION BY`: carried as `postgresql_partition_by` (`pg_get_partkeydef`), so
  `create_all` makes the table partitioned. Its partitions are not modelled (a user creates
  them by migration): they are named in a warning.
- PostgreSQL `INHERITS` (not partitions): not carried; a warning names the child and its parents.
- PostgreSQL rules on INSERT/UPDATE/DELETE: they rewrite the statement, so RETURNING and
  ON CONFLICT fail on that table; a warning names the table and each rule (the runtime raises
  `UnsupportedWriteError` for those writes, see the README).
- PostgreSQL sequences behind `nextval(...)` defaults (`sequences.column_sequences`).

Names and expressions from the catalog are hostile input like any other: they reach generated
code only through `naming.literal` and messages only as text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Inspector
from sqlalchemy.engine.reflection import ObjectKind

from sublimate.introspect.sequences import SequenceRef, column_sequences
from sublimate.ir import Diagnostic

__all__ = ["TableExtras", "extension_notes", "read_extras", "table_notes"]

_EVENTS = {"2": "UPDATE", "3": "INSERT", "4": "DELETE"}


@dataclass(frozen=True, slots=True, kw_only=True)
class TableExtras:
    """One table's facts beyond the Inspector's bulk calls (empty for SQLite and views)."""

    options: tuple[tuple[str, str], ...] = ()  # `__table_args__` dialect options, by name
    partitions: tuple[str, ...] = ()  # a partitioned table's partitions (left out)
    inherits: tuple[str, ...] = ()  # INHERITS parents, "schema.table" when in another schema
    rules: tuple[tuple[str, str, bool], ...] = ()  # (rule name, event, DO INSTEAD)
    sequences: Mapping[str, SequenceRef] = field(default_factory=dict)  # column -> sequence
    partitioning_left_out: str = ""  # MariaDB PARTITION BY the model cannot spell (RANGE, LIST)
    # MariaDB: column -> the default information_schema reports, to catch the ones SQLAlchemy's
    # SHOW CREATE TABLE parser drops (`DEFAULT nextval(seq)` reads as no default at all).
    catalog_defaults: Mapping[str, str] = field(default_factory=dict)


def read_extras(
    connection: Connection,
    inspector: Inspector,
    schema: str | None,
    default: str | None,
    tables: Sequence[str],
) -> dict[str, TableExtras]:
    """The extras of `tables` (tables, not views) of `schema` (None: the default one)."""
    if not tables:
        return {}
    name = connection.dialect.name
    if name == "postgresql":
        return _postgresql(connection, schema or default or "", schema, default, tables)
    if name in ("mysql", "mariadb"):
        return _mysql(connection, inspector, schema, tables)
    return {}


# --- PostgreSQL ----------------------------------------------------------------------------

_PARTITION_KEYS = sa.text(
    "SELECT c.relname, pg_catalog.pg_get_partkeydef(c.oid)"
    " FROM pg_catalog.pg_partitioned_table pt"
    " JOIN pg_catalog.pg_class c ON c.oid = pt.partrelid"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = :schema"
)
_INHERITANCE = sa.text(
    "SELECT cn.nspname, c.relname, c.relispartition, pn.nspname, p.relname"
    " FROM pg_catalog.pg_inherits i"
    " JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid"
    " JOIN pg_catalog.pg_namespace cn ON cn.oid = c.relnamespace"
    " JOIN pg_catalog.pg_class p ON p.oid = i.inhparent"
    " JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace"
    " WHERE cn.nspname = :schema OR pn.nspname = :schema"
    " ORDER BY c.relname, i.inhseqno"
)
_RULES = sa.text(
    "SELECT c.relname, r.rulename, r.ev_type, r.is_instead"
    " FROM pg_catalog.pg_rewrite r"
    " JOIN pg_catalog.pg_class c ON c.oid = r.ev_class"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') AND r.ev_type IN ('2', '3', '4')"
    " ORDER BY r.rulename"
)


def _postgresql(
    connection: Connection,
    real_schema: str,
    schema: str | None,
    default: str | None,
    tables: Sequence[str],
) -> dict[str, TableExtras]:
    wanted = set(tables)
    bind = {"schema": real_schema}
    options: dict[str, list[tuple[str, str]]] = {}
    for table, key in connection.execute(_PARTITION_KEYS, bind):
        options.setdefault(table, []).append(("postgresql_partition_by", str(key)))
    partitions: dict[str, list[str]] = {}
    inherits: dict[str, list[str]] = {}
    for child_schema, child, is_partition, parent_schema, parent in connection.execute(
        _INHERITANCE, bind
    ):
        if is_partition and parent_schema == real_schema:
            shown = child if child_schema == real_schema else f"{child_schema}.{child}"
            partitions.setdefault(parent, []).append(shown)
        elif not is_partition and child_schema == real_schema:
            shown = parent if parent_schema == real_schema else f"{parent_schema}.{parent}"
            inherits.setdefault(child, []).append(shown)
    rules: dict[str, list[tuple[str, str, bool]]] = {}
    for table, rule, event, instead in connection.execute(_RULES, bind):
        rules.setdefault(table, []).append((rule, _EVENTS.get(str(event), "?"), bool(instead)))
    sequences = column_sequences(connection, real_schema, default)
    result = {}
    for table in sorted(wanted):
        result[table] = TableExtras(
            options=tuple(options.get(table, ())),
            partitions=tuple(sorted(partitions.get(table, ()))),
            inherits=tuple(inherits.get(table, ())),
            rules=tuple(rules.get(table, ())),
            sequences=sequences.get(table, {}),
        )
    return result


# --- MariaDB / MySQL -----------------------------------------------------------------------

_DATABASE_DEFAULTS = sa.text(
    "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME, @@default_storage_engine"
    " FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = COALESCE(:schema, DATABASE())"
)


_COLUMN_DEFAULTS = sa.text(
    "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_DEFAULT FROM information_schema.COLUMNS"
    " WHERE TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND COLUMN_DEFAULT IS NOT NULL"
    " AND COLUMN_DEFAULT <> 'NULL'"
)


def _mysql(
    connection: Connection, inspector: Inspector, schema: str | None, tables: Sequence[str]
) -> dict[str, TableExtras]:
    defaults: dict[str, dict[str, str]] = {}
    for table, column, default in connection.execute(_COLUMN_DEFAULTS, {"schema": schema}):
        defaults.setdefault(str(table), {})[str(column)] = str(default)
    row = connection.execute(_DATABASE_DEFAULTS, {"schema": schema}).first()
    charset, collation, engine = (row[0], row[1], row[2]) if row is not None else (None,) * 3
    reflected = inspector.get_multi_table_options(
        schema=schema, filter_names=list(tables), kind=ObjectKind.TABLE
    )
    result = {}
    for (_, table), found in reflected.items():
        options: list[tuple[str, str]] = []
        table_engine = found.get("mysql_engine")
        if table_engine and str(table_engine).lower() != str(engine or "").lower():
            options.append(("mysql_engine", str(table_engine)))
        table_charset = found.get("mysql_default charset") or found.get("mysql_charset")
        table_collation = found.get("mysql_collate")
        if table_charset and (table_charset, table_collation) != (charset, collation):
            options.append(("mysql_charset", str(table_charset)))
            if table_collation:
                options.append(("mysql_collate", str(table_collation)))
        partition_by = found.get("mysql_partition_by")
        left_out = ""
        if partition_by and (
            found.get("mysql_partition_definitions") or found.get("mysql_subpartition_by")
        ):
            left_out = str(partition_by)  # SQLAlchemy reflects definitions it cannot render
        elif partition_by:
            options.append(("mysql_partition_by", str(partition_by)))
            if found.get("mysql_partitions"):
                options.append(("mysql_partitions", str(found["mysql_partitions"])))
        result[table] = TableExtras(
            options=tuple(options),
            partitioning_left_out=left_out,
            catalog_defaults=defaults.get(table, {}),
        )
    return result


# --- warnings ------------------------------------------------------------------------------

_EXTENSIONS = sa.text(
    "SELECT extname FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql' ORDER BY extname"
)


def extension_notes(connection: Connection) -> list[Diagnostic]:
    """PostgreSQL extensions the database has: types, operator classes and index methods the
    models use may come from one (a gist index on an integer needs btree_gist), and neither the
    models nor their migrations create extensions, so `create_all` on a new database fails
    until they exist. One warning naming them, so that is found before, not after."""
    if connection.dialect.name != "postgresql":
        return []
    names = [str(row[0]) for row in connection.execute(_EXTENSIONS)]
    if not names:
        return []
    return [
        Diagnostic(
            where="database",
            message=f"extensions {', '.join(names)} are installed: the models do not create"
            " them; run CREATE EXTENSION on a new database (or in a migration) before"
            " create_all or upgrade",
        )
    ]


def table_notes(where: str, extras: TableExtras) -> list[Diagnostic]:
    """The warnings a table's extras call for: what its model does not carry."""
    notes = []
    if extras.partitions:
        key = dict(extras.options).get("postgresql_partition_by", "")
        notes.append(
            Diagnostic(
                where=where,
                message=f"partitioned table (PARTITION BY {key}): the model carries"
                f" postgresql_partition_by; its partitions {', '.join(extras.partitions)}"
                " are not modelled and left out (create them with a migration)",
            )
        )
    if extras.partitioning_left_out:
        notes.append(
            Diagnostic(
                where=where,
                message=f"partitioned table (PARTITION BY {extras.partitioning_left_out}) with"
                " partition definitions SQLAlchemy cannot spell: the model leaves the"
                " partitioning out (create_all makes an unpartitioned table; partition it with"
                " a migration)",
            )
        )
    if extras.inherits:
        notes.append(
            Diagnostic(
                where=where,
                message=f"inherits from {', '.join(extras.inherits)} (INHERITS): the model does"
                " not carry the inheritance; create_all makes a plain table with its own copy"
                " of the columns",
            )
        )
    if extras.rules:
        shown = ", ".join(
            f"{rule} (ON {event} DO {'INSTEAD' if instead else 'ALSO'})"
            for rule, event, instead in extras.rules
        )
        refused = [
            f"{event} ... RETURNING"
            for event in ("INSERT", "UPDATE", "DELETE")
            if any(e == event and instead for _, e, instead in extras.rules)
        ]
        if any(event in ("INSERT", "UPDATE") for _, event, _ in extras.rules):
            refused.append("INSERT ... ON CONFLICT")
        effect = (
            f": PostgreSQL can refuse {', '.join(refused)} on this table, so the generated write"
            " methods that need them raise UnsupportedWriteError"
            if refused
            else ""
        )
        notes.append(
            Diagnostic(
                where=where,
                message=f"rules {shown} rewrite writes to this table{effect};"
                " the rules are not in the model",
            )
        )
    return notes
