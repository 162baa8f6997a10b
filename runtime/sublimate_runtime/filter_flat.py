"""The fast path of a flat Filter: statements built once per shape, the values bound as parameters.

Most filters only compare columns with single values (``{"price": {"ge": 5}}``) or test them for
NULL. Compiling such a Filter per call (:mod:`.filter_tree`), building the statement around it and
computing its cache key (SQLAlchemy hashes the whole statement on every execution to find its
compiled SQL) were about half of a repository's ``exists`` on SQLite (profiled). A statement
built once is hashed once (SQLAlchemy memoizes the key on the statement object), so a
repository keeps one per *shape*: which field, which operator, and the Python type of the value
(SQLAlchemy types a compared value from the column and the value's type, so the bound parameter
gets the type the literal would have got), and runs it with the values as parameters. The SQL
is the one :func:`.filter_tree.filter_conditions` builds, condition for condition, in its order;
only the parameters have names of their own (``_w0``, ``_w1``, ...: no SQLAlchemy anonymous
name ends that way).

The repositories take this path for ``exists``, ``count``, and ``list``/``list_and_count``
without ``load`` (LIMIT and OFFSET are parameters too) of a model without a cache (the cache
keys its entries on the statement's own values). Anything else (a relationship,
``and``/``or``/``not``, ``in``, the text operators, a column filter class other than
:mod:`.filters`' own, a pydantic Filter, an expression) returns None and takes the general path.
Shapes come from untrusted input, so each owner keeps at most ``MAX_FLAT_STATEMENTS``; past that
a statement is built per call, as on the general path.
"""

from __future__ import annotations

import operator
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import msgspec
from msgspec import UNSET
from sqlalchemy import ColumnElement, Integer, bindparam
from sqlalchemy.sql.elements import BindParameter

from .filter_tree import _plan
from .filters import (
    EqFilter,
    NullableEqFilter,
    NullableRangeFilter,
    NullableTextFilter,
    RangeFilter,
    TextFilter,
)
from .ordering import order_names

MAX_FLAT_STATEMENTS = 256
"""Statements kept per owner (a repository's spec): shapes are combinations of fields and
operators a client chooses."""

_COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
_IS_NULL = "is_null"
# The column filters whose conditions() this module reproduces (a subclass may change them).
_OWN_FILTERS = frozenset(
    {EqFilter, RangeFilter, TextFilter, NullableEqFilter, NullableRangeFilter, NullableTextFilter}
)

# A flat page's LIMIT and OFFSET: parameters too, so one statement serves every page.
_LIMIT, _OFFSET = bindparam("_limit", type_=Integer), bindparam("_offset", type_=Integer)

Shape = tuple[tuple[str, str, Any], ...]  # (field, operator, type of the value | is_null's bool)


@dataclass(frozen=True, slots=True)
class FlatFilter:
    """A flat Filter split into its shape (a key for statements) and its values."""

    shape: Shape
    params: dict[str, Any]


def flat_filter(model: type[Any], where: Any) -> FlatFilter | None:
    """The shape and values of ``where`` (None or a Filter of ``model``) when it is flat, else
    None (the general path)."""
    if where is None:
        return FlatFilter((), {})
    if not isinstance(where, msgspec.Struct):
        return None
    plan = _plan(model, type(where))
    for relation in plan.relations:
        if getattr(where, relation.field) is not None:
            return None
    for combinator in (plan.and_, plan.or_, plan.not_):
        if combinator is not None and getattr(where, combinator) is not None:
            return None
    shape: list[tuple[str, str, Any]] = []
    params: dict[str, Any] = {}
    for name, _wire, _attribute, _nullable in plan.columns:
        value = getattr(where, name)
        if value is None:
            continue
        if type(value) not in _OWN_FILTERS:
            return None
        for op in value.__struct_fields__:
            operand = getattr(value, op)
            if operand is UNSET:
                continue
            if op == _IS_NULL:
                shape.append((name, op, bool(operand)))
            elif op in _COMPARISONS and operand is not None and type(operand) is not bool:
                # (SQLAlchemy compares with a bool as a constant, ``= true``: not a parameter)
                params[f"_w{len(shape)}"] = operand
                shape.append((name, op, type(operand)))
            else:
                return None
    return FlatFilter(tuple(shape), params)


