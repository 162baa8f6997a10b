"""Live database -> IR: the front end for `--url`.

`build_schema_from_url(url, package="app.db")` connects with SQLAlchemy, reads every table and
view of the requested schemas through the Inspector's bulk `get_multi_*` calls (one query per kind
of object on PostgreSQL; the other dialects loop inside SQLAlchemy), and builds the same IR as the
declarative-models front end. The models themselves do not exist yet: they are generated into
`<package>.models`, so each `Entity.model_import` is the relative `("..models.<module>", Class)`
that the repositories and services import, and `Schema.metadata_import` is the absolute
`("<package>.models", "Base")` that Alembic's env.py imports.

What the database says is hostile input: every identifier comes from `naming`, every text that
reaches generated code is printed later through `naming.literal` / `naming.comment_text`.

Choices (README, "Generating from a live database"):
- a view, or a table without a primary key, is read-only (`writable=False`, no write methods) and
  warned about; its model still needs a mapper key (see `sublimate.model_views.mapper_key`);
- a table made only of two foreign keys to two different tables is an association table
  (`EntityKind.ASSOCIATION`): both ends get a many-to-many relationship through it; with more
  columns it is an ordinary entity (an association object) with a relationship to each end;
- PostgreSQL partitions are left out (the partitioned parent is generated, with its
  `postgresql_partition_by`); table options, INHERITS and rules: see `table_options`;
- a SQLite view that cannot be read (its table was dropped under it) is left out, with a warning;
- indexes keep their method, options and order, and SQLite's inline UNIQUE columns are unique
  keys (see `indexes`); a SQLite expression default gets back its parentheses (`sqlite_sql`);
- a foreign key to a table that is not generated (excluded, or in a schema not read) is kept in
  the IR but not in the model, with a warning;
- a plain SERIAL key's `nextval(...)` default is not a server default (a SERIAL is recreated
  from `autoincrement`), as in hand-written models; any other `nextval(...)` default keeps its
  text and gets `sa.Sequence` (see `sequences`).
Failures to read at all (bad URL, driver missing, server down, bad credentials, unknown schema,
nothing to generate) raise `IntrospectError` with one line that says what to do.
"""

from __future__ import annotations

import fnmatch
import os
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Dialect, Engine, Inspector
from sqlalchemy.engine.reflection import ObjectKind
from sqlalchemy.pool import NullPool

from sublimate import naming, redact
from sublimate.introspect import IntrospectError
from sublimate.introspect.indexes import (
    carries_options,
    index_from_reflected,
    index_warnings,
    read_indexes,
    unique_key_options,
)
from sublimate.introspect.pg_domains import restore_domain_types
from sublimate.introspect.reflected_types import reflected_column_type
from sublimate.introspect.reflection_cache import ReflectionCache
from sublimate.introspect.sequences import is_plain_serial
from sublimate.introspect.sqlite_sql import default_sql
from sublimate.introspect.table_options import (
    TableExtras,
    extension_notes,
    read_extras,
    table_notes,
)
from sublimate.ir import (
    Check,
    Column,
    Diagnostic,
    Entity,
    EntityKind,
    ForeignKey,
    Index,
    Relation,
    RelationKind,
    Schema,
    UniqueKey,
)

__all__ = ["MODEL_RESERVED_ATTRS", "RawTable", "build_schema_from_url", "schema_from_tables"]

# Alembic's version table, as the generated env.py names it (sublimate_runtime.migrations
# .VERSION_TABLE, not imported: the runtime module needs alembic). Never a model's table.
VERSION_TABLE = "alembic_version"

# Names a generated model's attributes must not take, besides `naming.RESERVED_ATTRS`: what its
# class body uses after them (`sa.Integer()`, `Mapped[datetime.datetime]`, `Mapped[int]`), and
# `self` (the declarative constructor is `__init__(self, **kwargs)`).
MODEL_RESERVED_ATTRS = naming.RESERVED_ATTRS | frozenset(
    {
        "sa", "Mapped", "mapped_column", "relationship", "TYPE_CHECKING", "annotations",
        "datetime", "decimal", "uuid", "typing", "Any", "Literal", "Range", "postgresql",
        "mysql", "sqlite", "int", "str", "float", "bool", "bytes", "list", "dict", "set",
        "tuple", "object", "frozenset", "None", "self",
    }
)  # fmt: skip
MODEL_RESERVED_CLASSES = naming.RESERVED_CLASSES | frozenset({"ViewBase", "Range", "TypeAlias"})

