"""Keyset pagination over any order: the ORDER BY, the "after this row" condition, the pages.

An order is the requested terms (``name``, ``-birthday``: the generated Order enum's values, a
leading "-" for descending), each column once, then the primary key's columns not named yet,
ascending: a total order, so pages never skip or repeat a row. ``list()`` orders by the same
terms, so walking the pages gives exactly what ``list(order_by=...)`` gives.

NULLs sort as if greater than every value, on every database: last when ascending, first when
descending (PostgreSQL's default). PostgreSQL and SQLite (3.30+) are told ``NULLS LAST``/``NULLS
FIRST`` for nullable columns; MariaDB/MySQL and others, which lack it, get ``CASE WHEN c IS NULL
THEN 1 ELSE 0 END`` before the column. The keyset condition follows the same rule explicitly.

The condition is the lexicographic "after" spelled out as an OR of ANDs (``a > :a OR (a = :a AND
b > :b) ...``), never a row-value comparison: MariaDB scans a whole index for one, none exists
for mixed directions, and NULLs need their own comparison. A redundant bound on the first column
(``a >= :a``) lets PostgreSQL seek into an index on the order's columns instead of filtering from
its first entry (MariaDB finds that range by itself; ``bench/keyset_seek.py`` measures both). A
previous page is the same walk over the reversed order, its rows put back in order.
"""

from __future__ import annotations

import builtins
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec
from sqlalchemy import ColumnElement, DateTime, Select, TypeDecorator, and_, case, false, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from .keyset_cursor import (
    Position,
    decode_position,
    encode_position,
    value_type,
    values_decoder,
)
from .pagination import KeysetPage

M = TypeVar("M")

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

    def beyond(self, value: Any, backward: bool) -> ColumnElement[bool] | None:
        """The rows strictly past ``value`` in this term's direction (None: there are none)."""
        column = self.column
        if self.descending == backward:  # ascending, NULL greatest
            if value is None:
                return None
            return or_(column > value, column.is_(None)) if self.nullable else column > value
        if value is None:
            return column.is_not(None) if self.nullable else None
        condition: ColumnElement[bool] = column < value
        return condition

    def equal(self, value: Any) -> ColumnElement[bool]:
        condition: ColumnElement[bool] = (
            self.column.is_(None) if value is None else self.column == value
        )
        return condition

    def bound(self, value: Any, backward: bool) -> ColumnElement[bool] | None:
        """A redundant range on this (first) column that an index can seek to, if any."""
        column = self.column
        found: ColumnElement[bool] | None = None
        if self.descending != backward:
            found = None if value is None else column <= value
        elif value is None:
            found = column.is_(None)
        elif not self.nullable:
            found = column >= value
        return found


@dataclass(frozen=True, slots=True)
class Keyset:
    """One order of one model: its terms and the decoder of its cursors' values."""

    names: tuple[str, ...]  # the canonical requested terms: what a cursor is bound to
    terms: tuple[Term, ...]
    attrs: tuple[str, ...]  # the attribute of each term, to read a row's sort key
    decoder: msgspec.json.Decoder[Any]
    forward: tuple[ColumnElement[Any], ...]  # the ORDER BY, built once (a fifth of a page's
    backward: tuple[ColumnElement[Any], ...]  # statement construction otherwise)

    def order_by(self, backward: bool = False) -> tuple[ColumnElement[Any], ...]:
        return self.backward if backward else self.forward

    def condition(self, position: Position) -> ColumnElement[bool]:
        """The rows past ``position`` (or at it, when inclusive), in the order's direction.
        Each equality is built once and shared by the branches that need it: building SQL
        expressions is most of a page's cost in Python."""
        backward = position.backward
        values = position.values
        if len(values) != len(self.terms):
            raise ValueError("a sort key has one value per term")
        needed = len(values) if position.inclusive else len(values) - 1
        equal = [
            term.equal(value) for term, value in zip(self.terms[:needed], values, strict=False)
        ]
        branches: list[ColumnElement[bool]] = []
        for i, term in enumerate(self.terms):
            beyond = term.beyond(values[i], backward)
            if beyond is not None:
                branches.append(and_(*equal[:i], beyond) if i else beyond)
        if position.inclusive:
            branches.append(and_(*equal))
        if not branches:
            return false()
        condition = or_(*branches) if len(branches) > 1 else branches[0]
        first = self.terms[0].bound(values[0], backward) if len(values) > 1 else None
        return condition if first is None else and_(first, condition)

    def values_of(self, instance: Any) -> tuple[Any, ...]:
        """A row's sort key; an aware column's naive value (SQLite's) is read as UTC."""
        values = []
        for term, attr in zip(self.terms, self.attrs, strict=True):
            value = getattr(instance, attr)
            if term.aware and value is not None and value.tzinfo is None:
                value = value.replace(tzinfo=datetime.UTC)
            values.append(value)
        return tuple(values)


