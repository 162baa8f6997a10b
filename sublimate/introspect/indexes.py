"""Indexes of a live database, with everything that makes `create_all` build them again.

An index is more than its columns: PostgreSQL's method (`USING gin`), operator classes, partial
condition, INCLUDE columns, storage parameters and NULLS NOT DISTINCT; MariaDB/MySQL's FULLTEXT
and SPATIAL prefixes, key prefix lengths (`KEY (title(10))`) and parser; the order of each key
element (DESC, NULLS LAST). Left out, the re-created index is a different one, or cannot be
created at all (a plain index on two TEXT columns: "Specified key was too long").

SQLAlchemy's Inspector reports most of it (`dialect_options`, `column_sorting`); this module
turns that into `ir.Index` and fills the gaps the Inspector leaves:
- SQLite: read from the catalog (`sqlite_indexes`), because SQLAlchemy skips expression indexes,
  does not report DESC, and misses most inline `UNIQUE` column constraints (`email TEXT UNIQUE`),
  which `PRAGMA index_list` marks with origin `u`;
- MariaDB/MySQL: DESC key parts, from information_schema (`mysql_descending`).
What still cannot be carried is named by `index_warnings`, for a warning at generation time.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Inspector
from sqlalchemy.engine.reflection import ObjectKind

from sublimate.introspect.sqlite_sql import IndexSql, parse_create_index
from sublimate.ir import Diagnostic, Index

__all__ = [
    "carries_options",
    "index_from_reflected",
    "index_warnings",
    "mysql_descending",
    "read_indexes",
    "sqlite_indexes",
    "sqlite_unique_constraints",
    "unique_key_options",
]

# The dialect options (without the dialect's prefix) that `ir.Index` carries, per dialect.
_CARRIED = {
    "postgresql": frozenset({"using", "ops", "where", "include", "with", "nulls_not_distinct"}),
    "mysql": frozenset({"prefix", "length", "with_parser"}),
    "mariadb": frozenset({"prefix", "length", "with_parser"}),
    "sqlite": frozenset({"where"}),
}

Key = tuple[str | None, str]

# What SQLAlchemy's SQLite reflection warns about indexes that `sqlite_indexes` reads itself.
_SQLITE_SKIPS = (
    "Skipped unsupported reflection of expression-based index",
    "Failed to look up filter predicate of partial index",
)


def _options(index: dict[str, Any], dialect: str) -> dict[str, Any]:
    """The index's options for `dialect`, without the prefix, the empty ones left out."""
    prefix = f"{dialect}_"
    result = {}
    for key, value in (index.get("dialect_options") or {}).items():
        if key.startswith(prefix) and value is not None and value != [] and value != {}:
            result[key[len(prefix) :]] = value
    return result


def index_warnings(
    index: dict[str, Any], dialect: str, unique_constraints: Collection[str | None]
) -> list[str]:
    """What the generated model cannot carry of this index, one message per option; for the
    index of a PostgreSQL constraint that is not a UNIQUE one (an EXCLUDE constraint), that
    the constraint is not carried."""
    constraint = index.get("duplicates_constraint")
    if constraint:
        if constraint in unique_constraints:
            return []  # the unique key carries it, options included
        return [
            f"constraint {constraint} (not UNIQUE: an EXCLUDE constraint) is not carried into"
            " the model; create_all will not create it"
        ]
    carried = _CARRIED.get(dialect, frozenset())
    return [
        f"index option {dialect}_{name}={value!s} is not carried into the model"
        for name, value in sorted(_options(index, dialect).items())
        if name not in carried
    ]


def carries_options(index: dict[str, Any], dialect: str) -> bool:
    """Whether the index has options that a plain `sa.UniqueConstraint` would lose."""
    return bool(_options(index, dialect)) or bool(index.get("column_sorting"))