_SYNC_DRIVERS = {
    "asyncpg": "psycopg",
    "psycopg_async": "psycopg",
    "aiomysql": "pymysql",
    "asyncmy": "pymysql",
    "aiosqlite": "pysqlite",
}
_PIP_NAMES = {
    "psycopg": "psycopg[binary]",
    "psycopg2": "psycopg2-binary",
    "MySQLdb": "mysqlclient",
    "pymysql": "pymysql",
    "mariadb": "mariadb",
    "pyodbc": "pyodbc",
    "oracledb": "oracledb",
}
_TIMEOUT_ARG = {name: "connect_timeout" for name in ("psycopg", "psycopg2", "pymysql")}
_UNKNOWN_TYPE = re.compile(
    r"Did not recognize type '(?P<type>[^']*)' of column '(?P<column>[^']*)'"
)
_SKIPPED_INDEX = re.compile(r"index '(?P<index>[^']*)'")


@dataclass(slots=True, kw_only=True)
class RawTable:
    """What the Inspector reported for one table or view (plain dicts, as SQLAlchemy gives them)."""

    schema: str | None  # None: the database's default schema
    name: str
    is_view: bool
    columns: list[dict[str, Any]]
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[dict[str, Any]] = field(default_factory=list)
    unique_constraints: list[dict[str, Any]] = field(default_factory=list)
    indexes: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    comment: str | None = None
    unknown_types: dict[str, str] = field(default_factory=dict)  # column -> reported type name
    extras: TableExtras = field(default_factory=TableExtras)  # options, sequences, rules, ...

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


# --- connecting ----------------------------------------------------------------------------


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
    engine = _engine(url)
    try:
        with _connected(engine) as connection:
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
        source=_source(engine.url),
        diagnostics=diagnostics,
    )


def _safe(url: sa.URL) -> str:
    """The URL for messages: password and secret query parameters masked (`redact`)."""
    return redact.mask_url(url)


def _source(url: sa.URL) -> str:
    """A stable description of the database, without host, user or password."""
    database = url.database or ""
    if url.get_backend_name() == "sqlite":
        database = os.path.basename(database) or "memory"
    return f"{url.get_backend_name()}:{database}"


def _engine(url_text: str) -> Engine:
    try:
        url = sa.make_url(url_text)
    except (sa_exc.ArgumentError, ValueError) as error:
        raise IntrospectError(
            "invalid database URL: expected dialect+driver://user:password@host:port/database,"
            " e.g. postgresql+psycopg://app@localhost/app"
        ) from error
    try:
        driver = url.get_driver_name()
    except sa_exc.NoSuchModuleError as error:
        raise IntrospectError(
            f"unknown database dialect or driver {url.drivername!r} in the URL"
            " (e.g. postgresql+psycopg, mysql+pymysql, sqlite)"
        ) from error
    if driver in _SYNC_DRIVERS:  # introspection is synchronous; the generated code is not
        url = url.set(drivername=f"{url.get_backend_name()}+{_SYNC_DRIVERS[driver]}")
    if url.get_backend_name() == "sqlite":
        path = url.database or ""
        if path in ("", ":memory:") or path.startswith("file:"):
            if not path.startswith("file:"):
                raise IntrospectError("an in-memory SQLite database is empty: give a file path")
        elif not os.path.isfile(path):
            raise IntrospectError(f"SQLite database file not found: {path}")
    connect_args: dict[str, Any] = {}
    if url.get_driver_name() in _TIMEOUT_ARG:
        connect_args[_TIMEOUT_ARG[url.get_driver_name()]] = 10
    try:
        return sa.create_engine(url, poolclass=NullPool, connect_args=connect_args)
    except sa_exc.NoSuchModuleError as error:
        raise IntrospectError(
            f"unknown database dialect or driver {url.drivername!r} in the URL"
            " (e.g. postgresql+psycopg, mysql+pymysql, sqlite)"
        ) from error
    except ImportError as error:
        missing = error.name or str(error)
        package = _PIP_NAMES.get(missing, missing)
        raise IntrospectError(
            f"database driver {missing!r} for {url.drivername} is not installed:"
            f" pip install {package!r} (or name another driver in the URL)"
        ) from error


