"""Typed comparison filters that a generated ``<Model>Filter`` struct is made of.

They are msgspec Structs so that a web layer can decode them straight from untrusted JSON or query
parameters (unknown operators are rejected), and each one turns only into bound-parameter SQL
expressions on the column the generated code hands it: no user text ever becomes SQL.

Values are bounded where the database would refuse them, so that bad input is a validation error
(a 400 naming the field) rather than a database error: the generated filters are generic over the
column's DTO type (an int within its SQL type's range, a datetime with or without a timezone as
the column stores it); text operands hold no NUL character (PostgreSQL refuses it), a
``like``/``ilike`` pattern does not end with its escape character, and a Decimal operand is
finite and fits the column (:func:`check_decimal_filter`, called by the generated filter).

Comparisons follow SQL: ``ne``/``not_in`` do not match NULL rows, and case sensitivity of ``eq``
and ``like`` is the column's collation (SQLite's LIKE ignores ASCII case, MariaDB's default
collations ignore case everywhere, PostgreSQL is case-sensitive).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Generic, TypeAlias, TypeVar

import msgspec
from msgspec import UNSET, Meta, UnsetType
from sqlalchemy import ColumnElement, false
from sqlalchemy.orm import InstrumentedAttribute, Mapped

T = TypeVar("T")

# Mapped: what sqlmodel.col() is typed as (SQLModel types class attributes as plain values).
_Column: TypeAlias = ColumnElement[Any] | InstrumentedAttribute[Any] | Mapped[Any]

_LIKE_ESCAPE = "\\"
"""Escape character of ``like``/``ilike`` patterns, stated explicitly because SQLite has none."""

Text: TypeAlias = Annotated[str, Meta(pattern="^[^\\x00]*$")]
"""A text operand: no NUL character."""

LikePattern: TypeAlias = Annotated[str, Meta(pattern=r"^(?:[^\x00\\]|\\[^\x00])*$")]
"""A ``like`` pattern: no NUL, and every backslash escapes a character (none ends the pattern)."""

MAX_DECIMAL_DIGITS = 1000
"""Digits before or after the point of a Decimal operand when the column's precision is unknown."""


class EqFilter(
    msgspec.Struct, Generic[T], kw_only=True, forbid_unknown_fields=True, omit_defaults=True
):
    """Equality operators. ``in`` on the wire (``in_`` in Python, ``in`` being a keyword)."""

    eq: T | UnsetType = UNSET
    ne: T | UnsetType = UNSET
    in_: list[T] | UnsetType = msgspec.field(default=UNSET, name="in")
    not_in: list[T] | UnsetType = UNSET

    def conditions(self, column: _Column) -> list[ColumnElement[bool]]:
        """One condition per operator that is set, for the caller to AND together."""
        conditions: list[ColumnElement[bool]] = []
        if self.eq is not UNSET:
            conditions.append(column == self.eq)
        if self.ne is not UNSET:
            conditions.append(column != self.ne)
        if self.in_ is not UNSET:
            # An empty IN list matches nothing; say so rather than rely on dialect quirks.
            conditions.append(column.in_(self.in_) if self.in_ else false())
        if self.not_in is not UNSET and self.not_in:  # an empty NOT IN list excludes nothing
            conditions.append(column.not_in(self.not_in))
        return conditions


class RangeFilter(
    EqFilter[T], Generic[T], kw_only=True, forbid_unknown_fields=True, omit_defaults=True
):
    """Equality plus ordering operators, for numbers, dates and strings."""

    lt: T | UnsetType = UNSET
    le: T | UnsetType = UNSET
    gt: T | UnsetType = UNSET
    ge: T | UnsetType = UNSET

    def conditions(self, column: _Column) -> list[ColumnElement[bool]]:
        conditions = super().conditions(column)
        if self.lt is not UNSET:
            conditions.append(column < self.lt)
        if self.le is not UNSET:
            conditions.append(column <= self.le)
        if self.gt is not UNSET:
            conditions.append(column > self.gt)
        if self.ge is not UNSET:
            conditions.append(column >= self.ge)
        return conditions


