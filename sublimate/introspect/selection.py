"""Which schemas, tables and views a run reads: `--schema`, `--tables`, `--exclude`.

Left out whatever the options say, and besides: Alembic's version table (the migrations'
bookkeeping, never a model's table) and PostgreSQL partitions (the partitioned parent is
generated, with its `postgresql_partition_by`).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Inspector

from sublimate.introspect import IntrospectError

# Alembic's version table, as the generated env.py names it (sublimate_runtime.migrations
# .VERSION_TABLE, not imported: the runtime module needs alembic). Never a model's table.
VERSION_TABLE = "alembic_version"


def schemas_to_read(inspector: Inspector, schemas: Sequence[str], source: str) -> list[str | None]:
    """The schemas asked for, in order, once each (None: the default schema); an error naming
    the schemas that exist when one does not."""
    default = inspector.default_schema_name
    known = inspector.get_schema_names()
    missing = [name for name in schemas if name not in known and name != default]
    if missing:
        listed = ", ".join(sorted(known))
        raise IntrospectError(
            f"schema {missing[0]!r} not found in {source} (it has: {listed}); check --schema"
        )
    asked: list[str | None] = list(dict.fromkeys(schemas))
    return [None if schema == default else schema for schema in asked or [default]]


def selected_names(
    connection: Connection,
    inspector: Inspector,
    schema: str | None,
    default: str | None,
    tables: Sequence[str],
    exclude: Sequence[str],
) -> tuple[set[str], set[str]]:
    """The tables and the views of `schema` that `tables` and `exclude` let through."""
    table_names = set(inspector.get_table_names(schema))
    view_names = set(inspector.get_view_names(schema))
    if connection.dialect.name == "postgresql":
        view_names |= set(inspector.get_materialized_view_names(schema))
        table_names -= _partitions(connection, schema or default or "")
    if schema is None or schema == default:
        table_names.discard(VERSION_TABLE)  # the migrations' bookkeeping, not the app's data

    def wanted(name: str) -> bool:
        if tables and not _matches(tables, schema, name):
            return False
        return not _matches(exclude, schema, name)

    return {n for n in table_names if wanted(n)}, {n for n in view_names if wanted(n)}


def _matches(patterns: Sequence[str], schema: str | None, name: str) -> bool:
    candidates = (name, f"{schema}.{name}") if schema else (name,)
    return any(fnmatch.fnmatchcase(c, p) for c in candidates for p in patterns)


def _partitions(connection: Connection, schema: str) -> set[str]:
    rows = connection.execute(
        sa.text(
            "SELECT c.relname FROM pg_catalog.pg_class c"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relispartition AND n.nspname = :schema"
        ),
        {"schema": schema},
    )
    return {row[0] for row in rows}