@contextmanager
def _connected(engine: Engine) -> Iterator[Connection]:
    try:
        connection = engine.connect()
    except sa_exc.DBAPIError as error:
        message = _driver_message(error)
        raise IntrospectError(
            f"cannot connect to {_safe(engine.url)}: {message} ({_hint(message)})"
        ) from error
    except TypeError as error:  # pymysql: a URL query parameter it has no argument for
        message = " ".join(redact.scrub(str(error)).split())[:300]
        raise IntrospectError(
            f"cannot connect to {_safe(engine.url)}: the driver refused a URL parameter:"
            f" {message} ({_hint(message)})"
        ) from error
    try:
        yield connection
    except sa_exc.SQLAlchemyError as error:
        message = _driver_message(error)
        raise IntrospectError(f"reading {_safe(engine.url)} failed: {message}") from error
    finally:
        connection.close()


def _driver_message(error: sa_exc.SQLAlchemyError) -> str:
    """The driver's own words, on one line, without the secrets of the URL (libpq may echo
    the connection string)."""
    orig = getattr(error, "orig", None)
    text = str(orig) if orig is not None else str(error)
    if orig is not None and len(orig.args) == 2 and isinstance(orig.args[1], str):
        text = orig.args[1]  # pymysql: (code, message)
    return " ".join(redact.scrub(text).split())[:300]


def _hint(message: str) -> str:
    lowered = message.lower()
    if "invalid connection option" in lowered or "unexpected keyword argument" in lowered:
        return "check the query parameters of the URL: the driver does not take that one"
    if "password" in lowered or "access denied" in lowered or "role" in lowered:
        return "check the user and password in the URL"
    if "database" in lowered and ("not exist" in lowered or "unknown" in lowered):
        return "check the database name in the URL"
    return "check that the server is running and the URL's host and port"


# --- reading -------------------------------------------------------------------------------


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
    known = inspector.get_schema_names()
    missing = [name for name in schemas if name not in known and name != default]
    default_schemas: list[str | None] = [default]
    if missing:
        listed = ", ".join(sorted(known))
        raise IntrospectError(
            f"schema {missing[0]!r} not found in {_source(connection.engine.url)}"
            f" (it has: {listed}); check --schema"
        )
    diagnostics: list[Diagnostic] = []
    result: list[RawTable] = []
    for schema in list(dict.fromkeys(schemas)) or default_schemas:
        key = None if schema == default else schema
        result.extend(
            _reflect_schema(
                connection, inspector, key, default, tables, exclude, diagnostics, use_cache
            )
        )
    diagnostics.extend(extension_notes(connection))
    if not result:
        scope = f"schema {', '.join(schemas)}" if schemas else "the default schema"
        wanted = f" matching {', '.join(tables)}" if tables else ""
        raise IntrospectError(
            f"no tables or views{wanted} in {scope} of {_source(connection.engine.url)}:"
            " nothing to generate (check the URL's database, --schema, --tables and --exclude)"
        )
    return result, diagnostics


def _matches(patterns: Sequence[str], schema: str | None, name: str) -> bool:
    candidates = (name, f"{schema}.{name}") if schema else (name,)
    return any(fnmatch.fnmatchcase(c, p) for c in candidates for p in patterns)


