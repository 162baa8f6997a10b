"""The ORDER BY of every list: the requested terms, then the primary key, NULLs greatest.

An order is the requested terms (``name``, ``-birthday``: the generated Order enum's values, a
leading "-" for descending), each column once, then the primary key's columns not named yet,
ascending: a total order, so pages never skip or repeat a row. Keyset pages (:mod:`.keyset`,
loaded with the first of them) walk the same order, so walking them gives exactly what
``list(order_by=...)`` gives.

NULLs sort as if greater than every value, on every database: last when ascending, first when
descending (PostgreSQL's default). PostgreSQL and SQLite (3.30+) are told ``NULLS LAST``/``NULLS
FIRST`` for nullable columns; MariaDB/MySQL and others, which lack it, get ``CASE WHEN c IS NULL
THEN 1 ELSE 0 END`` before the column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, DateTime, TypeDecorator, case
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

_NATIVE_NULLS = frozenset({"postgresql", "oracle"})  # and SQLite from 3.30
_SQLITE_NULLS = (3, 30)


class NullsGreatest(ColumnElement[Any]):
    """An ORDER BY term of a nullable column that sorts NULLs as the greatest value: ``NULLS
    LAST`` ascending, ``NULLS FIRST`` descending, spelled as each dialect can."""

    __visit_name__ = "nulls_greatest"
    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012  SQLAlchemy's declaration, read for cache keys
        ("element", InternalTraversal.dp_clauseelement),
        ("descending", InternalTraversal.dp_boolean),
    ]

    def __init__(self, element: ColumnElement[Any], descending: bool) -> None:
        self.element = element
        self.descending = descending
        self.type = element.type


@compiles(NullsGreatest)
def _compile_nulls_greatest(element: NullsGreatest, compiler: SQLCompiler, **kw: Any) -> str:
    column = element.element
    dialect = compiler.dialect
    version = dialect.server_version_info or ()
    native = dialect.name in _NATIVE_NULLS
    native = native or (dialect.name == "sqlite" and tuple(version) >= _SQLITE_NULLS)
    if native:
        term = column.desc().nulls_first() if element.descending else column.asc().nulls_last()
        return compiler.process(term, **kw)
    is_null = case((column.is_(None), 1), else_=0)
    terms = (is_null.desc(), column.desc()) if element.descending else (is_null, column.asc())
    return ", ".join(compiler.process(term, **kw) for term in terms)


@dataclass(frozen=True, slots=True)
class Term:
    """One column of an order: the mapped attribute, its direction, whether it holds NULLs."""

    column: Any
    descending: bool
    nullable: bool
    aware: bool = False  # an aware timestamp column (SQLite gives its values back naive)

    def ordered(self, backward: bool) -> ColumnElement[Any]:
        descending = self.descending != backward
        if self.nullable:
            return NullsGreatest(self.column, descending)
        term: ColumnElement[Any] = self.column.desc() if descending else self.column.asc()
        return term


@dataclass(frozen=True, slots=True)
class Order:
    """One order of one model: its terms and its ORDER BY both ways, built once (building them
    is a fifth of a page's statement construction otherwise)."""

    names: tuple[str, ...]  # the canonical requested terms: what a keyset cursor is bound to
    terms: tuple[Term, ...]
    attrs: tuple[str, ...]  # the attribute of each term, to read a row's sort key
    forward: tuple[ColumnElement[Any], ...]
    backward: tuple[ColumnElement[Any], ...]

    @classmethod
    def of(cls, names: tuple[str, ...], terms: Sequence[Term], attrs: Sequence[str]) -> Order:
        return cls(
            names=names,
            terms=tuple(terms),
            attrs=tuple(attrs),
            forward=tuple(term.ordered(False) for term in terms),
            backward=tuple(term.ordered(True) for term in terms),
        )


def order_names(order_by: str | Sequence[str] | None) -> tuple[str, ...]:
    """The requested terms as their Order enum values (``"-name"``), in order."""
    if order_by is None:
        return ()
    items = (order_by,) if isinstance(order_by, str) else order_by
    return tuple(str(item) for item in items)


def build_order(
    model: type[Any], names: tuple[str, ...], orderable: Sequence[str], tiebreak: Sequence[str]
) -> Order:
    """The order ``names`` on ``model``: each column once (the first term naming it wins, a
    later one could never break a tie), then the ``tiebreak`` columns not named yet (the primary
    key; a model without one, its first column), ascending."""
    seen: dict[str, bool] = {}
    for name in names:
        attr = name.removeprefix("-")
        if attr not in orderable:
            raise ValueError(f"{model.__name__} cannot be ordered by {name!r}")
        seen.setdefault(attr, name.startswith("-"))
    for attr in tiebreak:
        seen.setdefault(attr, False)
    terms: list[Term] = []
    for attr, descending in seen.items():
        column = getattr(model, attr)
        table_column = column.property.columns[0]
        nullable = bool(table_column.nullable) and not table_column.primary_key
        column_type = table_column.type
        base = column_type.impl_instance if isinstance(column_type, TypeDecorator) else column_type
        aware = isinstance(base, DateTime) and bool(base.timezone)
        terms.append(Term(column, descending, nullable, aware))
    return Order.of(names, terms, tuple(seen))
