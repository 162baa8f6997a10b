"""A generated ``<Model>Filter`` as a tree: its compiler to SQL and its limits for untrusted input.

A Filter struct holds three kinds of fields, told apart by their wire names (what msgspec decodes,
never what a caller chose): a column filter (:mod:`.filters`) under the column's attribute name;
a related model's Filter under the relationship's attribute name; and ``and``/``or``/``not``
(``and_``/``or_``/``not_`` in Python), which hold Filters of the same model. A field whose wire
name is neither of those (an extra field of a subclass) is not a condition.

Compilation (:func:`filter_conditions`): the fields that are set are ANDed; ``and`` is the AND of
its Filters, ``or`` their OR (an empty ``or`` matches nothing, as an empty ``in`` does; an empty
``and`` matches everything); a relationship field is a correlated ``EXISTS`` over the related
table (SQLAlchemy's ``any()`` for to-many, through the association table of a many-to-many, and
``has()`` for to-one), so a filtered list is still one statement with no JOIN: no duplicate
rows, and LIMIT, OFFSET and counts stay those of the model's rows. A relationship Filter with
nothing set means "has a related row". ``not`` is the complement of what its Filter matches:
where the Filter could be NULL (a comparison on a nullable column: SQL's unknown), it compiles to
``(...) IS NOT TRUE``, so ``not: {"note": {"eq": "x"}}`` keeps the rows whose note is NULL;
where it cannot (EXISTS, NOT NULL columns), to plain ``NOT``, which databases plan as an anti-join.

Limits (:func:`check_filter_tree`, run by every generated Filter's ``__post_init__``, so on decode
too, where its ValueError becomes a ``msgspec.ValidationError`` with the path): at most
``MAX_FILTER_DEPTH`` nested Filters (the outermost is level 1; each relationship, ``not`` and each
item of ``and``/``or`` is one level down) and at most ``MAX_FILTER_CONDITIONS`` Filters and column
filters in all. msgspec itself stops at about 1,000 levels of JSON nesting with a RecursionError,
before any ``__post_init__`` runs: :func:`decode_filter` turns that into the same
ValidationError, and is what a web layer should call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from sqlalchemy import ColumnElement, and_, false, not_, or_, true
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import aliased

from .dto import is_pydantic
from .filters import EqFilter

MAX_FILTER_DEPTH = 6
"""Nesting levels of Filters, the outermost included (``{"or": [{"customer": {...}}]}`` is 3)."""

MAX_FILTER_CONDITIONS = 200
"""Filters plus column filters in one tree (``{"name": {...}, "not": {"id": {...}}}`` is 4)."""

F = TypeVar("F", bound=msgspec.Struct)

_AND, _OR, _NOT = "and", "or", "not"


def check_filter_tree(root: msgspec.Struct) -> None:
    """Raise ValueError when ``root`` nests deeper than ``MAX_FILTER_DEPTH`` Filters or holds
    more than ``MAX_FILTER_CONDITIONS`` Filters and column filters.

    Iterative and stopping at the first excess, so a hostile tree costs at most the limit; a
    Filter decoded bottom-up runs this on each level, each walk bounded by the limits the levels
    below already passed.
    """
    check_tree(root, _struct_fields, EqFilter, msgspec.Struct)


def _struct_fields(node: Any) -> Iterable[str]:
    return node.__struct_fields__  # type: ignore[no-any-return]


def check_tree(
    root: Any, fields_of: Callable[[Any], Iterable[str]], column_filter: type, node: type
) -> None:
    """:func:`check_filter_tree` for either DTO flavour: ``fields_of`` names a Filter's fields,
    ``column_filter`` is the column filters' base and ``node`` the Filters' (the pydantic flavour
    passes its own, sublimate_runtime.pydantic_dto)."""
    pending: list[tuple[Any, int]] = [(root, 1)]
    count = 0
    while pending:
        current, depth = pending.pop()
        count += 1
        if depth > MAX_FILTER_DEPTH:
            raise ValueError(f"filters nest deeper than {MAX_FILTER_DEPTH} levels")
        for name in fields_of(current):
            value = getattr(current, name)
            if value is None:
                continue
            if isinstance(value, column_filter):
                count += 1
            elif isinstance(value, node):
                pending.append((value, depth + 1))
            elif isinstance(value, list):
                pending.extend((v, depth + 1) for v in value if isinstance(v, node))
            if count + len(pending) > MAX_FILTER_CONDITIONS:
                raise ValueError(f"more than {MAX_FILTER_CONDITIONS} filters and conditions")


def decode_filter(data: str | bytes, filter_type: type[F]) -> F:
    """``msgspec.json.decode(data, type=filter_type)``, with JSON nested too deep for msgspec's
    recursion (a RecursionError, not a DecodeError) reported as the ``msgspec.ValidationError``
    every other invalid filter raises."""
    try:
        return msgspec.json.decode(data, type=filter_type)
    except RecursionError:
        raise msgspec.ValidationError(
            f"filters nest deeper than {MAX_FILTER_DEPTH} levels"
        ) from None


@dataclass(frozen=True, slots=True)
class _Relation:
    field: str  # the Filter's field (Python name)
    key: str  # the relationship's attribute
    many: bool  # to-many: any(); to-one: has()
    target: type[Any]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a Filter type's fields mean on one model, read once from the mapper."""

    # (field, its attribute's name: the same but for a pydantic field renamed from a name pydantic
    # reserves, the model's attribute, the column is nullable)
    columns: tuple[tuple[str, str, Any, bool], ...]
    relations: tuple[_Relation, ...]
    and_: str | None
    or_: str | None
    not_: str | None