def _reflect_schema(
    connection: Connection,
    inspector: Inspector,
    schema: str | None,
    default: str | None,
    tables: Sequence[str],
    exclude: Sequence[str],
    diagnostics: list[Diagnostic],
    use_cache: bool,
) -> list[RawTable]:
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

    table_names = {n for n in table_names if wanted(n)}
    view_names = {n for n in view_names if wanted(n)}
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
        columns = inspector.get_multi_columns(
            schema=schema, filter_names=names, kind=ObjectKind.ANY
        )
        pks = _multi(inspector.get_multi_pk_constraint, schema, only_tables)
        fks = _multi(inspector.get_multi_foreign_keys, schema, only_tables)
        indexes, uniques = read_indexes(
            connection, inspector, schema, default, names, only_tables, diagnostics
        )
        checks = _multi(inspector.get_multi_check_constraints, schema, only_tables)
        comments = _multi(inspector.get_multi_table_comment, schema, names, ObjectKind.ANY)
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
    for fks_of_table in fks.values():
        for fk in fks_of_table:  # the default schema is None here, as in the table keys
            if fk.get("referred_schema") == default:
                fk["referred_schema"] = None
    if connection.dialect.name == "postgresql":  # a domain's base type, whole
        every = [c for cols in columns.values() for c in cols]
        restore_domain_types(connection, every, schema or default or "", diagnostics)
    result = []
    for (_, name), cols in sorted(columns.items(), key=lambda item: item[0][1]):
        key = (schema, name)
        comment = comments.get(key)
        result.append(
            RawTable(
                schema=schema,
                name=name,
                is_view=name in view_names,
                columns=[dict(c) for c in cols],
                primary_key=list((pks.get(key) or {}).get("constrained_columns") or []),
                foreign_keys=list(fks.get(key) or []),
                unique_constraints=list(uniques.get(key) or []),
                indexes=list(indexes.get(key) or []),
                checks=list(checks.get(key) or []),
                comment=comment.get("text") if isinstance(comment, dict) else None,
                unknown_types={c["name"]: unknown[c["name"]] for c in cols if c["name"] in unknown},
            )
        )
    extras = read_extras(connection, inspector, schema, default, only_tables)
    for table in result:
        table.extras = extras.get(table.name, table.extras)
    return result


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
            message = f"view cannot be read ({_driver_message(error)}): left out"
            diagnostics.append(Diagnostic(where=where, message=message))
    return [n for n in names if n not in broken]


def _multi(
    method: Callable[..., dict[tuple[str | None, str], Any]],
    schema: str | None,
    names: list[str],
    kind: ObjectKind = ObjectKind.TABLE,
) -> dict[tuple[str | None, str], Any]:
    """One bulk Inspector call; {} where the dialect cannot reflect that kind of object."""
    if not names:
        return {}
    try:
        return method(schema=schema, filter_names=names, kind=kind)
    except NotImplementedError:  # e.g. comments on SQLite
        return {}


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


# --- building the IR -----------------------------------------------------------------------


@dataclass(slots=True)
class _Built:
    raw: RawTable
    name: str  # class name
    attrs: dict[str, str]  # sql column name -> attr
    scope: naming.Scope  # the class body's names (columns, then relationships)
    columns: tuple[Column, ...] = ()
    kind: EntityKind = EntityKind.TABLE
    relations: list[Relation] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)


def schema_from_tables(
    tables: Sequence[RawTable],
    *,
    dialect: Dialect,
    package: str,
    source: str,
    diagnostics: Sequence[Diagnostic] = (),
) -> Schema:
    """The IR of reflected tables: names allocated in a fixed order, entities sorted by name."""
    ordered = sorted(tables, key=lambda t: (t.schema is not None, t.schema or "", t.name))
    notes = list(diagnostics)
    built = _allocate_classes(ordered)
    by_table = {(b.raw.schema, b.raw.name): b for b in built}
    for each in built:
        each.columns = _columns(each, dialect, notes)
        if each.raw.is_view:
            each.kind = EntityKind.VIEW
            notes.append(
                Diagnostic(
                    where=each.raw.qualified,
                    message="view: read-only repository (no write methods); see the README for"
                    " how its model is keyed",
                )
            )
        elif not each.raw.primary_key:
            notes.append(
                Diagnostic(
                    where=each.raw.qualified,
                    message="no primary key: read-only repository (no get or write methods);"
                    " see the README for how its model is keyed",
                )
            )
        notes.extend(table_notes(each.raw.qualified, each.raw.extras))
        unique_names = {u.get("name") for u in each.raw.unique_constraints}
        for index in each.raw.indexes:
            for message in index_warnings(index, dialect.name, unique_names):
                notes.append(
                    Diagnostic(where=f"{each.raw.qualified}.{index.get('name')}", message=message)
                )
    for each in built:
        each.foreign_keys = _foreign_keys(each, by_table, notes)
        if _is_association(each, by_table):
            each.kind = EntityKind.ASSOCIATION
    _relations(built, by_table)
    modules = naming.Scope()
    classes = naming.Scope(taken=(b.name for b in built), reserved=MODEL_RESERVED_CLASSES)
    entities = [_entity(b, modules, classes, package, dialect.name) for b in built]
    return Schema(
        source=source,
        metadata_import=(f"{package}.models" if package else "models", "Base"),
        metadata_expr="Base.metadata",
        entities=tuple(sorted(entities, key=lambda e: e.name)),
        enums=(),
        diagnostics=tuple(sorted(set(notes), key=lambda d: (d.where, d.message))),
    )


