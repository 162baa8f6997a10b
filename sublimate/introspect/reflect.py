"""Reading the selected tables and views into `RawTable`s, with the Inspector's bulk calls.

One `get_multi_*` call per kind of object and schema (one query each on PostgreSQL; the other
dialects loop inside SQLAlchemy). What SQLAlchemy warns about while reading (a type it does not
know, an index it skips) becomes a diagnostic, or for an unknown type the name the database
reported, kept for the type mapping. On SQLite, tables whose DDL is unchanged since the last run
come from the `reflection_cache` instead.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Inspector
from sqlalchemy.engine.reflection import ObjectKind

from sublimate.introspect import IntrospectError
from sublimate.introspect.connect import driver_message, source_name
from sublimate.introspect.indexes import read_indexes
from sublimate.introspect.pg_domains import restore_domain_types
from sublimate.introspect.raw import RawTable
from sublimate.introspect.reflection_cache import ReflectionCache
from sublimate.introspect.selection import schemas_to_read, selected_names
from sublimate.introspect.table_options import extension_notes, read_extras
from sublimate.ir import Diagnostic

_UNKNOWN_TYPE = re.compile(
    r"Did not recognize type '(?P<type>[^']*)' of column '(?P<column>[^']*)'"
)
_SKIPPED_INDEX = re.compile(r"index '(?P<index>[^']*)'")

_ByTable = dict[tuple[str | None, str], Any]  # what a get_multi_* call returns


def reflect(
    connection: Connection,
    *,
    schemas: Sequence[str] = (),
    tables: Sequence[str] = (),
    exclude: Sequence[str] = (),
    use_cache: bool = False,
) -> tuple[list[RawTable], list[Diagnostic]]:
    """Every table and view of `schemas` (filtered), with bulk Inspector calls per schema."""
    inspector = sa.inspect(connection)
    default = inspector.default_schema_name
    source = source_name(connection.engine.url)
    diagnostics: list[Diagnostic] = []
    result: list[RawTable] = []
    for schema in schemas_to_read(inspector, schemas, source):
        selected = selected_names(connection, inspector, schema, default, tables, exclude)
        found = _reflect_schema(
            connection, inspector, schema, default, selected, diagnostics, use_cache
        )
        result.extend(found)
    diagnostics.extend(extension_notes(connection))
    if not result:
        scope = f"schema {', '.join(schemas)}" if schemas else "the default schema"
        wanted = f" matching {', '.join(tables)}" if tables else ""
        raise IntrospectError(
            f"no tables or views{wanted} in {scope} of {source}:"
            " nothing to generate (check the URL's database, --schema, --tables and --exclude)"
        )
    return result, diagnostics


def _reflect_schema(
    connection: Connection,
    inspector: Inspector,
    schema: str | None,
    default: str | None,
    selected: tuple[set[str], set[str]],
    diagnostics: list[Diagnostic],
    use_cache: bool,
) -> list[RawTable]:
    """The selected tables and views of one schema: from the cache where still valid, else read
    (and kept in the cache when reading raised no warning, so that the warning shows again)."""
    table_names, view_names = selected
    everything = sorted(table_names | view_names)
    if not everything:
        return []
    cache = ReflectionCache.open(connection, schema) if use_cache else None
    reused = cache.fresh(everything) if cache is not None else {}
    warned = len(diagnostics)
    read = _read(
        connection,
        inspector,
        schema,
        default,
        [n for n in everything if n not in reused],
        view_names,
        diagnostics,
    )
    if cache is not None and len(diagnostics) == warned:
        cache.store(read)
    return sorted([*read, *reused.values()], key=lambda table: table.name)


@dataclass(frozen=True, slots=True)
class _Bulk:
    """The answers of the bulk Inspector calls for one schema, keyed by (schema, name)."""

    columns: _ByTable
    pks: _ByTable
    fks: _ByTable
    indexes: _ByTable
    uniques: _ByTable
    checks: _ByTable
    comments: _ByTable


def _read(
    connection: Connection,
    inspector: Inspector,
    schema: str | None,
    default: str | None,
    names: list[str],
    view_names: set[str],
    diagnostics: list[Diagnostic],
) -> list[RawTable]:
    """The tables and views `names` of `schema`, one bulk Inspector call per kind of object."""
    if connection.dialect.name == "sqlite":
        names = _readable(inspector, schema, names, view_names, diagnostics)
    if not names:
        return []
    only_tables = [n for n in names if n not in view_names]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", sa_exc.SAWarning)
        bulk = _bulk_read(connection, inspector, schema, default, names, only_tables, diagnostics)
    unknown = _unknown_types(caught, schema, diagnostics)
    for fks_of_table in bulk.fks.values():
        for fk in fks_of_table:  # the default schema is None here, as in the table keys
            if fk.get("referred_schema") == default:
                fk["referred_schema"] = None
    if connection.dialect.name == "postgresql":  # a domain's base type, whole
        every = [c for cols in bulk.columns.values() for c in cols]
        restore_domain_types(connection, every, schema or default or "", diagnostics)
    result = [
        _raw_table(schema, name, name in view_names, cols, bulk, unknown)
        for (_, name), cols in sorted(bulk.columns.items(), key=lambda item: item[0][1])
    ]
    extras = read_extras(connection, inspector, schema, default, only_tables)
    for table in result:
        table.extras = extras.get(table.name, table.extras)
    return result


def _bulk_read(
    connection: Connection,
    inspector: Inspector,
    schema: str | None,
    default: str | None,
    names: list[str],
    only_tables: list[str],
    diagnostics: list[Diagnostic],
) -> _Bulk:
    columns = inspector.get_multi_columns(schema=schema, filter_names=names, kind=ObjectKind.ANY)
    pks = _multi(inspector.get_multi_pk_constraint, schema, only_tables)
    fks = _multi(inspector.get_multi_foreign_keys, schema, only_tables)
    indexes, uniques = read_indexes(
        connection, inspector, schema, default, names, only_tables, diagnostics
    )
    checks = _multi(inspector.get_multi_check_constraints, schema, only_tables)
    comments = _multi(inspector.get_multi_table_comment, schema, names, ObjectKind.ANY)
    return _Bulk(
        columns=columns,
        pks=pks,
        fks=fks,
        indexes=indexes,
        uniques=uniques,
        checks=checks,
        comments=comments,
    )


def _unknown_types(
    caught: list[warnings.WarningMessage], schema: str | None, diagnostics: list[Diagnostic]
) -> dict[str, str]:
    """column -> the type name the database reported, for each type SQLAlchemy did not know;
    every other warning becomes a diagnostic."""
    unknown: dict[str, str] = {}
    for warning in caught:
        text = " ".join(str(warning.message).split())
        found = _UNKNOWN_TYPE.search(text)
        if found:
            unknown[found["column"]] = found["type"]
            continue
        index = _SKIPPED_INDEX.search(text)
        where = index["index"] if index else "(reflection)"
        message = f"SQLAlchemy could not read everything: {text}; left out of the model"
        where = f"{schema}.{where}" if schema else where
        diagnostics.append(Diagnostic(where=where, message=message))
    return unknown


def _raw_table(
    schema: str | None,
    name: str,
    is_view: bool,
    cols: list[dict[str, Any]],
    bulk: _Bulk,
    unknown: dict[str, str],
) -> RawTable:
    key = (schema, name)
    comment = bulk.comments.get(key)
    return RawTable(
        schema=schema,
        name=name,
        is_view=is_view,
        columns=[dict(c) for c in cols],
        primary_key=list((bulk.pks.get(key) or {}).get("constrained_columns") or []),
        foreign_keys=list(bulk.fks.get(key) or []),
        unique_constraints=list(bulk.uniques.get(key) or []),
        indexes=list(bulk.indexes.get(key) or []),
        checks=list(bulk.checks.get(key) or []),
        comment=comment.get("text") if isinstance(comment, dict) else None,
        unknown_types={c["name"]: unknown[c["name"]] for c in cols if c["name"] in unknown},
    )


def _readable(
    inspector: Inspector,
    schema: str | None,
    names: list[str],
    view_names: set[str],
    diagnostics: list[Diagnostic],
) -> list[str]:
    """`names` without the SQLite views that cannot be read, each left out with a warning.

    SQLite lets a table be dropped or renamed under a view; reading that view's columns then
    fails with "no such table", which names the table but not the view. Other databases refuse
    to leave a view dangling.
    """
    broken: set[str] = set()
    for name in names:
        if name not in view_names:
            continue
        try:
            inspector.get_columns(name, schema)
        except sa_exc.OperationalError as error:
            broken.add(name)
            where = f"{schema}.{name}" if schema else name
            message = f"view cannot be read ({driver_message(error)}): left out"
            diagnostics.append(Diagnostic(where=where, message=message))
    return [n for n in names if n not in broken]


def _multi(
    method: Callable[..., _ByTable],
    schema: str | None,
    names: list[str],
    kind: ObjectKind = ObjectKind.TABLE,
) -> _ByTable:
    """One bulk Inspector call; {} where the dialect cannot reflect that kind of object."""
    if not names:
        return {}
    try:
        return method(schema=schema, filter_names=names, kind=kind)
    except NotImplementedError:  # e.g. comments on SQLite
        return {}
