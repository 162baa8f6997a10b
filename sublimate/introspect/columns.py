"""The columns of one reflected table as IR `Column`s: type, nullability, keys, defaults.

A `CHECK (col IN (...))` constraint narrows the column's type (a `Literal`, or a boolean for
`IN (0, 1)`), so checks are parsed first. Defaults need care: a SQLite expression default gets
back its parentheses (`sqlite_sql`); a plain SERIAL key's `nextval(...)` default is not a server
default (a SERIAL is recreated from `autoincrement`), as in hand-written models, while any other
`nextval(...)` default keeps its text and gets `sa.Sequence` (`sequences`); a default the
catalog has but SQLAlchemy does not reflect is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from sublimate.introspect.check_sql import check_values
from sublimate.introspect.class_names import Built
from sublimate.introspect.raw import RawTable
from sublimate.introspect.reflected_types import reflected_column_type
from sublimate.introspect.sequences import SequenceRef, is_plain_serial
from sublimate.introspect.sqlite_sql import default_sql
from sublimate.ir import Column, Diagnostic


def entity_columns(built: Built, dialect: Dialect, notes: list[Diagnostic]) -> tuple[Column, ...]:
    """Every column of the table, in the table's order; warnings go to `notes`."""
    allowed = _allowed_values(built)
    return tuple(
        _column(built, column, dialect, allowed.get(column["name"]), notes)
        for column in built.raw.columns
    )


def _allowed_values(built: Built) -> dict[str, tuple[str | int, ...]]:
    """column -> the values its `IN (...)` check allows (names matched as the database does)."""
    allowed: dict[str, tuple[str | int, ...]] = {}
    by_lower = {c["name"].lower(): c["name"] for c in built.raw.columns}
    for check in built.raw.checks:
        parsed = check_values(str(check.get("sqltext") or ""))
        if parsed is not None:
            name = parsed[0] if parsed[0] in built.attrs else by_lower.get(parsed[0].lower())
            if name is not None:
                allowed[name] = parsed[1]
    return allowed


def _column(
    built: Built,
    column: dict[str, Any],
    dialect: Dialect,
    allowed: tuple[str | int, ...] | None,
    notes: list[Diagnostic],
) -> Column:
    raw = built.raw
    where = f"{raw.qualified}.{column['name']}"
    info = reflected_column_type(
        column["type"],
        dialect=dialect,
        where=where,
        check_values=allowed,
        reported_name=raw.unknown_types.get(column["name"]),
    )
    notes.extend(info.diagnostics)
    primary = column["name"] in raw.primary_key
    identity = column.get("identity")
    computed = column.get("computed")
    made = _server_side(raw, column, dialect, where, notes)
    server_generated = made.autoincrement or bool(computed) or made.sequence
    return Column(
        attr=built.attrs[column["name"]],
        sql_name=column["name"],
        python_type=info.python_type,
        dto_type=info.dto_type,
        sql_type=info.sql_type,
        sql_type_expr=info.sql_type_expr,
        nullable=bool(column.get("nullable", True)) and not primary,
        primary_key=primary,
        has_default=server_generated or made.default is not None,
        server_default=made.default,
        server_generated=server_generated,
        autoincrement=made.autoincrement,
        max_length=info.max_length,
        precision=info.precision,
        scale=info.scale,
        enum=None,
        filter_kind=info.filter_kind,
        orderable=info.orderable,
        comment=column.get("comment"),
        imports=info.imports,
        identity=(("always" if identity.get("always") else "by default") if identity else None),
        computed=str(computed["sqltext"]) if computed else None,
        computed_persisted=computed.get("persisted") if computed else None,
        int_range=info.int_range,
        pattern=info.pattern,
        sequence=made.ref.name if made.ref is not None else None,
        sequence_schema=made.ref.schema if made.ref is not None else None,
    )


@dataclass(frozen=True, slots=True)
class _ServerSide:
    """How the database fills a column in when an INSERT leaves it out."""

    default: Any  # the server default's SQL text, or None
    autoincrement: bool  # an identity, or a single integer primary key the database numbers
    sequence: bool  # the default is `nextval(...)`
    ref: SequenceRef | None  # the sequence the model must create: none for a plain SERIAL key


def _server_side(
    raw: RawTable, column: dict[str, Any], dialect: Dialect, where: str, notes: list[Diagnostic]
) -> _ServerSide:
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
    autoincrement = bool(column.get("identity")) or _autoincrement(raw, column, dialect)
    sequence = isinstance(default, str) and default.lower().startswith("nextval(")
    ref = raw.extras.sequences.get(column["name"]) if sequence else None
    serial = ref is not None and is_plain_serial(ref, raw.schema, raw.name, column["name"])
    if autoincrement and serial:
        ref = None
    if sequence and autoincrement and ref is None:
        default = None  # SERIAL: recreated by autoincrement, not a default of its own
    return _ServerSide(default=default, autoincrement=autoincrement, sequence=sequence, ref=ref)


def _autoincrement(raw: RawTable, column: dict[str, Any], dialect: Dialect) -> bool:
    """Whether the database numbers this column itself: only a single integer primary key."""
    if raw.is_view or raw.primary_key != [column["name"]]:
        return False
    if not isinstance(column["type"], sa.Integer):
        return False
    if dialect.name == "sqlite":
        return type(column["type"]) is sa.INTEGER  # INTEGER PRIMARY KEY is the rowid
    return column.get("autoincrement") is True
