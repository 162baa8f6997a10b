"""PostgreSQL: which sequence a column's `nextval(...)` default draws from, and whose it is.

A column whose default is `nextval('some_seq'::regclass)` can only be created again when the
sequence exists first. SQLAlchemy creates it (before the table, in `create_all` and in Alembic's
`create_table`) when the column carries `sa.Sequence(name)`; the `server_default` text stays, so
the recreated column has the same DDL default. The Inspector reports the default's text but not
the sequence behind it, so it is read here from the catalog, in one query per schema:
`pg_depend` records the default expression's dependency on the sequence (whatever spelling the
text has), and a SERIAL's sequence is *owned* by its column (an automatic dependency).

Only one case keeps today's spelling without `sa.Sequence`: a single integer primary key whose
sequence is owned by it, used by no other column of the schema, and named as PostgreSQL names a
SERIAL's (`<table>_<column>_seq`, in the table's schema). `autoincrement` recreates exactly that
sequence, as in hand-written models. A SERIAL inside a composite key, a sequence shared between
columns (an INHERITS child's copy of its parent's default) or created on its own, or a serial
renamed since, gets `sa.Sequence(name, schema=...)`: its ownership (`OWNED BY`) is not carried.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = ["SequenceRef", "column_sequences", "is_plain_serial"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SequenceRef:
    """The sequence a column's default calls `nextval` on."""

    schema: str | None  # None: the connection's default schema
    name: str
    owned: bool  # owned by this column (SERIAL, or ALTER SEQUENCE ... OWNED BY)
    shared: bool = False  # other columns of the schema draw from it too


_QUERY = sa.text(
    "SELECT t.relname, a.attname, sn.nspname, s.relname,"
    " EXISTS (SELECT 1 FROM pg_catalog.pg_depend o"
    "  WHERE o.classid = 'pg_catalog.pg_class'::regclass AND o.objid = s.oid"
    "  AND o.refclassid = 'pg_catalog.pg_class'::regclass AND o.refobjid = t.oid"
    "  AND o.refobjsubid = a.attnum AND o.deptype = 'a')"
    " FROM pg_catalog.pg_attrdef ad"
    " JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_attrdef'::regclass"
    "  AND d.objid = ad.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass"
    " JOIN pg_catalog.pg_class s ON s.oid = d.refobjid AND s.relkind = 'S'"
    " JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace"
    " JOIN pg_catalog.pg_class t ON t.oid = ad.adrelid"
    " JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace"
    " JOIN pg_catalog.pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum"
    " WHERE tn.nspname = :schema"
)


def column_sequences(
    connection: Connection, schema: str, default: str | None
) -> dict[str, dict[str, SequenceRef]]:
    """table -> column -> the sequence its default draws from, for the tables of `schema`.

    `default` is the connection's default schema: a sequence there gets `schema=None`, as the
    tables do in the IR. Other dialects have no sequences behind defaults: {}.
    """
    if connection.dialect.name != "postgresql":
        return {}
    rows = list(connection.execute(_QUERY, {"schema": schema}))
    users: dict[tuple[str, str], int] = {}
    for _, _, sequence_schema, name, _ in rows:
        users[(sequence_schema, name)] = users.get((sequence_schema, name), 0) + 1
    result: dict[str, dict[str, SequenceRef]] = {}
    for table, column, sequence_schema, name, owned in rows:
        result.setdefault(table, {})[column] = SequenceRef(
            schema=None if sequence_schema == default else sequence_schema,
            name=name,
            owned=bool(owned),
            shared=users[(sequence_schema, name)] > 1,
        )
    return result


def is_plain_serial(ref: SequenceRef, table_schema: str | None, table: str, column: str) -> bool:
    """Whether `autoincrement` would recreate this very sequence: owned by the column, in the
    table's schema, named as PostgreSQL names a SERIAL's sequence, and used by no other column
    (an INHERITS child copies its parent's default): a shared sequence is created once, on its
    own, by every model that uses it, or SERIAL would name its own `..._seq1` beside it."""
    return (
        ref.owned
        and not ref.shared
        and ref.schema == table_schema
        and ref.name == f"{table}_{column}_seq"
    )