@dataclass(frozen=True, slots=True)
class KeysetQuery(Generic[M]):
    """One keyset page to read: the statement (one more row than asked, to see whether the
    walk goes on), and how its rows become a :class:`KeysetPage` with both cursors."""

    statement: Select[Any]
    keyset: Keyset
    bound_to: str  # the fingerprint of the order and filter
    position: Position | None
    limit: int

    def page(self, rows: Sequence[M]) -> KeysetPage[M]:
        """The page of what :attr:`statement` read: ``next_cursor`` after its last item when
        rows may follow, ``prev_cursor`` before its first when rows may precede; an empty page
        (its rows deleted since the cursor was made) points back to where the walk came from."""
        position = self.position
        more = len(rows) > self.limit
        items = builtins.list(rows[: self.limit])
        backward = position is not None and position.backward
        if backward:
            items.reverse()
        if not items:
            back = None if position is None else self._cursor(position.complement())
            if backward:
                return KeysetPage(items=items, next_cursor=back, prev_cursor=None)
            return KeysetPage(items=items, next_cursor=None, prev_cursor=back)
        ahead = True if backward else more  # a previous page is followed by the cursor's row
        behind = more if backward else position is not None
        values_of = self.keyset.values_of
        after = Position(values=values_of(items[-1]), backward=False, inclusive=False)
        before = Position(values=values_of(items[0]), backward=True, inclusive=False)
        return KeysetPage(
            items=items,
            next_cursor=self._cursor(after) if ahead else None,
            prev_cursor=self._cursor(before) if behind else None,
        )

    def _cursor(self, position: Position) -> str:
        return encode_position(self.bound_to, position)


def keyset_query(
    keyset: Keyset,
    base: Select[Any],
    bound_to: str,
    cursor: str | None,
    limit: int,
) -> KeysetQuery[Any]:
    """The page of ``base`` (the model's SELECT with the filter's conditions) at ``cursor``."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    position = None if cursor is None else decode_position(cursor, bound_to, keyset.decoder)
    statement = base
    if position is not None:
        statement = statement.where(keyset.condition(position))
    backward = position is not None and position.backward
    statement = statement.order_by(*keyset.order_by(backward)).limit(limit + 1)
    return KeysetQuery(
        statement=statement, keyset=keyset, bound_to=bound_to, position=position, limit=limit
    )


def order_names(order_by: str | Sequence[str] | None) -> tuple[str, ...]:
    """The requested terms as their Order enum values (``"-name"``), in order."""
    if order_by is None:
        return ()
    items = (order_by,) if isinstance(order_by, str) else order_by
    return tuple(str(item) for item in items)


def build_keyset(
    model: type[Any],
    names: tuple[str, ...],
    orderable: Sequence[str],
    tiebreak: Sequence[str],
    known_types: Mapping[str, Any],
) -> Keyset:
    """The keyset of ``names`` on ``model``: each column once (the first term naming it wins,
    a later one could never break a tie), then the ``tiebreak`` columns not named yet (the
    primary key; a model without one, its first column), ascending. ``known_types`` are the
    generator's bounded types of the key's values; other values' types come from the columns."""
    seen: dict[str, bool] = {}
    for name in names:
        attr = name.removeprefix("-")
        if attr not in orderable:
            raise ValueError(f"{model.__name__} cannot be ordered by {name!r}")
        seen.setdefault(attr, name.startswith("-"))
    for attr in tiebreak:
        seen.setdefault(attr, False)
    terms: list[Term] = []
    types: list[Any] = []
    for attr, descending in seen.items():
        column = getattr(model, attr)
        table_column = column.property.columns[0]
        nullable = bool(table_column.nullable) and not table_column.primary_key
        column_type = table_column.type
        base = column_type.impl_instance if isinstance(column_type, TypeDecorator) else column_type
        aware = isinstance(base, DateTime) and bool(base.timezone)
        terms.append(Term(column, descending, nullable, aware))
        types.append(known_types.get(attr) or value_type(column_type, nullable))
    return Keyset(
        names=names,
        terms=tuple(terms),
        attrs=tuple(seen),
        decoder=values_decoder(types),
        forward=tuple(term.ordered(False) for term in terms),
        backward=tuple(term.ordered(True) for term in terms),
    )