_PLANS: dict[tuple[type[Any], type[msgspec.Struct]], _Plan] = {}


def _plan(model: type[Any], filter_type: type[msgspec.Struct]) -> _Plan:
    """The plan of a (model, Filter type) pair, made once: a schema has one pair per model and
    relationship field, so the cache is bounded by the program, not by its input."""
    plan = _PLANS.get((model, filter_type))
    if plan is None:
        plan = _PLANS[(model, filter_type)] = _make_plan(model, filter_type)
    return plan


def _make_plan(model: type[Any], filter_type: type[msgspec.Struct]) -> _Plan:
    mapper = sa_inspect(model)
    relationships = mapper.relationships
    column_attrs = mapper.column_attrs
    columns: list[tuple[str, str, Any, bool]] = []
    relations: list[_Relation] = []
    combinators: dict[str, str] = {}
    for field, wire in _wire_fields(filter_type):
        if wire in (_AND, _OR, _NOT):
            combinators[wire] = field
        elif wire in relationships:
            prop = relationships[wire]
            relations.append(_Relation(field, wire, bool(prop.uselist), prop.mapper.class_))
        elif wire in column_attrs:
            nullable = any(getattr(c, "nullable", True) for c in column_attrs[wire].columns)
            columns.append((field, wire, getattr(model, wire), nullable))
    return _Plan(
        columns=tuple(columns),
        relations=tuple(relations),
        and_=combinators.get(_AND),
        or_=combinators.get(_OR),
        not_=combinators.get(_NOT),
    )


def _wire_fields(filter_type: type[Any]) -> list[tuple[str, str]]:
    """(Python name, wire name) of each field of a Filter: a msgspec Struct's, or (``dto =
    "pydantic"``) a pydantic model's, whose wire names are its validation aliases."""
    if is_pydantic(filter_type):
        from .pydantic_dto import field_names, wire_names

        return list(zip(field_names(filter_type), wire_names(filter_type), strict=True))
    fields: tuple[str, ...] = filter_type.__struct_fields__
    return list(zip(fields, filter_type.__struct_encode_fields__, strict=True))


@dataclass(slots=True)
class _Compiled:
    conditions: list[ColumnElement[bool]]
    nullable: bool  # whether their AND can be NULL (unknown) rather than true or false


def filter_conditions(model: type[Any], item: Any) -> list[ColumnElement[bool]]:
    """The WHERE clauses (to AND) of a Filter of ``model`` (a msgspec Struct or a pydantic
    model); see the module docstring."""
    return _compile(model, model, item, (model,)).conditions


def _compile(
    model: type[Any], entity: Any, item: msgspec.Struct, path: tuple[type[Any], ...]
) -> _Compiled:
    """``entity`` is ``model`` or an alias of it (a model already on ``path``: self-referencing
    or cyclic relationships get their own alias per level, so no level's columns are
    mistaken for another's)."""
    plan = _plan(model, type(item))
    out = _Compiled([], nullable=False)
    for field, name, attribute, nullable in plan.columns:
        value = getattr(item, field)
        if value is not None:
            found = value.conditions(attribute if entity is model else getattr(entity, name))
            out.conditions.extend(found)
            out.nullable = out.nullable or (nullable and bool(found))
    for relation in plan.relations:
        value = getattr(item, relation.field)
        if value is not None:
            out.conditions.append(_related(entity, relation, value, path))
    if plan.and_ is not None and (items := getattr(item, plan.and_)) is not None:
        for child in _each(model, entity, items, path):
            out.conditions.extend(child.conditions)
            out.nullable = out.nullable or child.nullable
    if plan.or_ is not None and (items := getattr(item, plan.or_)) is not None:
        children = list(_each(model, entity, items, path))
        out.conditions.append(or_(*(_all(c.conditions) for c in children)) if children else false())
        out.nullable = out.nullable or any(c.nullable for c in children)
    if plan.not_ is not None and (inner := getattr(item, plan.not_)) is not None:
        child = _compile(model, entity, inner, path)
        whole = _all(child.conditions)
        out.conditions.append(whole.is_not(true()) if child.nullable else not_(whole))
    return out


def _each(
    model: type[Any], entity: Any, items: Iterable[msgspec.Struct], path: tuple[type[Any], ...]
) -> Iterable[_Compiled]:
    return (_compile(model, entity, child, path) for child in items)


def _all(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    if not conditions:
        return true()
    return conditions[0] if len(conditions) == 1 else and_(*conditions)


def _related(
    entity: Any, relation: _Relation, value: msgspec.Struct, path: tuple[type[Any], ...]
) -> ColumnElement[bool]:
    """The correlated EXISTS of a relationship Filter: ``any()`` or ``has()`` of its conditions."""
    target = relation.target
    attribute = getattr(entity, relation.key)
    inner: Any = target
    if target in path:
        inner = aliased(target)
        attribute = attribute.of_type(inner)
    conditions = _compile(target, inner, value, (*path, target)).conditions
    criterion = _all(conditions) if conditions else None
    exists: ColumnElement[bool] = (
        attribute.any(criterion) if relation.many else attribute.has(criterion)
    )
    return exists
