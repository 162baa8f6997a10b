"""Live database -> IR: the front end for `--url`.

`build_schema_from_url(url, package="app.db")` connects with SQLAlchemy, reads every table and
view of the requested schemas through the Inspector's bulk `get_multi_*` calls, and builds the
same IR as the declarative-models front end. Each step has a module of its own:

- `connect`: the URL, the engine and the connection, and the one-line errors when they fail
  (bad URL, driver missing, server down, bad credentials);
- `selection`: which schemas, tables and views are read (`--schema`, `--tables`, `--exclude`;
  never Alembic's version table or a PostgreSQL partition);
- `reflect`: reading them into `raw.RawTable`s (reused from `reflection_cache` on SQLite where
  the DDL is unchanged); table options, INHERITS and rules: `table_options`; indexes: `indexes`;
- `build`: `RawTable`s -> `Schema`, with `class_names` (models' class and attribute names),
  `columns` (types and defaults; sequences: `sequences`), `unique_keys` and `relations`
  (foreign keys, one-to-many, one-to-one and many-to-many relationships).

What the database says is hostile input: every identifier comes from `naming`, every text that
reaches generated code is printed later through `naming.literal` / `naming.comment_text`.
The choices made for what has no direct model equivalent are in the README ("Generating from a
live database") and in the docstring of the module that makes each of them.
"""

from __future__ import annotations

from collections.abc import Sequence

from sublimate import redact
from sublimate.introspect.build import schema_from_tables
from sublimate.introspect.check_sql import check_values
from sublimate.introspect.connect import connected, make_engine, source_name
from sublimate.introspect.reflect import reflect
from sublimate.ir import Schema

__all__ = ["build_schema_from_url", "check_values"]


def build_schema_from_url(
    url: str,
    *,
    package: str,
    schemas: Sequence[str] = (),
    tables: Sequence[str] = (),
    exclude: Sequence[str] = (),
    use_cache: bool = True,
) -> Schema:
    """The IR of the tables and views of a live database (see the module docstring).

    `schemas`: the schemas to read (default: the connection's default schema). `tables` and
    `exclude`: names or glob patterns (`audit_*`), matched against `table` and `schema.table`.
    `use_cache`: reuse what an earlier run reflected where the DDL is unchanged (SQLite only,
    see `reflection_cache`).
    """
    redact.remember(url)  # a driver's message may echo the connection string: scrubbed
    engine = make_engine(url)
    try:
        with connected(engine) as connection:
            raw, diagnostics = reflect(
                connection, schemas=schemas, tables=tables, exclude=exclude, use_cache=use_cache
            )
            dialect = connection.dialect
    finally:
        engine.dispose()
    return schema_from_tables(
        raw,
        dialect=dialect,
        package=package,
        source=source_name(engine.url),
        diagnostics=diagnostics,
    )