def index_from_reflected(index: dict[str, Any], dialect: str) -> Index:
    """The IR of one index as the Inspector reports it (or `sqlite_indexes` does)."""
    columns = list(index.get("column_names") or ())
    expressions = list(index.get("expressions") or ())
    plain = bool(columns) and None not in columns
    options = _options(index, dialect)
    where = options.get("where")
    using = options.get("using")
    sorting = index.get("column_sorting") or {}
    return Index(
        name=index.get("name"),
        columns=tuple(columns) if plain else (),
        expressions=() if plain else tuple(str(e) for e in expressions),
        unique=bool(index.get("unique")),
        dialect=dialect if options or sorting else "",
        method=str(using).lower() if using else None,
        prefix=str(options["prefix"]) if "prefix" in options else None,
        parser=str(options["with_parser"]) if "with_parser" in options else None,
        where=str(where) if where is not None else None,  # a string, or SQLite's TextClause
        include=tuple(str(c) for c in options.get("include") or ()),
        opclasses=tuple(sorted((str(k), str(v)) for k, v in (options.get("ops") or {}).items())),
        lengths=tuple(sorted((str(k), int(v)) for k, v in (options.get("length") or {}).items())),
        sorting=tuple(sorted((str(k), tuple(str(s) for s in v)) for k, v in sorting.items())),
        nulls_not_distinct=options.get("nulls_not_distinct") is True,
        storage=tuple(sorted((str(k), str(v)) for k, v in (options.get("with") or {}).items())),
    )


def unique_key_options(constraint: dict[str, Any]) -> dict[str, Any]:
    """`ir.UniqueKey` fields for a unique constraint's options (PostgreSQL's INCLUDE and
    NULLS NOT DISTINCT; the other dialects report none)."""
    options = _options(constraint, "postgresql")
    result: dict[str, Any] = {}
    if options.get("include"):
        result["include"] = tuple(str(c) for c in options["include"])
    if options.get("nulls_not_distinct") is True:
        result["nulls_not_distinct"] = True
    return result


# --- reading, per dialect -------------------------------------------------------------------


def read_indexes(
    connection: Connection,
    inspector: Inspector,
    schema: str | None,
    default: str | None,
    names: list[str],
    tables: list[str],
    diagnostics: list[Diagnostic],
) -> tuple[dict[Key, list[dict[str, Any]]], dict[Key, list[dict[str, Any]]]]:
    """The indexes of the tables and views `names` and the unique constraints of `tables`, one
    bulk Inspector call each, completed where the Inspector misses some (see the module
    docstring)."""
    dialect = connection.dialect.name
    with warnings.catch_warnings():
        if dialect == "sqlite":
            # SQLAlchemy reads the indexes again to pair constraints with them, and warns about
            # the expression indexes it skips; `sqlite_indexes` reads those, or warns itself.
            for message in _SQLITE_SKIPS:
                warnings.filterwarnings("ignore", message=message, category=sa_exc.SAWarning)
        reported_uniques = (
            inspector.get_multi_unique_constraints(schema=schema, filter_names=tables)
            if tables
            else {}
        )
    uniques = {key: [dict(u) for u in value] for key, value in reported_uniques.items()}
    if dialect == "sqlite":
        indexes, keys = sqlite_indexes(connection, schema, names, diagnostics)
        completed = {
            key: sqlite_unique_constraints(uniques.get(key) or [], columns)
            for key, columns in keys.items()
        }
        return indexes, completed
    reported = inspector.get_multi_indexes(schema=schema, filter_names=names, kind=ObjectKind.ANY)
    indexes = {key: [dict(index) for index in value] for key, value in reported.items()}
    if dialect in ("mysql", "mariadb"):
        descending = mysql_descending(connection, schema or default or "")
        for (_, table), of_table in indexes.items():
            for index in of_table:
                columns = descending.get((table, str(index.get("name"))))
                if columns:
                    index["column_sorting"] = {c: ("desc",) for c in columns}
    return indexes, uniques


# --- SQLite ---------------------------------------------------------------------------------


