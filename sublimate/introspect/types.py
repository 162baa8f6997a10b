"""SQL type -> Python type, DTO constraints and filter kind: shared by both front ends.

The strings made here are printed by the templates as they are, so they follow one convention:

- stdlib modules are imported whole and printed qualified: `datetime.datetime`, `decimal.Decimal`,
  `uuid.UUID`, with the import `("datetime", "")` (`import datetime`).
- `typing` names are imported by name and printed bare: `Any`, `Literal['a', 'b']`,
  `Annotated[...]`, with `("typing", "Any")`; msgspec's `Meta` likewise with `("msgspec", "Meta")`.
- an enum class is imported by name from its module: `Status` with `("shop.models", "Status")`.
- `sql_type_expr` is a SQLAlchemy expression with the `sa.` prefix (`sa.Numeric(10, 2)`): a module
  that prints it must `import sqlalchemy as sa`, an import never listed in `imports`. `imports`
  holds what `python_type` and `dto_type` need. A dialect-specific type is spelled with its
  nearest generic ancestor exported by `sqlalchemy` (`postgresql.JSONB` -> `sa.JSON()`), while
  `sql_type` keeps the real name (`JSONB`) for messages.

DTO constraints: what the column can hold, so that a value it cannot hold is a validation error
where the input came in (a 400 naming the field) rather than a driver error inside a write (a 500,
or a silent truncation). msgspec checks them on decode, and they show in the JSON/OpenAPI schema.

- `String(n)` -> `Annotated[str, Meta(max_length=n, pattern=NO_NUL)]`; every string column
  refuses NUL (PostgreSQL cannot store it in text); `LargeBinary(n)` -> `max_length` for bytes.
- an integer -> `Annotated[int, Meta(ge=..., le=...)]`, the range of its SQL type: SMALLINT 16
  bits, INTEGER 32, BIGINT 64 (MySQL's TINYINT 8 and MEDIUMINT 24), unsigned from 0 on MySQL. The
  declared type decides, on SQLite too, where every integer column stores 64 bits.
- `Uuid(as_uuid=False)` (read as `str`) -> `Meta(pattern=UUID_TEXT)`: a malformed UUID is a 400,
  not PostgreSQL's "invalid input syntax for type uuid".
- `DateTime` / `Time` -> `Meta(tz=True)` with `timezone=True`, else `Meta(tz=False)`: an aware
  value in a naive column (or the reverse) is refused instead of shifted or rejected by a driver.
- a `Numeric(p, s)` read as float -> `Annotated[float, Meta(gt=-10**(p-s), lt=10**(p-s))]`. A
  `Numeric` read as `decimal.Decimal` gets no `Meta`: msgspec rejects numeric bounds on Decimal
  (`TypeError: Can only set gt on a numeric type`), so the bounds stay in `precision` / `scale`
  for the generated `__post_init__` checks.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import types
import typing
import uuid
from dataclasses import dataclass
from typing import Any, Literal, Union

import sqlalchemy
from sqlalchemy.sql import sqltypes
from sqlalchemy.types import TypeDecorator, TypeEngine

from sublimate import naming
from sublimate.bounds import NO_NUL, UUID_TEXT, int_bounds
from sublimate.ir import Diagnostic, EnumType, FilterKind, Import

__all__ = ["ColumnType", "column_type", "int_range", "render_annotation", "with_int_range"]

_STDLIB: dict[type, tuple[str, Import]] = {
    datetime.datetime: ("datetime.datetime", ("datetime", "")),
    datetime.date: ("datetime.date", ("datetime", "")),
    datetime.time: ("datetime.time", ("datetime", "")),
    datetime.timedelta: ("datetime.timedelta", ("datetime", "")),
    decimal.Decimal: ("decimal.Decimal", ("decimal", "")),
    uuid.UUID: ("uuid.UUID", ("uuid", "")),
}
_BUILTINS = frozenset({int, str, float, bool, bytes, bytearray, list, dict, set, frozenset, tuple})
_CONTAINERS = frozenset({list, dict, set, frozenset, tuple})
_ANY: Import = ("typing", "Any")
_ANNOTATED: Import = ("typing", "Annotated")
_META: Import = ("msgspec", "Meta")

# Bits of the integer SQL types, most specific class first (MySQL's types subclass the generic
# ones, TINYINT and MEDIUMINT only `Integer`); anything else integer is an INTEGER.
_INT_BITS: tuple[tuple[str, int], ...] = (
    ("TINYINT", 8),
    ("SmallInteger", 16),
    ("MEDIUMINT", 24),
    ("BigInteger", 64),
)


def render_annotation(tp: object) -> tuple[str, tuple[Import, ...]]:
    """A resolved annotation as source text plus the imports it needs.

    Renders builtins, the datetime/decimal/uuid classes, enum classes, `Any`, `Literal` of
    str/int/bool/None, unions (`X | None`) and list/dict/set/frozenset/tuple of those.
    `Annotated[X, ...]` renders as `X`. Raises `ValueError` for anything else (user classes,
    forward references, protocols): the caller then falls back to the SQL-derived type.
    """
    imports: set[Import] = set()
    text = _render(tp, imports)
    return text, tuple(sorted(imports))


def _render(tp: object, imports: set[Import]) -> str:
    if tp is Any:
        imports.add(_ANY)
        return "Any"
    if tp is None or tp is type(None):
        return "None"
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _render(args[0], imports)
    if origin is Union or origin is types.UnionType:
        return " | ".join(_render(arg, imports) for arg in args)
    if origin is Literal:
        if not args or not all(arg is None or isinstance(arg, str | int) for arg in args):
            raise ValueError(f"cannot render {tp!r}: Literal values must be str, int or bool")
        imports.add(("typing", "Literal"))
        return f"Literal[{', '.join(naming.literal(arg) for arg in args)}]"
    if origin in _CONTAINERS:
        assert isinstance(origin, type)
        if not args:
            return origin.__name__
        inner = ", ".join("..." if arg is Ellipsis else _render(arg, imports) for arg in args)
        return f"{origin.__name__}[{inner}]"
    if origin is None and isinstance(tp, type):
        if tp in _STDLIB:
            text, module = _STDLIB[tp]
            imports.add(module)
            return text
        if tp in _BUILTINS:
            return tp.__name__
        if issubclass(tp, enum.Enum):
            return _class_ref(tp, imports)
    raise ValueError(f"cannot render annotation {tp!r}")


def _class_ref(cls: type, imports: set[Import]) -> str:
    """`Status` (or `Outer.Status`) imported from the module that defines it."""
    if "<locals>" in cls.__qualname__ or cls.__module__ in ("__main__", "builtins"):
        raise ValueError(f"{cls.__qualname__} cannot be imported from {cls.__module__}")
    imports.add((cls.__module__, cls.__qualname__.split(".")[0]))
    return cls.__qualname__


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnType:
    """The type-related fields of `ir.Column`, plus what the caller must record elsewhere."""

    python_type: str
    dto_type: str
    sql_type: str
    sql_type_expr: str
    max_length: int | None
    precision: int | None
    scale: int | None
    filter_kind: FilterKind
    orderable: bool
    imports: tuple[Import, ...]
    enum: EnumType | None  # for Schema.enums; Column.enum = enum.name
    diagnostics: tuple[Diagnostic, ...]
    int_range: tuple[int, int] | None = None  # the values an integer SQL type holds
    pattern: str | None = None  # a str column's values match it (a UUID's text), else None


@dataclass(frozen=True, slots=True)
class _Spelling:
    """A type constructor call: `name` for messages, `expr_name` under `sa.` for code."""

    name: str
    expr_name: str
    args: tuple[str | _Spelling, ...] = ()

    def human(self) -> str:
        if not self.args:
            return self.name
        parts = [arg.human() if isinstance(arg, _Spelling) else arg for arg in self.args]
        return f"{self.name}({', '.join(parts)})"

    def expr(self) -> str:
        parts = [arg.expr() if isinstance(arg, _Spelling) else arg for arg in self.args]
        return f"sa.{self.expr_name}({', '.join(parts)})"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Sql:
    python_type: str
    imports: tuple[Import, ...]
    filter_kind: FilterKind
    orderable: bool
    spelling: _Spelling
    meta: str | None = None  # msgspec Meta arguments for dto_type
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    enum: EnumType | None = None
    problem: str | None = None
    int_range: tuple[int, int] | None = None
    pattern: str | None = None


def column_type(sa_type: TypeEngine[Any], *, declared: object = None, where: str) -> ColumnType:
    """Map one column's SQLAlchemy type (and the model's declared `Mapped[X]`, unwrapped).

    `declared` is the resolved `X` of `Mapped[X]`, or None when the model declares nothing.
    When `X` renders (see `render_annotation`), it wins over the SQL-derived type so DTOs agree
    with the model under mypy; `X | None` counts as `X` (nullability is the column's). DTO
    constraints are kept only when `X` is the SQL-derived type. Never raises for an unknown
    type: it comes back as `Any`, not filterable, with a Diagnostic at `where` ("table.column").
    """
    sql = _sql(sa_type)
    python_type = sql.python_type
    imports = set(sql.imports)
    filter_kind = sql.filter_kind
    enum_type = sql.enum
    dto_type = python_type
    if sql.meta is not None:
        dto_type = f"Annotated[{python_type}, Meta({sql.meta})]"
        imports |= {_ANNOTATED, _META}
    int_range = sql.int_range
    pattern = sql.pattern
    declared_text = _render_declared(declared)
    if declared_text is not None and declared_text[0] != python_type:
        python_type = dto_type = declared_text[0]
        imports = set(declared_text[1])
        enum_type = None
        int_range = None
        pattern = None
        if filter_kind is FilterKind.TEXT and python_type != "str":
            filter_kind = FilterKind.EQUALITY
    diagnostics: tuple[Diagnostic, ...] = ()
    if sql.problem is not None:
        diagnostics = (Diagnostic(where=where, message=sql.problem),)
    return ColumnType(
        python_type=python_type,
        dto_type=dto_type,
        sql_type=sql.spelling.human(),
        sql_type_expr=sql.spelling.expr(),
        max_length=sql.max_length,
        precision=sql.precision,
        scale=sql.scale,
        filter_kind=filter_kind,
        orderable=sql.orderable,
        imports=tuple(sorted(imports)),
        enum=enum_type,
        diagnostics=diagnostics,
        int_range=int_range,
        pattern=pattern,
    )


def _render_declared(declared: object) -> tuple[str, tuple[Import, ...]] | None:
    if declared is None:
        return None
    members: tuple[object, ...] = (declared,)
    if typing.get_origin(declared) in (Union, types.UnionType):
        members = tuple(arg for arg in typing.get_args(declared) if arg is not type(None))
    try:
        rendered = [render_annotation(member) for member in members]
    except ValueError:
        return None
    if not rendered:
        return None
    text = " | ".join(text for text, _ in rendered)
    return text, tuple(sorted({imp for _, imps in rendered for imp in imps}))


def _expr_name(sa_type: TypeEngine[Any]) -> str | None:
    """The nearest class of `sa_type` that `import sqlalchemy as sa` exposes as `sa.<name>`."""
    for cls in type(sa_type).__mro__:
        name: str = cls.__name__
        if (
            issubclass(cls, TypeEngine)
            and cls not in (TypeEngine, TypeDecorator)
            and getattr(sqlalchemy, name, None) is cls
        ):
            return name
    return None


def _spell(sa_type: TypeEngine[Any], *args: str | _Spelling, fallback: str) -> _Spelling:
    name = type(sa_type).__name__
    return _Spelling(name, _expr_name(sa_type) or fallback, tuple(args))


def _simple(
    sa_type: TypeEngine[Any],
    python: object,
    filter_kind: FilterKind,
    *args: str,
    fallback: str,
    orderable: bool = True,
) -> _Sql:
    text, imports = render_annotation(python)
    return _Sql(
        python_type=text,
        imports=imports,
        filter_kind=filter_kind,
        orderable=orderable,
        spelling=_spell(sa_type, *args, fallback=fallback),
    )


def _sql(sa_type: TypeEngine[Any]) -> _Sql:
    t = sa_type
    if isinstance(t, sqltypes.Enum):
        return _enum(t)
    if isinstance(t, sqltypes.Boolean):
        return _simple(t, bool, FilterKind.EQUALITY, fallback="Boolean")
    if isinstance(t, sqltypes.Integer):
        return _integer(t)
    if isinstance(t, sqltypes.Float | sqltypes.Numeric):
        return _numeric(t)
    if isinstance(t, sqltypes.String):
        return _string(t)
    if isinstance(t, sqltypes.DateTime | sqltypes.Time):
        tz = ("timezone=True",) if t.timezone else ()
        python = datetime.datetime if isinstance(t, sqltypes.DateTime) else datetime.time
        fallback = "DateTime" if python is datetime.datetime else "Time"
        simple = _simple(t, python, FilterKind.RANGE, *tz, fallback=fallback)
        return dataclasses.replace(simple, meta=f"tz={bool(t.timezone)}")
    if isinstance(t, sqltypes.Date):
        return _simple(t, datetime.date, FilterKind.RANGE, fallback="Date")
    if isinstance(t, sqltypes._AbstractInterval):
        return _interval(t)
    if isinstance(t, sqltypes._Binary):
        return _binary(t)
    if isinstance(t, sqltypes.JSON):
        args = ("none_as_null=True",) if t.none_as_null else ()
        return _simple(t, Any, FilterKind.NONE, *args, fallback="JSON", orderable=False)
    if isinstance(t, sqltypes.Uuid):
        if not t.as_uuid:
            text = _simple(t, str, FilterKind.EQUALITY, "as_uuid=False", fallback="Uuid")
            meta = f"pattern={naming.literal(UUID_TEXT)}"
            return dataclasses.replace(text, meta=meta, pattern=UUID_TEXT)
        return _simple(t, uuid.UUID, FilterKind.EQUALITY, fallback="Uuid")
    if isinstance(t, sqltypes.ARRAY):
        return _array(t)
    if isinstance(t, sqltypes.PickleType):
        return _simple(t, Any, FilterKind.NONE, fallback="PickleType", orderable=False)
    if isinstance(t, TypeDecorator):
        return _decorated(t)
    return _unknown(t)


def int_range(sa_type: TypeEngine[Any]) -> tuple[int, int]:
    """The smallest and largest value of an integer SQL type (see `_INT_BITS`)."""
    names = {cls.__name__ for cls in type(sa_type).__mro__}
    bits = next((bits for name, bits in _INT_BITS if name in names), 32)
    if getattr(sa_type, "unsigned", False):
        return 0, 2**bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def with_int_range(info: ColumnType, bounds: tuple[int, int]) -> ColumnType:
    """`info` of an integer column whose values are `bounds` instead (a dialect's own range)."""
    if info.int_range is None or info.dto_type != _int_dto(info.int_range):
        return info
    return dataclasses.replace(info, int_range=bounds, dto_type=_int_dto(bounds))


def _int_dto(bounds: tuple[int, int]) -> str:
    return f"Annotated[int, Meta({_int_meta(bounds)})]"


def _int_meta(bounds: tuple[int, int]) -> str:
    """`ge=..., le=...`; msgspec takes no bound beyond int64 (an unsigned BIGINT gets `ge=0`)."""
    return ", ".join(int_bounds(bounds))


def _integer(t: sqltypes.Integer) -> _Sql:
    bounds = int_range(t)
    simple = _simple(t, int, FilterKind.RANGE, fallback="Integer")
    return dataclasses.replace(simple, meta=_int_meta(bounds), int_range=bounds)


def _numeric(t: sqltypes.Numeric[Any] | sqltypes.Float[Any]) -> _Sql:
    is_float = isinstance(t, sqltypes.Float)
    python: type = decimal.Decimal if t.asdecimal else float
    args: list[str] = []
    if t.precision is not None:
        args.append(str(t.precision))
    scale = None if is_float else t.scale
    if scale is not None:
        args.append(str(scale))
    if t.asdecimal != (not is_float):
        args.append(f"asdecimal={t.asdecimal}")
    meta = None
    if not is_float and python is float and t.precision is not None:
        bound = 10 ** (t.precision - (scale or 0))
        meta = f"gt={-bound}, lt={bound}"
    text, imports = render_annotation(python)
    return _Sql(
        python_type=text,
        imports=imports,
        filter_kind=FilterKind.RANGE,
        orderable=True,
        spelling=_spell(t, *args, fallback="Float" if is_float else "Numeric"),
        meta=meta,
        precision=t.precision,
        scale=scale,
    )


def _string(t: sqltypes.String) -> _Sql:
    args: list[str] = []
    if t.length is not None:
        args.append(str(t.length))
    if t.collation is not None:
        args.append(f"collation={naming.literal(t.collation)}")
    return _Sql(
        python_type="str",
        imports=(),
        filter_kind=FilterKind.TEXT,
        orderable=True,
        spelling=_spell(t, *args, fallback="String"),
        meta=(f"max_length={t.length}, " if t.length is not None else "")
        + f"pattern={naming.literal(NO_NUL)}",
        max_length=t.length,
    )


def _binary(t: sqltypes._Binary) -> _Sql:
    length = t.length
    return _Sql(
        python_type="bytes",
        imports=(),
        filter_kind=FilterKind.NONE,
        orderable=False,
        spelling=_spell(t, *([str(length)] if length is not None else []), fallback="LargeBinary"),
        meta=f"max_length={length}" if length is not None else None,
        max_length=length,
    )


def _interval(t: sqltypes._AbstractInterval) -> _Sql:
    args: list[str] = []
    if isinstance(t, sqltypes.Interval):
        if not t.native:
            args.append("native=False")
        if t.second_precision is not None:
            args.append(f"second_precision={t.second_precision}")
        if t.day_precision is not None:
            args.append(f"day_precision={t.day_precision}")
    return _simple(t, datetime.timedelta, FilterKind.RANGE, *args, fallback="Interval")


def _enum(t: sqltypes.Enum) -> _Sql:
    args: list[str] = []
    enum_type = None
    problem = None
    cls = t.enum_class
    imports: set[Import] = set()
    if cls is not None:
        try:
            python_type = _class_ref(cls, imports)
        except ValueError as exc:
            problem = f"enum {exc}: typed as a Literal of its database values"
            cls = None
    if cls is not None:
        members = [member for member in cls if isinstance(member, enum.Enum)]
        values = tuple((m.name, str(db)) for m, db in zip(members, t.enums, strict=False))
        import_ = (cls.__module__, cls.__qualname__.split(".")[0])
        enum_type = EnumType(name=python_type, import_=import_, values=values)
        args.append(python_type)
        default_name = cls.__name__.lower()
    else:
        if t.enums:
            imports.add(("typing", "Literal"))
            python_type = f"Literal[{', '.join(naming.literal(v) for v in t.enums)}]"
        else:
            python_type = "str"
        args.extend(naming.literal(v) for v in t.enums)
        default_name = None
    if t.name is not None and t.name != default_name:
        args.append(f"name={naming.literal(t.name)}")
    if not t.native_enum:
        args.append("native_enum=False")
    return _Sql(
        python_type=python_type,
        imports=tuple(sorted(imports)),
        filter_kind=FilterKind.EQUALITY,
        orderable=True,
        spelling=_spell(t, *args, fallback="Enum"),
        enum=enum_type,
        problem=problem,
    )


def _array(t: sqltypes.ARRAY[Any]) -> _Sql:
    item = _sql(t.item_type)
    args: list[str | _Spelling] = [item.spelling]
    if t.dimensions is not None:
        args.append(f"dimensions={t.dimensions}")
    return _Sql(
        python_type=f"list[{item.python_type}]",
        imports=item.imports,
        filter_kind=FilterKind.NONE,
        orderable=False,
        spelling=_spell(t, *args, fallback="ARRAY"),
        problem=item.problem,
    )


def _decorated(t: TypeDecorator[Any]) -> _Sql:
    """A TypeDecorator is read as its `impl`, unless it declares its own `python_type`."""
    inner = _sql(t.impl_instance)
    if type(t).python_type is TypeDecorator.python_type:
        return inner
    try:
        text, imports = render_annotation(t.python_type)
    except (NotImplementedError, ValueError):
        return inner
    if text == inner.python_type:
        return inner
    filter_kind = inner.filter_kind
    if filter_kind is FilterKind.TEXT and text != "str":
        filter_kind = FilterKind.EQUALITY
    return _Sql(
        python_type=text,
        imports=imports,
        filter_kind=filter_kind,
        orderable=inner.orderable,
        spelling=inner.spelling,
        max_length=inner.max_length,
        precision=inner.precision,
        scale=inner.scale,
    )


def _unknown(t: TypeEngine[Any]) -> _Sql:
    name = type(t).__name__
    return _Sql(
        python_type="Any",
        imports=(_ANY,),
        filter_kind=FilterKind.NONE,
        orderable=False,
        spelling=_Spelling(name, _expr_name(t) or "types.NullType"),
        problem=f"SQL type {name} is not understood: typed as Any, not filterable or sortable",
    )
