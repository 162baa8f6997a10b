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

On MariaDB a relationship whose DTO is ints, Decimals and bounded strings is read as one
``JSON_OBJECT`` a row, decoded by msgspec (:class:`_JsonRows`): the same DTOs without the driver
parsing each column in Python.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Sequence
from decimal import Decimal
from operator import attrgetter
from typing import Any

import msgspec
from msgspec import inspect as mi
from sqlalchemy import Column, Select, String, bindparam, func, literal_column
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import RelationshipDirection
from sqlalchemy.sql import sqltypes

from .dto import is_pydantic
from .read_rows import POSITIONAL, RowPlan, RowReader

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

    __slots__ = ("build", "json", "key_at", "key_index", "many", "name", "select")

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
        json: _JsonRows | None = None,
    ) -> None:
        self.name = name  # the shape's field: the relationship's attribute
        self.key_index = key_index  # where a page row holds the local join column
        self.many = many
        self.build = build
        self.json = json if key_at is not None and len(columns) > 1 else None
        # The join column is read where the related DTO has it (`order_id` of a line), else
        # selected after the DTO's columns: on a pure-Python driver every column of every row
        # costs (MariaDB's pymysql parses each one). The statement is built once, its keys a
        # bound list: building a SELECT and its cache key per page cost more than reading it.
        # Its rows are read by position (read_rows.POSITIONAL).
        self.key_at = -1 if key_at is None else key_at
        key = () if key_at is not None else (remote.label("sublimate_key"),)
        self.select = (
            _RelatedSelect(*columns, *key)
            .where(remote.in_(bindparam("sublimate_keys", expanding=True)))
            .order_by(*order_by)
            .execution_options(**POSITIONAL)
        )
        self.select.sublimate_json = self.json

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
        if self.json is not None and rows and len(rows[0]) == 1:  # one JSON object a row
            return self.json.grouped(rows, self.many)
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


class _RelatedSelect(Select[Any]):
    """A relationship's SELECT, compiled on MariaDB as its rows' JSON objects (:class:`_JsonRows`)
    where that gives the same DTOs; its plain SELECT elsewhere. The class is in its cache key:
    a plain SELECT of the same columns never shares its compiled form."""

    inherit_cache = True
    sublimate_json: _JsonRows | None = None


@compiles(_RelatedSelect)
def _compile_related(element: _RelatedSelect, compiler: Any, **kw: Any) -> str:
    """The JSON form only for the statement as built: not nested in another, and without the
    options a ``do_orm_execute`` hook may add (``with_loader_criteria``, as multi-tenancy does):
    such a statement is compiled as written, so the options act as on any SELECT. A hook's added
    WHERE is kept (the JSON form is the same statement with one column)."""
    json = element.sublimate_json
    plain = (
        json is None
        or bool(compiler.stack)
        or any(getattr(element, name, ()) for name in _ADDED_OPTIONS)
        or not _json_server(compiler.dialect)
    )
    if plain:
        text: str = compiler.visit_select(element, **kw)
        return text
    assert json is not None
    variant: Any = element.with_only_columns(json.column)  # a _RelatedSelect
    variant.sublimate_json = None
    text = compiler.process(variant, **kw)
    return text


# Where a statement keeps its options (`.options()`; compile-state functions, named
# `_with_context_options` before SQLAlchemy 2.1).
_ADDED_OPTIONS = ("_with_options", "_compile_state_funcs", "_with_context_options")


def _json_server(dialect: Any) -> bool:
    """MariaDB, where JSON_OBJECT's text of the types :class:`_JsonRows` allows was checked
    against what pymysql and aiomysql read (tests/behaviour/test_nested_reads.py); not MySQL."""
    version = dialect.server_version_info or ()
    return bool(getattr(dialect, "is_mariadb", False)) and tuple(version[:2]) >= (10, 5)


