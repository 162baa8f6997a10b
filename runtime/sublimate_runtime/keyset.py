"""Keyset pagination over any order (:mod:`.ordering`): the "after this row" condition, the pages.

Loaded with the first keyset page (``list_after``, a typed query's ``:many_after``): a listing
that never asks for one never imports it, nor the cursors' codec (:mod:`.keyset_cursor`).

The condition is the lexicographic "after" spelled out as an OR of ANDs (``a > :a OR (a = :a AND
b > :b) ...``), never a row-value comparison: MariaDB scans a whole index for one, none exists
for mixed directions, and NULLs need their own comparison (they sort greatest, as the order says).
A redundant bound on the first column (``a >= :a``) lets PostgreSQL seek into an index on the
order's columns instead of filtering from its first entry (MariaDB finds that range by itself;
``bench/keyset_seek.py`` measures both). A previous page is the same walk over the reversed
order, its rows put back in order.
"""

from __future__ import annotations

import builtins
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec
from sqlalchemy import ColumnElement, Select, and_, false, or_

from .keyset_cursor import (
    Position,
    decode_position,
    encode_position,
    fingerprint,
    value_type,
    values_decoder,
)
from .ordering import Order, Term
from .pagination import KeysetPage

M = TypeVar("M")


def _beyond(term: Term, value: Any, backward: bool) -> ColumnElement[bool] | None:
    """The rows strictly past ``value`` in this term's direction (None: there are none)."""
    column = term.column
    if term.descending == backward:  # ascending, NULL greatest
        if value is None:
            return None
        return or_(column > value, column.is_(None)) if term.nullable else column > value
    if value is None:
        return column.is_not(None) if term.nullable else None
    condition: ColumnElement[bool] = column < value
    return condition


def _equal(term: Term, value: Any) -> ColumnElement[bool]:
    condition: ColumnElement[bool] = (
        term.column.is_(None) if value is None else term.column == value
    )
    return condition


def _bound(term: Term, value: Any, backward: bool) -> ColumnElement[bool] | None:
    """A redundant range on this (first) column that an index can seek to, if any."""
    column = term.column
    found: ColumnElement[bool] | None = None
    if term.descending != backward:
        found = None if value is None else column <= value
    elif value is None:
        found = column.is_(None)
    elif not term.nullable:
        found = column >= value
    return found


@dataclass(frozen=True, slots=True)
class Keyset:
    """One order and the decoder of its cursors' values."""

    order: Order
    decoder: msgspec.json.Decoder[Any]

    @property
    def names(self) -> tuple[str, ...]:
        return self.order.names

    def order_by(self, backward: bool = False) -> tuple[ColumnElement[Any], ...]:
        return self.order.backward if backward else self.order.forward

    def condition(self, position: Position) -> ColumnElement[bool]:
        """The rows past ``position`` (or at it, when inclusive), in the order's direction.
        Each equality is built once and shared by the branches that need it: building SQL
        expressions is most of a page's cost in Python."""
        backward = position.backward
        values = position.values
        terms = self.order.terms
        if len(values) != len(terms):
            raise ValueError("a sort key has one value per term")
        needed = len(values) if position.inclusive else len(values) - 1
        equal = [_equal(term, value) for term, value in zip(terms[:needed], values, strict=False)]
        branches: list[ColumnElement[bool]] = []
        for i, term in enumerate(terms):
            beyond = _beyond(term, values[i], backward)
            if beyond is not None:
                branches.append(and_(*equal[:i], beyond) if i else beyond)
        if position.inclusive:
            branches.append(and_(*equal))
        if not branches:
            return false()
        condition = or_(*branches) if len(branches) > 1 else branches[0]
        first = _bound(terms[0], values[0], backward) if len(values) > 1 else None
        return condition if first is None else and_(first, condition)

    def bound_to(self, model: str, where: Any, include_deleted: bool) -> str:
        """The fingerprint a cursor of this order over ``where`` carries."""
        return fingerprint(model, self.names, where, include_deleted)

    def query(
        self, base: Select[Any], bound_to: str, cursor: str | None, limit: int
    ) -> KeysetQuery[Any]:
        """:func:`keyset_query` of this keyset: callers need not import this module per page."""
        return keyset_query(self, base, bound_to, cursor, limit)

    def values_of(self, instance: Any) -> tuple[Any, ...]:
        """A row's sort key; an aware column's naive value (SQLite's) is read as UTC."""
        values = []
        for term, attr in zip(self.order.terms, self.order.attrs, strict=True):
            value = getattr(instance, attr)
            if term.aware and value is not None and value.tzinfo is None:
                value = value.replace(tzinfo=datetime.UTC)
            values.append(value)
        return tuple(values)


def keyset_of(order: Order, known_types: Mapping[str, Any]) -> Keyset:
    """The keyset of a model's order: ``known_types`` are the generator's bounded types of the
    key's values; other values' types come from the columns."""
    types = []
    for term, attr in zip(order.terms, order.attrs, strict=True):
        column_type = term.column.property.columns[0].type
        types.append(known_types.get(attr) or value_type(column_type, term.nullable))
    return Keyset(order, values_decoder(types))


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
