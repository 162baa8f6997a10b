"""Nested Read DTOs straight from column rows: the row path of ``list_with``/``list_after_with``.

The ORM path (the repository with ``load=``, then ``msgspec.convert``) spends most of a page of
orders with their lines building ORM objects that are thrown away: it costs what Advanced
Alchemy's ``load=`` and ``to_schema`` cost, where this path takes 0.44-0.73 of it
(``bench/nested.py``: 50 orders, 250 lines, three databases; README "Nested Read DTOs").
Like the service's ``list`` (:mod:`.read_rows`), the row path selects the columns instead: the
page as ``list`` reads it, then per relationship one ``SELECT <the related Read DTO's columns>
WHERE <key> IN (...)`` (as ``selectinload`` reads a level), grouped by key in Python and set on
each item.

Taken only where it gives what the ORM path gives, else the service reads through the ORM
(decided once per shape): the service has the row path (see :mod:`.read_rows`); the shape is the
model's Read DTO plus relationship fields, one level deep; each relationship joins one column
to one column (no association table, no inheritance on either side), its DTO's fields are
columns of its table, and the shape holds a list for a collection and one object (or None) for
a to-one. A relationship's ``order_by`` orders its rows as the ORM would; without one the rows
come in the database's order, as they do through ``selectinload``.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Sequence
from typing import Any

from msgspec import inspect as mi
from sqlalchemy import Column, Select, bindparam, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import RelationshipDirection

from .dto import is_pydantic
from .read_rows import RowPlan, RowReader

__all__ = ["NestedRows", "nested_rows", "shape_rows"]

_CHUNK = 500  # keys per IN (...): as selectinload chunks them
_MAX_CACHED = 1024
_CACHE: dict[tuple[type[Any], type[Any]], NestedRows | None] = {}


def shape_rows(
    reader: RowReader[Any] | None, shape: type[Any]
) -> tuple[RowPlan[Any], NestedRows] | None:
    """The row path of a service's reads of `shape` (its page plan, and how the related rows
    are read and set), or None: the ORM path. Decided once per shape and service model."""
    plan = None if reader is None else reader.plan
    if reader is None or plan is None:
        return None
    key = (shape, reader.read)
    if key in _CACHE:
        found = _CACHE[key]
    else:
        found = nested_rows(shape, reader.read, plan.spec.model)
        if len(_CACHE) < _MAX_CACHED:
            _CACHE[key] = found
    return None if found is None else (plan, found)


class _Related:
    """One relationship of a shape: how its rows are selected and grouped."""

    __slots__ = ("build", "key_at", "key_index", "many", "name", "select")

    def __init__(
        self,
        name: str,
        columns: tuple[Any, ...],
        remote: Any,
        key_index: int,
        many: bool,
        order_by: tuple[Any, ...],
        build: Callable[[Any], Any],
        key_at: int | None = None,
    ) -> None:
        self.name = name  # the shape's field: the relationship's attribute
        self.key_index = key_index  # where a page row holds the local join column
        self.many = many
        self.build = build
        # The join column is read where the related DTO has it (`order_id` of a line), else
        # selected after the DTO's columns: on a pure-Python driver every column of every row
        # costs (MariaDB's pymysql parses each one). The statement is built once, its keys a
        # bound list: building a SELECT and its cache key per page cost more than reading it.
        self.key_at = -1 if key_at is None else key_at
        key = () if key_at is not None else (remote.label("sublimate_key"),)
        self.select = (
            select(*columns, *key)
            .where(remote.in_(bindparam("sublimate_keys", expanding=True)))
            .order_by(*order_by)
        )

    def keys(self, rows: Sequence[Any]) -> list[Any]:
        return sorted({row[self.key_index] for row in rows if row[self.key_index] is not None})

    def statements(self, rows: Sequence[Any]) -> list[Select[Any]]:
        keys = self.keys(rows)
        select_ = self.select
        return [
            select_.params(sublimate_keys=keys[start : start + _CHUNK])
            for start in range(0, len(keys), _CHUNK)
        ]

    def grouped(self, rows: Sequence[Any]) -> dict[Any, Any]:
        by_key: dict[Any, Any] = {}
        build = self.build
        at = self.key_at
        if self.many:
            for row in rows:
                by_key.setdefault(row[at], []).append(build(row))
        else:
            for row in rows:
                by_key[row[at]] = build(row)
        return by_key


class NestedRows:
    """The row path of one shape: the statements for a page's related rows, then its items."""

    __slots__ = ("_build", "_related")

    def __init__(self, related: tuple[_Related, ...], build: Callable[..., Any]) -> None:
        self._related = related
        self._build = build

    def statements(self, rows: Sequence[Any]) -> list[Select[Any]]:
        """Every statement that reads the related rows of `rows`, relationship by relationship
        (none for an empty page); :meth:`items` takes their rows in this order."""
        return [statement for r in self._related for statement in r.statements(rows)]

    def items(self, rows: Sequence[Any], fetched: Sequence[Sequence[Any]]) -> list[Any]:
        """The shape's items from the page's rows and the rows of :meth:`statements`."""
        found = iter(fetched)
        groups = []
        for related in self._related:
            chunks = -(-len(related.keys(rows)) // _CHUNK)  # how many statements it had
            groups.append(related.grouped([row for _ in range(chunks) for row in next(found)]))
        build = self._build
        return [build(row, *groups) for row in rows]


def nested_rows(shape: type[Any], read: type[Any], model: type[Any]) -> NestedRows | None:
    """The row path of `shape` over the page rows of `read` (the model's Read DTO, whose fields
    the page selects in order), or None when the shape needs the ORM path."""
    if not (isinstance(shape, type) and issubclass(shape, read) and shape is not read):
        return None
    if is_pydantic(shape):  # dto = "pydantic": through the ORM (nested.to_shapes)
        return None
    info = mi.type_info(shape)
    mapper = sa_inspect(model)
    fields: tuple[str, ...] = read.__struct_fields__
    if not isinstance(info, mi.StructType) or mapper.inherits is not None:
        return None
    if not all(_identifier(field.name) for field in info.fields):
        return None  # a class made at run time with any names: the ORM path
    related = []
    for field in info.fields:
        if field.name in fields:
            continue
        found = _related(mapper, field, fields)
        if found is None:
            return None
        related.append(found)
    return NestedRows(tuple(related), _constructor(shape, fields, related))


def _related(mapper: Any, field: mi.Field, fields: tuple[str, ...]) -> _Related | None:
    prop = mapper.relationships.get(field.name)
    if prop is None or prop.secondary is not None or len(prop.local_remote_pairs) != 1:
        return None
    if prop.mapper.inherits is not None or prop.direction is RelationshipDirection.MANYTOMANY:
        return None
    child = _child_type(field.type, prop.uselist)
    local, remote = prop.local_remote_pairs[0]
    if child is None or not (_own(local, mapper) and _own(remote, prop.mapper)):
        return None
    local_attr = mapper.get_property_by_column(local).key
    columns = _columns(child, prop.mapper)
    if local_attr not in fields or columns is None:
        return None
    remote_attr = prop.mapper.get_property_by_column(remote).key
    child_fields: tuple[str, ...] = child.__struct_fields__
    return _Related(
        name=field.name,
        columns=columns,
        remote=remote,
        key_index=fields.index(local_attr),
        many=prop.uselist,
        order_by=tuple(prop.order_by) if prop.order_by else (),
        build=_row_constructor(child, child_fields),
        key_at=child_fields.index(remote_attr) if remote_attr in child_fields else None,
    )


def _child_type(info: mi.Type, many: bool) -> type[Any] | None:
    """The related DTO class: `list[X]` for a collection, `X` or `X | None` for a to-one."""
    if many:
        if not isinstance(info, mi.ListType):
            return None
        info = info.item_type
    elif isinstance(info, mi.UnionType):
        members = [t for t in info.types if not isinstance(t, mi.NoneType)]
        if len(members) != 1:
            return None
        info = members[0]
    if not isinstance(info, mi.StructType):
        return None
    cls: type[Any] = info.cls
    return cls


def _columns(read: type[Any], mapper: Any) -> tuple[Any, ...] | None:
    """The mapped column of every field of `read` (its table's own), or None when a field is
    not one (a nested shape one level down, a column_property): the ORM path then."""
    columns = []
    for name in read.__struct_fields__:
        prop = mapper.column_attrs.get(name)
        if not _identifier(name):
            return None
        if prop is None or len(prop.columns) != 1 or not _own(prop.columns[0], mapper):
            return None
        columns.append(getattr(mapper.class_, name))
    return tuple(columns) if columns else None


def _identifier(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def _own(column: Any, mapper: Any) -> bool:
    return isinstance(column, Column) and column.table is mapper.local_table


def _constructor(
    shape: type[Any], fields: tuple[str, ...], related: Sequence[_Related]
) -> Callable[..., Any]:
    """``lambda row, g0, g1: Shape(a=row[0], ..., lines=g0.get(row[k]) or [], customer=
    g1.get(row[j]))``: a new list per item (a shared default would be one list for all)."""
    parts = [f"{name}=row[{index}]" for index, name in enumerate(fields)]
    groups = [f"g{index}" for index in range(len(related))]
    for group, r in zip(groups, related, strict=True):
        value = f"{group}.get(row[{r.key_index}])"
        parts.append(f"{r.name}={value} or []" if r.many else f"{r.name}={value}")
    built: Callable[..., Any] = _compiled(
        shape, [*fields, *(r.name for r in related)], groups, parts
    )
    return built


def _row_constructor(read: type[Any], fields: tuple[str, ...]) -> Callable[[Any], Any]:
    parts = [f"{name}=row[{index}]" for index, name in enumerate(fields)]
    built: Callable[[Any], Any] = _compiled(read, fields, [], parts)
    return built


def _compiled(cls: type[Any], names: Sequence[str], groups: list[str], parts: list[str]) -> Any:
    """The constructor's lambda (as ``read_rows._constructor``): the names are the fields,
    checked to be identifiers, and nothing else reaches the source."""
    if not all(map(_identifier, names)):  # checked by the callers: a guard, not a path
        raise ValueError(f"{cls.__name__}: a field name is not an identifier")
    parameters = ", ".join(["row", *groups])
    return eval(f"lambda {parameters}: cls({', '.join(parts)})", {"cls": cls})