class _JsonRows:
    """A relationship's rows read as one ``JSON_OBJECT(...)`` each, decoded by msgspec (in C)
    into the related DTOs: on MariaDB through a pure-Python driver (pymysql, aiomysql) every
    column of every row is parsed in Python, which is most of a nested page (bench/nested.py:
    250 lines of 5 columns). One object per row, not one array per key: an aggregate
    (JSON_ARRAYAGG, GROUP_CONCAT) is cut at ``group_concat_max_len`` and would lose rows.

    Only where the JSON gives the very values the driver would: every field is an int, Decimal
    or str (or that or None where the column is nullable), without constraints that decoding
    would check and building does not, over a column of a plain type (no TypeDecorator, no
    variant for MySQL/MariaDB) of the same kind: Integer (no Boolean), Numeric as Decimal (no
    Float), a String of bounded length with no collation (no Text: a value JSON-escaped past
    ``max_allowed_packet`` would make the object NULL). JSON renders a DECIMAL with its scale
    (1.00), a BIGINT exactly, a string escaped (quotes, control characters, any Unicode)."""

    __slots__ = ("column", "decoder", "key")

    def __init__(self, child: type[Any], pairs: list[Any], key: str) -> None:
        self.column = func.json_object(*pairs, type_=String()).label("sublimate_json")
        self.decoder = msgspec.json.Decoder(list[child])  # type: ignore[valid-type]
        self.key = attrgetter(key)

    @classmethod
    def of(cls, child: type[Any], columns: Sequence[Any], key: str) -> _JsonRows | None:
        info = mi.type_info(child)
        if not isinstance(info, mi.StructType) or info.array_like or info.tag is not None:
            return None
        if len(info.fields) != len(columns):
            return None
        pairs: list[Any] = []
        budget = 0  # the worst JSON text of a row: every character escaped as \uXXXX
        for field, attribute in zip(info.fields, columns, strict=True):
            column = attribute.property.columns[0]
            kind = _json_kind(field, column)
            if kind is None or not _identifier(field.encode_name):
                return None
            budget += 32 + len(field.encode_name) + (6 * column.type.length if kind is str else 0)
            pairs += [literal_column(f"'{field.encode_name}'"), attribute]
        return cls(child, pairs, key) if budget <= _JSON_BUDGET else None

    def grouped(self, rows: Sequence[Any], many: bool) -> dict[Any, Any]:
        texts = [row[0] for row in rows]
        if None in texts:  # past max_allowed_packet: an error, never a row left out
            raise RuntimeError("a related row's JSON_OBJECT is NULL (max_allowed_packet?)")
        items = self.decoder.decode("[" + ",".join(texts) + "]")
        key = self.key
        by_key: dict[Any, Any] = {}
        if many:
            for item in items:
                by_key.setdefault(key(item), []).append(item)
        else:
            for item in items:
                by_key[key(item)] = item
        return by_key


_JSON_BUDGET = 1 << 20  # bytes a row's object may reach: MariaDB's max_allowed_packet is 16 MiB
_INTEGERS = (
    sqltypes.Integer, sqltypes.BigInteger, sqltypes.SmallInteger,
    sqltypes.INTEGER, sqltypes.BIGINT, sqltypes.SMALLINT,
)  # fmt: skip
_DECIMALS = (sqltypes.Numeric, sqltypes.NUMERIC, sqltypes.DECIMAL)
_STRINGS = (sqltypes.String, sqltypes.Unicode, sqltypes.VARCHAR, sqltypes.NVARCHAR)


def _json_kind(field: mi.Field, column: Any) -> type[Any] | None:
    """int, Decimal or str: what the field decodes from the column's JSON, or None: not one
    :class:`_JsonRows` allows."""
    info = field.type
    if isinstance(info, mi.UnionType):
        members = [t for t in info.types if not isinstance(t, mi.NoneType)]
        if len(members) != 1 or len(info.types) != 2:
            return None
        info = members[0]
    elif column.nullable:
        return None  # a NULL the constructor would take and decoding would reject
    sql = column.type
    if not isinstance(column, Column) or any(
        name in ("mysql", "mariadb") for name in getattr(sql, "_variant_mapping", ())
    ):
        return None
    constraints: tuple[Any, ...]
    if isinstance(info, mi.IntType) and type(sql) in _INTEGERS:
        kind: type[Any] = int
        constraints = (info.gt, info.ge, info.lt, info.le, info.multiple_of)
    elif isinstance(info, mi.DecimalType) and type(sql) in _DECIMALS and sql.asdecimal:
        kind, constraints = Decimal, ()
    elif isinstance(info, mi.StrType) and type(sql) in _STRINGS:
        if sql.length is None or sql.collation is not None:
            return None
        kind, constraints = str, (info.min_length, info.max_length, info.pattern)
    else:
        return None
    return kind if all(c is None for c in constraints) else None


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
        json=_JsonRows.of(child, columns, remote_attr),
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