def sqlite_indexes(
    connection: Connection,
    schema: str | None,
    names: Sequence[str],
    diagnostics: list[Diagnostic],
) -> tuple[dict[Key, list[dict[str, Any]]], dict[Key, list[tuple[str, ...]]]]:
    """Per table of `names`: its indexes (shaped as SQLAlchemy's `get_indexes` reports them,
    expression elements and DESC included) and the column lists of its UNIQUE constraints,
    inline ones included (`PRAGMA index_list` origin `u`).

    An index whose CREATE statement cannot be split safely is left out, with a warning.
    """
    quote = connection.dialect.identifier_preparer.quote_identifier
    prefix = quote(schema) if schema else "main"
    statements = {
        str(name): str(sql)
        for name, sql in connection.exec_driver_sql(
            f"SELECT name, sql FROM {prefix}.sqlite_master WHERE type = 'index'"
        )
        if sql is not None
    }
    indexes: dict[Key, list[dict[str, Any]]] = {}
    uniques: dict[Key, list[tuple[str, ...]]] = {}
    for table in names:
        listed = connection.exec_driver_sql(f"PRAGMA {prefix}.index_list({quote(table)})").all()
        found: list[dict[str, Any]] = []
        keys: list[tuple[str, ...]] = []
        for row in listed:
            name, unique, origin = str(row[1]), bool(row[2]), str(row[3])
            if origin == "pk":
                continue
            info = connection.exec_driver_sql(f"PRAGMA {prefix}.index_xinfo({quote(name)})")
            parts = [r for r in info.all() if r[5]]  # key columns only, not the rowid
            if origin == "u":
                if all(r[1] >= 0 for r in parts):
                    keys.append(tuple(str(r[2]) for r in parts))
                continue
            index = _sqlite_index(name, unique, bool(row[4]), parts, statements.get(name))
            if index is None:
                where = f"{schema}.{table}.{name}" if schema else f"{table}.{name}"
                diagnostics.append(
                    Diagnostic(
                        where=where,
                        message="index: its CREATE INDEX statement could not be read;"
                        " left out of the model",
                    )
                )
                continue
            found.append(index)
        indexes[(schema, table)] = sorted(found, key=lambda i: str(i["name"]))
        uniques[(schema, table)] = sorted(set(keys))
    return indexes, uniques


def _sqlite_index(
    name: str, unique: bool, partial: bool, parts: list[Any], sql: str | None
) -> dict[str, Any] | None:
    """One index from its `index_xinfo` rows and, where they do not say everything (an
    expression, a condition, a collation), its CREATE INDEX text."""
    if not partial and all(p[1] >= 0 for p in parts) and "collate" not in (sql or "").lower():
        # Plain columns (most indexes): the PRAGMA says it all, nothing to parse.
        parsed = IndexSql(tuple(str(p[2]) for p in parts), (False,) * len(parts), None)
    else:
        found = parse_create_index(sql) if sql is not None else None
        if found is None or len(found.elements) != len(parts):
            return None
        parsed = found
    column_names: list[str | None] = []
    expressions: list[str] = []
    sorting: dict[str, tuple[str, ...]] = {}
    for part, text, collated in zip(parts, parsed.elements, parsed.collated, strict=True):
        cid, column, descending = int(part[1]), part[2], bool(part[3])
        if cid >= 0 and not collated:
            key = str(column)
            column_names.append(key)
        else:  # an expression, or a column with a collation of its own: the text as written
            key = text
            column_names.append(None)
        expressions.append(key)
        if descending:
            sorting[key] = ("desc",)
    result: dict[str, Any] = {
        "name": name,
        "column_names": column_names,
        "unique": unique,
        "dialect_options": {"sqlite_where": parsed.where} if parsed.where is not None else {},
    }
    if None in column_names:
        result["expressions"] = expressions
    if sorting:
        result["column_sorting"] = sorting
    return result


def sqlite_unique_constraints(
    reported: list[dict[str, Any]], keys: list[tuple[str, ...]]
) -> list[dict[str, Any]]:
    """The table's UNIQUE constraints as the catalog has them (`keys`), named where SQLAlchemy's
    parse of the CREATE TABLE found the name; its own list misses most inline ones."""
    names = {tuple(u["column_names"]): u.get("name") for u in reported}
    return [{"name": names.get(key), "column_names": list(key)} for key in keys]


# --- MariaDB / MySQL ------------------------------------------------------------------------


def mysql_descending(connection: Connection, schema: str) -> dict[tuple[str, str], list[str]]:
    """(table, index) -> its DESC key columns (MariaDB 10.8+, MySQL 8), which SQLAlchemy's
    reflection does not report."""
    rows = connection.execute(
        sa.text(
            "SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS"
            " WHERE TABLE_SCHEMA = :schema AND COLLATION = 'D'"
            " ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
        ),
        {"schema": schema},
    )
    result: dict[tuple[str, str], list[str]] = {}
    for table, index, column in rows:
        result.setdefault((str(table), str(index)), []).append(str(column))
    return result
