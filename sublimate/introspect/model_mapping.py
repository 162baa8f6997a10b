"""What the models front end (`models`, `model_columns`) reads off every mapper: the tables
it writes, the attribute each column is mapped to, and plain-`str` names.

SQLAlchemy's names are `quoted_name` or naming-convention `conv` objects; the IR carries plain
strings only, so every name goes through `names_of` / `plain_name`.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Mapper

from sublimate.introspect import IntrospectError
from sublimate.ir import Diagnostic, EnumType


@dataclass(slots=True)
class Context:
    """What every entity's build reads (the classes and tables that are generated) and adds to
    (diagnostics, enums met so far)."""

    by_class: dict[int, str]  # id(model class) -> Entity.name
    by_table: dict[tuple[str | None, str], str]  # (schema, table) -> Entity.name
    diagnostics: list[Diagnostic]
    enums: dict[str, EnumType]

    def warn(self, where: str, message: str) -> None:
        self.diagnostics.append(Diagnostic(where=where, message=message))


def mapped_tables(mapper: Mapper[Any]) -> list[sa.Table]:
    """The tables a mapper writes, base class first (one, unless joined-table inheritance)."""
    chain = []
    for each in mapper.iterate_to_root():
        chain.append(each.local_table)
        if each.concrete:  # concrete inheritance: the class's own table holds every column
            break
    tables: list[sa.Table] = []
    for table in reversed(chain):
        if isinstance(table, sa.Table) and table not in tables:
            tables.append(table)
    return tables


def attr_of(mapper: Mapper[Any], column: sa.ColumnElement[Any]) -> str:
    """The attribute a column is mapped to; generated code spells it `Model.<attr>`, so a key
    that is not an identifier (a `__table__` column named "1st value") is an input error."""
    key = mapper.get_property_by_column(column).key
    if not key.isidentifier() or keyword.iskeyword(key):
        raise IntrospectError(
            f"{mapper.class_.__name__}: mapped attribute {key!r} is not a Python identifier; "
            f'map the column under a valid name (e.g. sa.Column({column.name!r}, ..., key="..."))'
        )
    return key


def try_attrs(mapper: Mapper[Any], columns: Iterable[Any]) -> tuple[str, ...] | None:
    """The attrs of `columns`, or None when one of them is not a mapped column."""
    attrs = []
    for column in columns:
        if not isinstance(column, sa.Column):
            return None
        try:
            attrs.append(attr_of(mapper, column))
        except sa_exc.SQLAlchemyError:  # UnmappedColumnError: left out by the model
            return None
    return tuple(attrs)


def names_of(columns: Iterable[sa.ColumnElement[Any]]) -> tuple[str, ...]:
    """Column names as plain str: SQLAlchemy's are `quoted_name`, which the IR must not carry
    (an IR pickled by the cache would import SQLAlchemy to be read back)."""
    return tuple(str(c.name) for c in columns)


def plain_name(name: object) -> str | None:
    """A constraint or index name as a plain str (naming conventions give `conv` objects)."""
    return str(name) if isinstance(name, str) else None


def sql_text(element: Any) -> str:
    try:
        compiled = element.compile(compile_kwargs={"literal_binds": True, "include_table": False})
        return str(compiled)
    except Exception:  # a dialect-only construct: its generic string is the best we have
        return str(element)


def plain_columns(index: sa.Index) -> list[sa.Column[Any]] | None:
    """The columns of an index made only of columns; None for an expression index."""
    columns = [e for e in index.expressions if isinstance(e, sa.Column)]
    return columns if len(columns) == len(index.expressions) else None