def _allocate_classes(ordered: Sequence[RawTable]) -> list[_Built]:
    """Class names: the table's, singular; prefixed with the schema when two schemas share it."""
    wanted = {(t.schema, t.name): naming.class_name(t.name) for t in ordered}
    counts: dict[str, int] = {}
    for name in wanted.values():
        counts[name] = counts.get(name, 0) + 1
    scope = naming.Scope(reserved=MODEL_RESERVED_CLASSES)
    result = []
    for table in ordered:
        name = wanted[(table.schema, table.name)]
        if counts[name] > 1 and table.schema is not None:
            name = naming.class_name(f"{table.schema}_{table.name}")
        if name in MODEL_RESERVED_CLASSES:
            name = f"{name}Model"
        attrs_scope = naming.Scope(reserved=MODEL_RESERVED_ATTRS)
        attrs = {
            column["name"]: attrs_scope.allocate(_attribute(column["name"]))
            for column in table.columns
        }
        result.append(_Built(raw=table, name=scope.allocate(name), attrs=attrs, scope=attrs_scope))
    return result


def _attribute(sql_name: str) -> str:
    """`naming.attribute_name`, with `_` after a name the model's class body needs (`bytes_`)."""
    name = naming.attribute_name(sql_name)
    return f"{name}_" if name in MODEL_RESERVED_ATTRS else name


_IN_CHECK = re.compile(
    r"""^\s*\(*\s*(?P<column>"(?:[^"]|"")+"|`(?:[^`]|``)+`|\[[^\]]+\]|[A-Za-z_][A-Za-z0-9_$]*)"""
    r"""\s+IN\s*\((?P<values>.*?)\)\s*\)*\s*$""",
    re.IGNORECASE | re.DOTALL,
)
_CHECK_VALUE = re.compile(r"\s*(?:'(?P<text>(?:[^']|'')*)'|(?P<number>-?\d+))\s*(?:,|$)")


def check_values(sqltext: str) -> tuple[str, tuple[str | int, ...]] | None:
    """`("status", ("a", "b"))` for `CHECK (status IN ('a', 'b'))`; None for any other check."""
    found = _IN_CHECK.match(sqltext)
    if not found:
        return None
    column = found["column"]
    if column[0] in '"`[':
        column = column[1:-1].replace(column[0] * 2, column[0]) if column[0] != "[" else column
        column = column[1:-1] if column.startswith("[") else column
    values: list[str | int] = []
    text = found["values"]
    position = 0
    while position < len(text):
        item = _CHECK_VALUE.match(text, position)
        if item is None or item.end() == position:
            return None
        text_value = item["text"]
        values.append(
            text_value.replace("''", "'") if text_value is not None else int(item["number"])
        )
        position = item.end()
    return (column, tuple(values)) if values else None


