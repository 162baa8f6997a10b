"""The mapped columns of a model as IR `Column`s: SQL type, the Python type the model declares
(`Mapped[X]`, resolved in the model's module), defaults and enums.

A column that is in the table but not mapped is left out (warned about when inserts would fail
without it); joined-table inheritance lists the base table's columns first.
"""

from __future__ import annotations

import sys
import typing
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import Mapper

from sublimate.introspect.model_mapping import Context, mapped_tables, sql_text, try_attrs
from sublimate.introspect.types import column_type
from sublimate.ir import Column, EnumType


def mapped_columns(mapper: Mapper[Any], context: Context) -> tuple[Column, ...]:
    """The mapped columns in table order (base table first); unmapped ones are left out."""
    seen: set[str] = set()
    primary_key = {id(column) for column in mapper.primary_key}
    result = []
    for table in mapped_tables(mapper):
        for column in table.columns:
            if getattr(column, "_insert_sentinel", False):  # Advanced Alchemy's _sentinel: internal
                continue
            where = f"{table.fullname}.{column.name}"
            attrs = try_attrs(mapper, [column])
            if attrs is None:
                if not column.nullable and column.default is None and not column.server_default:
                    context.warn(where, "NOT NULL column is not mapped: inserts will fail")
            elif attrs[0] not in seen:  # joined-table inheritance repeats the key
                seen.add(attrs[0])
                result.append(
                    _column(mapper, column, attrs[0], id(column) in primary_key, where, context)
                )
    return tuple(result)


def _column(
    mapper: Mapper[Any],
    column: sa.Column[Any],
    attr: str,
    primary_key: bool,
    where: str,
    context: Context,
) -> Column:
    declared = _declared_type(mapper.class_, attr)
    info = column_type(column.type, declared=declared, where=where)
    context.diagnostics.extend(info.diagnostics)
    assert isinstance(column.table, sa.Table)
    autoincrement = column is column.table.autoincrement_column or column.identity is not None
    server_generated = (
        autoincrement or column.computed is not None or isinstance(column.default, sa.Sequence)
    )
    return Column(
        attr=attr,
        sql_name=str(column.name),
        python_type=info.python_type,
        dto_type=info.dto_type,
        sql_type=info.sql_type,
        sql_type_expr=info.sql_type_expr,
        nullable=bool(column.nullable),
        primary_key=primary_key,
        has_default=(
            server_generated or column.default is not None or column.server_default is not None
        ),
        server_default=_server_default_text(column),
        server_generated=server_generated,
        autoincrement=autoincrement,
        max_length=info.max_length,
        precision=info.precision,
        scale=info.scale,
        enum=None if info.enum is None else _register_enum(info.enum, context, where),
        filter_kind=info.filter_kind,
        orderable=info.orderable,
        comment=column.comment,
        imports=info.imports,
        declared_optional=not column.nullable and type(None) in typing.get_args(declared),
        int_range=info.int_range,
        pattern=info.pattern,
    )


def _register_enum(enum_type: EnumType, context: Context, where: str) -> str:
    known = context.enums.setdefault(enum_type.name, enum_type)
    if known != enum_type:
        context.warn(
            where,
            f"two enums are named {enum_type.name} ({known.import_[0]} and "
            f"{enum_type.import_[0]}): generated code may import the wrong one",
        )
    return enum_type.name


def _server_default_text(column: sa.Column[Any]) -> str | None:
    """The SQL text of a server default (`now()`, `'draft'`), or None for identity/computed."""
    default = column.server_default
    if not isinstance(default, sa.DefaultClause):
        return None
    arg = default.arg
    if isinstance(arg, str):
        return "'" + arg.replace("'", "''") + "'"
    return sql_text(arg)


def _declared_type(cls: type, attr: str) -> object:
    """The resolved `X` of the model's `attr: Mapped[X]`, or None when it cannot be known."""
    for klass in cls.__mro__:
        annotations = vars(klass).get("__annotations__", {})
        if attr in annotations:
            namespace = (
                vars(sys.modules[klass.__module__]) if klass.__module__ in sys.modules else {}
            )
            tp = _resolve(annotations[attr], namespace, dict(vars(klass)))
            origin = typing.get_origin(tp)
            if isinstance(origin, type) and issubclass(origin, orm.Mapped):
                args = typing.get_args(tp)
                tp = _resolve(args[0], namespace, dict(vars(klass))) if args else None
            return tp
    return None


def _resolve(tp: object, namespace: dict[str, Any], local: dict[str, Any]) -> object:
    """Evaluate a string or forward-reference annotation in its module; None when it fails."""
    if isinstance(tp, typing.ForwardRef):
        tp = tp.__forward_arg__
    if not isinstance(tp, str):
        return tp
    try:
        return eval(tp, dict(namespace), local)  # the model's own annotation, as typing does
    except Exception:  # a name imported under TYPE_CHECKING: fall back to the SQL type
        return None
