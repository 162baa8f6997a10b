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

from collections.abc import Callable
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
        return operator_conditions(self, column)


class RangeFilter(
    EqFilter[T], Generic[T], kw_only=True, forbid_unknown_fields=True, omit_defaults=True
):
    """Equality plus ordering operators, for numbers, dates and strings."""

    lt: T | UnsetType = UNSET
    le: T | UnsetType = UNSET
    gt: T | UnsetType = UNSET
    ge: T | UnsetType = UNSET



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


_ORDERING: tuple[tuple[str, Callable[[Any, Any], ColumnElement[bool]]], ...] = (
    ("lt", lambda c, v: c < v),
    ("le", lambda c, v: c <= v),
    ("gt", lambda c, v: c > v),
    ("ge", lambda c, v: c >= v),
)
_TEXT: tuple[tuple[str, Callable[[Any, Any], ColumnElement[bool]]], ...] = (
    ("like", lambda c, v: c.like(v, escape=_LIKE_ESCAPE)),
    ("ilike", lambda c, v: c.ilike(v, escape=_LIKE_ESCAPE)),
    ("startswith", lambda c, v: c.startswith(v, autoescape=True)),
    ("endswith", lambda c, v: c.endswith(v, autoescape=True)),
    ("contains", lambda c, v: c.contains(v, autoescape=True)),
)


def operator_conditions(value_filter: Any, column: _Column) -> list[ColumnElement[bool]]:
    """The conditions of a column filter's operators that are set, read by name (absent
    operators are UNSET): the msgspec filters and their pydantic twins (sublimate_runtime.
    pydantic_dto) share it. An empty ``in`` matches nothing, an empty ``not_in`` excludes nothing;
    ``like`` takes a pattern, ``startswith`` and the like take literal text (autoescaped)."""
    conditions: list[ColumnElement[bool]] = []
    eq = getattr(value_filter, "eq", UNSET)
    if eq is not UNSET:
        conditions.append(column == eq)
    ne = getattr(value_filter, "ne", UNSET)
    if ne is not UNSET:
        conditions.append(column != ne)
    in_ = getattr(value_filter, "in_", UNSET)
    if in_ is not UNSET:
        conditions.append(column.in_(in_) if in_ else false())
    not_in = getattr(value_filter, "not_in", UNSET)
    if not_in is not UNSET and not_in:
        conditions.append(column.not_in(not_in))
    for name, condition in (*_ORDERING, *_TEXT):
        operand = getattr(value_filter, name, UNSET)
        if operand is not UNSET:
            conditions.append(condition(column, operand))
    is_null = getattr(value_filter, "is_null", UNSET)
    if is_null is not UNSET:
        conditions.append(column.is_(None) if is_null else column.is_not(None))
    return conditions


class NullableEqFilter(
    EqFilter[T], Generic[T], kw_only=True, forbid_unknown_fields=True, omit_defaults=True
):
    """:class:`EqFilter` for a nullable column: ``is_null`` true is IS NULL, false IS NOT NULL."""

    is_null: bool | UnsetType = UNSET


class NullableRangeFilter(
    RangeFilter[T], Generic[T], kw_only=True, forbid_unknown_fields=True, omit_defaults=True
):
    """:class:`RangeFilter` for a nullable column, with ``is_null``."""

    is_null: bool | UnsetType = UNSET


class NullableTextFilter(TextFilter, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """:class:`TextFilter` for a nullable column, with ``is_null``."""

    is_null: bool | UnsetType = UNSET