def _columns(built: _Built, dialect: Dialect, notes: list[Diagnostic]) -> tuple[Column, ...]:
    raw = built.raw
    allowed: dict[str, tuple[str | int, ...]] = {}
    by_lower = {c["name"].lower(): c["name"] for c in raw.columns}
    for check in raw.checks:
        parsed = check_values(str(check.get("sqltext") or ""))
        if parsed is not None:
            name = parsed[0] if parsed[0] in built.attrs else by_lower.get(parsed[0].lower())
            if name is not None:
                allowed[name] = parsed[1]
    result = []
    for column in raw.columns:
        where = f"{raw.qualified}.{column['name']}"
        info = reflected_column_type(
            column["type"],
            dialect=dialect,
            where=where,
            check_values=allowed.get(column["name"]),
            reported_name=raw.unknown_types.get(column["name"]),
        )
        notes.extend(info.diagnostics)
        primary = column["name"] in raw.primary_key
        identity = column.get("identity")
        computed = column.get("computed")
        default = None if raw.is_view else column.get("default")
        lost = raw.extras.catalog_defaults.get(column["name"]) if default is None else None
        if lost is not None and not raw.is_view:
            notes.append(
                Diagnostic(
                    where=where,
                    message=f"default {lost!r} is not carried by SQLAlchemy's reflection: the"
                    " model has no default for this column (add it to a migration by hand)",
                )
            )
        if isinstance(default, str) and dialect.name == "sqlite":
            default = default_sql(default)  # `DEFAULT (1 + 2)` reads `1 + 2`: not valid DDL
        autoincrement = bool(identity) or _autoincrement(raw, column, dialect)
        sequence = isinstance(default, str) and default.lower().startswith("nextval(")
        # The sequence the model must create (`sequences`): none for a plain SERIAL key.
        ref = raw.extras.sequences.get(column["name"]) if sequence else None
        serial = ref is not None and is_plain_serial(ref, raw.schema, raw.name, column["name"])
        if autoincrement and serial:
            ref = None
        if sequence and autoincrement and ref is None:
            default = None  # SERIAL: recreated by autoincrement, not a default of its own
        server_generated = autoincrement or bool(computed) or sequence
        result.append(
            Column(
                attr=built.attrs[column["name"]],
                sql_name=column["name"],
                python_type=info.python_type,
                dto_type=info.dto_type,
                sql_type=info.sql_type,
                sql_type_expr=info.sql_type_expr,
                nullable=bool(column.get("nullable", True)) and not primary,
                primary_key=primary,
                has_default=server_generated or default is not None,
                server_default=default,
                server_generated=server_generated,
                autoincrement=autoincrement,
                max_length=info.max_length,
                precision=info.precision,
                scale=info.scale,
                enum=None,
                filter_kind=info.filter_kind,
                orderable=info.orderable,
                comment=column.get("comment"),
                imports=info.imports,
                identity=(
                    ("always" if identity.get("always") else "by default") if identity else None
                ),
                computed=str(computed["sqltext"]) if computed else None,
                computed_persisted=computed.get("persisted") if computed else None,
                int_range=info.int_range,
                pattern=info.pattern,
                sequence=ref.name if ref is not None else None,
                sequence_schema=ref.schema if ref is not None else None,
            )
        )
    return tuple(result)


def _autoincrement(raw: RawTable, column: dict[str, Any], dialect: Dialect) -> bool:
    """Whether the database numbers this column itself: only a single integer primary key."""
    if raw.is_view or raw.primary_key != [column["name"]]:
        return False
    if not isinstance(column["type"], sa.Integer):
        return False
    if dialect.name == "sqlite":
        return type(column["type"]) is sa.INTEGER  # INTEGER PRIMARY KEY is the rowid
    return column.get("autoincrement") is True


def _foreign_keys(
    built: _Built, by_table: dict[tuple[str | None, str], _Built], notes: list[Diagnostic]
) -> list[ForeignKey]:
    raw = built.raw
    result = []
    for fk in raw.foreign_keys:
        local = [c for c in fk["constrained_columns"] if c in built.attrs]
        if len(local) != len(fk["constrained_columns"]) or not local:
            continue
        referred_schema = fk.get("referred_schema")
        target = by_table.get((referred_schema, fk["referred_table"]))
        if target is not None and target.raw.is_view:
            target = None
        if target is not None and not all(c in target.attrs for c in fk["referred_columns"]):
            target = None
        if target is None:
            spec = ".".join(filter(None, (referred_schema, fk["referred_table"])))
            notes.append(
                Diagnostic(
                    where=f"{raw.qualified}.{local[0]}",
                    message=f"foreign key to {spec}, which is not generated: left out of the model",
                )
            )
        options = fk.get("options") or {}
        result.append(
            ForeignKey(
                name=fk.get("name"),
                columns=tuple(built.attrs[c] for c in local),
                sql_columns=tuple(local),
                target_entity=target.name if target is not None else "",
                target_table=fk["referred_table"],
                target_schema=referred_schema,
                target_sql_columns=tuple(fk["referred_columns"]),
                ondelete=options.get("ondelete"),
                onupdate=options.get("onupdate"),
            )
        )
    return sorted(result, key=lambda f: (f.columns, f.name or ""))


def _is_association(built: _Built, by_table: dict[tuple[str | None, str], _Built]) -> bool:
    """Two foreign keys to two different generated tables, and no other column."""
    fks = built.foreign_keys
    if built.raw.is_view or len(fks) != 2 or not all(fk.target_entity for fk in fks):
        return False
    if fks[0].target_entity == fks[1].target_entity:
        return False
    covered = {c for fk in fks for c in fk.sql_columns}
    return covered == set(built.attrs) and len(covered) == sum(len(fk.sql_columns) for fk in fks)