def flat_conditions(
    model: type[Any], filter_type: type[Any], flat: FlatFilter
) -> list[ColumnElement[bool]] | None:
    """The conditions of ``flat``'s shape with bound parameters in place of its values (typed
    from them as the literals would be); None if a value does not become a parameter."""
    if not flat.shape:
        return []
    attributes = {name: attribute for name, _, attribute, _ in _plan(model, filter_type).columns}
    conditions: list[ColumnElement[bool]] = []
    for index, (name, op, kind) in enumerate(flat.shape):
        attribute = attributes[name]
        if op == _IS_NULL:
            conditions.append(attribute.is_(None) if kind else attribute.is_not(None))
            continue
        key = f"_w{index}"
        compare = _COMPARISONS[op]
        literal = compare(attribute, flat.params[key]).right
        if not isinstance(literal, BindParameter):
            return None  # a constant (no type of ours does this today): the general path
        conditions.append(compare(attribute, bindparam(key, type_=literal.type)))
    return conditions


_NOT_FLAT: Any = object()  # a shape whose values cannot be parameters


class FlatStatements:
    """One owner's statements over flat Filters, built once per (kind, Filter type, shape)."""

    def __init__(self) -> None:
        self._built: dict[Hashable, Any] = {}

    def find(
        self,
        model: type[Any],
        where: Any,
        kind: Hashable,
        build: Callable[[list[ColumnElement[bool]]], Any],
    ) -> tuple[Any, dict[str, Any]] | None:
        """(statement, parameters) for ``where``, the statement ``build(conditions)`` made once
        per ``kind`` and shape; None when ``where`` is not flat."""
        flat = flat_filter(model, where)
        if flat is None:
            return None
        key = (kind, type(where), flat.shape)
        statement = self._built.get(key)
        if statement is None:
            conditions = flat_conditions(model, type(where), flat)
            statement = _NOT_FLAT if conditions is None else build(conditions)
            if len(self._built) < MAX_FLAT_STATEMENTS:
                self._built[key] = statement
        return None if statement is _NOT_FLAT else (statement, flat.params)


_BY_OWNER: weakref.WeakKeyDictionary[Any, FlatStatements] = weakref.WeakKeyDictionary()


def flat_statements(owner: Any) -> FlatStatements:
    """The statements of ``owner`` (a repository's spec: one model, its soft delete, its
    orders), made on first use."""
    found = _BY_OWNER.get(owner)
    if found is None:
        found = _BY_OWNER[owner] = FlatStatements()
    return found


def spec_statement(
    spec: Any,
    kind: Hashable,
    where: Any,
    include_deleted: bool,
    build: Callable[[list[ColumnElement[bool]]], Any],
) -> tuple[Any, dict[str, Any]] | None:
    """A repository read's statement over a flat ``where``, made once per ``kind`` (what the
    read is, with whatever else shapes its statement) and shape, and its parameters: ``build``
    is given the spec's conditions (a soft-delete model's live rows unless
    ``include_deleted``) and the Filter's, as :meth:`.RepositorySpec.conditions` orders them.
    None: the general path, also for a cached model (its cache keys entries on the statement's
    values)."""
    if spec.cache is not None:
        return None

    def whole(conditions: list[ColumnElement[bool]]) -> Any:
        return build([*spec.conditions(None, include_deleted), *conditions])

    return flat_statements(spec).find(spec.model, where, (kind, include_deleted), whole)


def flat_page(
    spec: Any,
    where: Any,
    order_by: Any,
    limit: int | None,
    offset: int,
    include_deleted: bool,
    load: Any,
    counted: bool = False,
) -> tuple[Any, dict[str, Any]] | None:
    """A repository's ``list`` page (``counted``: ``list_and_count``'s, with the total on each
    row) over a flat ``where`` and no ``load``: (statement, parameters), the statement made
    once per order and shape with LIMIT and OFFSET as parameters and lazy loads raising as on
    every read (:mod:`.loading`); None: the general path."""

    def page(conditions: list[ColumnElement[bool]]) -> Any:
        select = spec.select_counted if counted else spec.select_page
        statement = select(conditions, order_by, None, 0).offset(_OFFSET)
        statement = statement if limit is None else statement.limit(_LIMIT)
        return statement.options(*spec.loads.options(None))

    if load or not isinstance(offset, int) or not isinstance(limit, int | None):
        return None  # SQLAlchemy's own coercion (and errors) for anything else
    kind = ("page", counted, order_names(order_by), limit is None)
    found = spec_statement(spec, kind, where, include_deleted, page)
    if found is None:
        return None
    statement, params = found
    return statement, {**params, "_limit": limit, "_offset": offset}