class TextFilter(RangeFilter[Text], kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """String operators.

    ``like``/``ilike`` take SQL patterns: ``%`` and ``_`` are wildcards and a backslash escapes
    them, on every database. ``startswith``/``endswith``/``contains`` take literal text: wildcards
    in it are escaped (with ``/``, SQLAlchemy's autoescape) so ``50%`` matches only "50%".
    """

    like: LikePattern | UnsetType = UNSET
    ilike: LikePattern | UnsetType = UNSET
    startswith: Text | UnsetType = UNSET
    endswith: Text | UnsetType = UNSET
    contains: Text | UnsetType = UNSET

    def conditions(self, column: _Column) -> list[ColumnElement[bool]]:
        conditions = super().conditions(column)
        if self.like is not UNSET:
            conditions.append(column.like(self.like, escape=_LIKE_ESCAPE))
        if self.ilike is not UNSET:
            conditions.append(column.ilike(self.ilike, escape=_LIKE_ESCAPE))
        if self.startswith is not UNSET:
            conditions.append(column.startswith(self.startswith, autoescape=True))
        if self.endswith is not UNSET:
            conditions.append(column.endswith(self.endswith, autoescape=True))
        if self.contains is not UNSET:
            conditions.append(column.contains(self.contains, autoescape=True))
        return conditions


def check_decimal_filter(
    value_filter: EqFilter[Any] | None, field: str, precision: int | None, scale: int | None
) -> None:
    """Raise ValueError unless every Decimal operand of ``value_filter`` suits the column.

    msgspec cannot bound a Decimal, and the databases refuse what a NUMERIC cannot hold
    (``Infinity``, ``NaN``, ``1e999999``) with a driver error. An operand must be finite with at
    most ``precision - scale`` digits before the point (``MAX_DECIMAL_DIGITS`` when the precision
    is unknown) and ``MAX_DECIMAL_DIGITS`` after it: more decimals than the column's scale still
    compare. Called from the generated filter's ``__post_init__``, where a ValueError becomes a
    ``msgspec.ValidationError`` on decode.
    """
    if value_filter is None:
        return
    whole_limit = MAX_DECIMAL_DIGITS if precision is None else precision - (scale or 0)
    for operator in ("eq", "ne", "lt", "le", "gt", "ge", "in_", "not_in"):
        operand = getattr(value_filter, operator, UNSET)
        for value in operand if isinstance(operand, list) else [operand]:
            if not isinstance(value, Decimal):
                continue
            name = operator.rstrip("_")
            if not value.is_finite():
                raise ValueError(f"{field}.{name}: {value} is not a finite number")
            _, digits, exponent = value.as_tuple()
            assert isinstance(exponent, int)  # finite numbers have an int exponent
            whole = max(0, len(digits) + exponent) if any(digits) else 0
            if whole > whole_limit:
                raise ValueError(
                    f"{field}.{name}: at most {whole_limit} digits before the decimal point"
                )
            if -exponent > MAX_DECIMAL_DIGITS:
                raise ValueError(
                    f"{field}.{name}: at most {MAX_DECIMAL_DIGITS} digits after the decimal point"
                )


def _null_condition(column: _Column, is_null: bool | UnsetType) -> list[ColumnElement[bool]]:
    if is_null is UNSET:
        return []
    return [column.is_(None) if is_null else column.is_not(None)]


class NullableEqFilter(
    EqFilter[T], Generic[T], kw_only=True, forbid_unknown_fields=True, omit_defaults=True
):
    """:class:`EqFilter` for a nullable column: ``is_null`` true is IS NULL, false IS NOT NULL."""

    is_null: bool | UnsetType = UNSET

    def conditions(self, column: _Column) -> list[ColumnElement[bool]]:
        return super().conditions(column) + _null_condition(column, self.is_null)


class NullableRangeFilter(
    RangeFilter[T], Generic[T], kw_only=True, forbid_unknown_fields=True, omit_defaults=True
):
    """:class:`RangeFilter` for a nullable column, with ``is_null``."""

    is_null: bool | UnsetType = UNSET

    def conditions(self, column: _Column) -> list[ColumnElement[bool]]:
        return super().conditions(column) + _null_condition(column, self.is_null)


class NullableTextFilter(TextFilter, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """:class:`TextFilter` for a nullable column, with ``is_null``."""

    is_null: bool | UnsetType = UNSET

    def conditions(self, column: _Column) -> list[ColumnElement[bool]]:
        return super().conditions(column) + _null_condition(column, self.is_null)