def _stem(fk: ForeignKey, target: _Built) -> str:
    """The many-to-one name a foreign key suggests: `artist_id` / `ArtistId` -> `artist`."""
    if len(fk.sql_columns) == 1:
        name = naming.snake(fk.sql_columns[0])
        for suffix in ("_id", "_fk", "_key"):
            if name.endswith(suffix) and len(name) > len(suffix):
                return name[: -len(suffix)]
        return name
    return naming.snake(target.name)


def _relations(built: Sequence[_Built], by_table: dict[tuple[str | None, str], _Built]) -> None:
    """Relationships on both sides of every foreign key between generated tables."""
    by_name = {b.name: b for b in built}
    pending: list[tuple[_Built, ForeignKey, _Built, str, str]] = []
    # Many-to-one names first, on every entity, so that they win over inverse names.
    for source in built:
        if source.kind is EntityKind.ASSOCIATION or source.raw.is_view:
            continue
        for fk in source.foreign_keys:
            if not fk.target_entity:
                continue
            target = by_name[fk.target_entity]
            stem = _stem(fk, target)
            wanted = stem
            if stem in source.attrs.values():
                wanted = f"{stem}_{naming.snake(target.name)}"
            attr = source.scope.allocate(_attribute(wanted))
            pending.append((source, fk, target, attr, stem))
    for source, fk, target, attr, stem in pending:
        siblings = [f for f in source.foreign_keys if f.target_entity == target.name]
        one_to_one = _is_unique(source, fk.columns)
        base = naming.snake(source.name)
        if one_to_one:
            wanted = base
        elif len(siblings) == 1 and source is not target:
            wanted = naming.plural(base)
        else:
            wanted = f"{naming.plural(base)}_by_{stem}"
        inverse = target.scope.allocate(_attribute(wanted))
        target_columns = tuple(target.attrs[c] for c in fk.target_sql_columns)
        source.relations.append(
            Relation(
                attr=attr,
                target=target.name,
                kind=RelationKind.MANY_TO_ONE,
                local=fk.columns,
                remote=target_columns,
                secondary=None,
                back_populates=inverse,
                uselist=False,
            )
        )
        target.relations.append(
            Relation(
                attr=inverse,
                target=source.name,
                kind=RelationKind.ONE_TO_ONE if one_to_one else RelationKind.ONE_TO_MANY,
                local=target_columns,
                remote=fk.columns,
                secondary=None,
                back_populates=attr,
                uselist=not one_to_one,
            )
        )
    pairs: dict[frozenset[str], int] = {}
    associations = [b for b in built if b.kind is EntityKind.ASSOCIATION]
    for association in associations:
        key = frozenset(fk.target_entity for fk in association.foreign_keys)
        pairs[key] = pairs.get(key, 0) + 1
    for association in associations:
        first, second = association.foreign_keys
        ends = [(first, second), (second, first)]
        names = []
        for mine, theirs in ends:
            owner, other = by_name[mine.target_entity], by_name[theirs.target_entity]
            wanted = naming.plural(naming.snake(other.name))
            if pairs[frozenset((owner.name, other.name))] > 1:
                wanted = f"{wanted}_via_{naming.snake(association.name)}"
            names.append(owner.scope.allocate(_attribute(wanted)))
        for (mine, theirs), attr, back in zip(ends, names, reversed(names), strict=True):
            owner, other = by_name[mine.target_entity], by_name[theirs.target_entity]
            owner.relations.append(
                Relation(
                    attr=attr,
                    target=other.name,
                    kind=RelationKind.MANY_TO_MANY,
                    local=tuple(owner.attrs[c] for c in mine.target_sql_columns),
                    remote=tuple(other.attrs[c] for c in theirs.target_sql_columns),
                    secondary=association.raw.name,
                    back_populates=back,
                    uselist=True,
                )
            )


def _is_unique(built: _Built, attrs: tuple[str, ...]) -> bool:
    """Whether these columns are the primary key or a unique constraint of the table."""
    raw = built.raw
    wanted = set(attrs)
    keys = [raw.primary_key] + [u["column_names"] for u in raw.unique_constraints]
    keys += [
        i["column_names"]
        for i in raw.indexes
        if i.get("unique") and None not in i["column_names"] and not _partial(i)
    ]
    return any(key and {built.attrs.get(c) for c in key} == wanted for key in keys)


def _entity(
    built: _Built, modules: naming.Scope, classes: naming.Scope, package: str, dialect: str
) -> Entity:
    raw = built.raw
    names = naming.entity_names(
        built.name, modules=modules, classes=classes, columns=list(built.attrs.values())
    )
    primary_key = tuple(built.attrs[c] for c in raw.primary_key if c in built.attrs)
    qualified = f"{raw.schema}.{raw.name}" if raw.schema else raw.name
    return Entity(
        name=built.name,
        table=raw.name,
        schema=raw.schema,
        kind=built.kind,
        source=f"db:{qualified}",
        model_import=(f"..models.{names.module}", built.name),
        names=names,
        columns=built.columns,
        primary_key=() if raw.is_view else primary_key,
        unique_keys=_unique_keys(built, primary_key),
        foreign_keys=tuple(built.foreign_keys),
        relations=tuple(sorted(built.relations, key=lambda r: r.attr)),
        indexes=_indexes(built, dialect),
        comment=raw.comment,
        writable=bool(primary_key) and not raw.is_view,
        checks=tuple(
            Check(name=c.get("name"), sqltext=str(c["sqltext"]))
            for c in sorted(raw.checks, key=lambda c: (c.get("name") or "", str(c["sqltext"])))
            if c.get("sqltext")
        ),
        table_options=raw.extras.options,
    )


def _partial(index: dict[str, Any]) -> bool:
    options = index.get("dialect_options") or {}
    return any(key.endswith("_where") and value is not None for key, value in options.items())


def _unique_keys(built: _Built, primary_key: tuple[str, ...]) -> tuple[UniqueKey, ...]:
    """The primary key, then every other unique column set (constraints, unique indexes)."""
    raw = built.raw
    candidates: list[tuple[bool, int, tuple[str, ...], str | None, tuple[str, ...]]] = []
    options: dict[tuple[str | None, tuple[str, ...]], dict[str, Any]] = {}
    for constraint in raw.unique_constraints:
        columns = tuple(constraint["column_names"])
        if columns and all(c in built.attrs for c in columns):
            name = constraint.get("name")
            attrs = tuple(built.attrs[c] for c in columns)
            candidates.append((name is None, 0, attrs, name, columns))
            options[(name, columns)] = unique_key_options(constraint)
    for index in raw.indexes:
        columns = tuple(index.get("column_names") or ())
        if not index.get("unique") or not columns or _partial(index):
            continue
        if all(c is not None and c in built.attrs for c in columns):
            attrs = tuple(built.attrs[c] for c in columns)
            candidates.append((index.get("name") is None, 1, attrs, index.get("name"), columns))
    scope = naming.Scope()
    keys = []
    if primary_key:
        keys.append(
            UniqueKey(
                name=scope.allocate(naming.key_name(primary_key)),
                constraint_name=None,
                columns=primary_key,
                sql_columns=tuple(raw.primary_key),
                is_primary=True,
            )
        )
    seen = {frozenset(primary_key)}
    others = []
    for _, _, attrs, name, sql in sorted(candidates, key=lambda c: (c[0], c[1], c[2], c[3] or "")):
        if frozenset(attrs) in seen:
            continue
        seen.add(frozenset(attrs))
        others.append((naming.key_name(attrs), name, attrs, sql))
    for key_name, name, attrs, sql in sorted(others, key=lambda o: (o[0], o[1] or "")):
        keys.append(
            UniqueKey(
                name=scope.allocate(key_name),
                constraint_name=name,
                columns=attrs,
                sql_columns=sql,
                is_primary=False,
                **options.get((name, sql), {}),
            )
        )
    return tuple(keys)


def _indexes(built: _Built, dialect: str) -> tuple[Index, ...]:
    """Indexes, less those that only back a unique constraint (rendered as the constraint),
    unless they carry what a constraint cannot (MySQL's `UNIQUE KEY (code(20))`)."""
    raw = built.raw
    constraint_names = {u.get("name") for u in raw.unique_constraints if u.get("name")}
    result = []
    for index in raw.indexes:
        backs = index.get("duplicates_constraint") or index.get("name") in constraint_names
        if backs and (dialect == "postgresql" or not carries_options(index, dialect)):
            continue
        result.append(index_from_reflected(index, dialect))
    return tuple(sorted(result, key=lambda i: (i.name or "", i.columns, i.expressions)))
