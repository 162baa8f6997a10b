"""introspect.types: SQL types and declared annotations -> the type fields of ir.Column."""

from __future__ import annotations

import datetime
import decimal
import enum
import importlib
import typing
import uuid
from typing import Annotated, Any, Literal

import msgspec
import pytest
import sqlalchemy as sa
from fixtures_models.shop import Status
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.types import TypeDecorator, UserDefinedType

from sublimate.bounds import NO_NUL, UUID_TEXT
from sublimate.introspect.types import column_type, render_annotation
from sublimate.ir import FilterKind, Import

EQ, RANGE, TEXT, NONE = FilterKind.EQUALITY, FilterKind.RANGE, FilterKind.TEXT, FilterKind.NONE
DT = ("datetime", "")
META = [("msgspec", "Meta"), ("typing", "Annotated")]
NUL = f"pattern={NO_NUL!r}"  # every string column refuses NUL
INT32 = "Annotated[int, Meta(ge=-2147483648, le=2147483647)]"


class Point(UserDefinedType[Any]):
    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "POINT"


class Trimmed(TypeDecorator[str]):
    impl = sa.String(30)
    cache_ok = True


class Outer:
    class Inner(enum.Enum):
        A = 1


def local_enum() -> type[enum.Enum]:
    class Hidden(enum.Enum):
        X = "x"

    return Hidden


CASES: list[tuple[sa.types.TypeEngine[Any], str, str, str, str, FilterKind, bool, list[Import]]] = [
    # Integers are bounded by their SQL type's range.
    (sa.Integer(), "int", INT32, "Integer", "sa.Integer()", RANGE, True, META),
    (
        sa.SmallInteger(),
        "int",
        "Annotated[int, Meta(ge=-32768, le=32767)]",
        "SmallInteger",
        "sa.SmallInteger()",
        RANGE,
        True,
        META,
    ),
    (
        sa.BigInteger(),
        "int",
        "Annotated[int, Meta(ge=-9223372036854775808, le=9223372036854775807)]",
        "BigInteger",
        "sa.BigInteger()",
        RANGE,
        True,
        META,
    ),
    (
        sa.String(255),
        "str",
        f"Annotated[str, Meta(max_length=255, {NUL})]",
        "String(255)",
        "sa.String(255)",
        TEXT,
        True,
        META,
    ),
    (
        sa.VARCHAR(12),
        "str",
        f"Annotated[str, Meta(max_length=12, {NUL})]",
        "VARCHAR(12)",
        "sa.VARCHAR(12)",
        TEXT,
        True,
        META,
    ),
    (sa.String(), "str", f"Annotated[str, Meta({NUL})]", "String", "sa.String()", TEXT, True, META),
    (sa.Text(), "str", f"Annotated[str, Meta({NUL})]", "Text", "sa.Text()", TEXT, True, META),
    (
        sa.Unicode(10),
        "str",
        f"Annotated[str, Meta(max_length=10, {NUL})]",
        "Unicode(10)",
        "sa.Unicode(10)",
        TEXT,
        True,
        META,
    ),
    (
        sa.String(collation="C"),
        "str",
        f"Annotated[str, Meta({NUL})]",
        "String(collation='C')",
        "sa.String(collation='C')",
        TEXT,
        True,
        META,
    ),
    (
        sa.Numeric(10, 2),
        "decimal.Decimal",
        "decimal.Decimal",
        "Numeric(10, 2)",
        "sa.Numeric(10, 2)",
        RANGE,
        True,
        [("decimal", "")],
    ),
    (
        sa.Numeric(10, 2, asdecimal=False),
        "float",
        "Annotated[float, Meta(gt=-100000000, lt=100000000)]",
        "Numeric(10, 2, asdecimal=False)",
        "sa.Numeric(10, 2, asdecimal=False)",
        RANGE,
        True,
        META,
    ),
    (
        sa.Numeric(4, asdecimal=False),
        "float",
        "Annotated[float, Meta(gt=-10000, lt=10000)]",
        "Numeric(4, asdecimal=False)",
        "sa.Numeric(4, asdecimal=False)",
        RANGE,
        True,
        META,
    ),
    (sa.Float(), "float", "float", "Float", "sa.Float()", RANGE, True, []),
    (sa.Double(), "float", "float", "Double", "sa.Double()", RANGE, True, []),
    (sa.Boolean(), "bool", "bool", "Boolean", "sa.Boolean()", EQ, True, []),
    (sa.Date(), "datetime.date", "datetime.date", "Date", "sa.Date()", RANGE, True, [DT]),
    # Times hold a timezone exactly when the column does.
    (
        sa.DateTime(),
        "datetime.datetime",
        "Annotated[datetime.datetime, Meta(tz=False)]",
        "DateTime",
        "sa.DateTime()",
        RANGE,
        True,
        [DT, *META],
    ),
    (
        sa.DateTime(timezone=True),
        "datetime.datetime",
        "Annotated[datetime.datetime, Meta(tz=True)]",
        "DateTime(timezone=True)",
        "sa.DateTime(timezone=True)",
        RANGE,
        True,
        [DT, *META],
    ),
    (
        sa.Time(),
        "datetime.time",
        "Annotated[datetime.time, Meta(tz=False)]",
        "Time",
        "sa.Time()",
        RANGE,
        True,
        [DT, *META],
    ),
    (
        sa.Interval(),
        "datetime.timedelta",
        "datetime.timedelta",
        "Interval",
        "sa.Interval()",
        RANGE,
        True,
        [DT],
    ),
    (sa.LargeBinary(), "bytes", "bytes", "LargeBinary", "sa.LargeBinary()", NONE, False, []),
    (
        sa.LargeBinary(16),
        "bytes",
        "Annotated[bytes, Meta(max_length=16)]",
        "LargeBinary(16)",
        "sa.LargeBinary(16)",
        NONE,
        False,
        META,
    ),
    (sa.JSON(), "Any", "Any", "JSON", "sa.JSON()", NONE, False, [("typing", "Any")]),
    (postgresql.JSONB(), "Any", "Any", "JSONB", "sa.JSON()", NONE, False, [("typing", "Any")]),
    (sa.Uuid(), "uuid.UUID", "uuid.UUID", "Uuid", "sa.Uuid()", EQ, True, [("uuid", "")]),
    (sa.UUID(), "uuid.UUID", "uuid.UUID", "UUID", "sa.UUID()", EQ, True, [("uuid", "")]),
    (
        sa.Uuid(as_uuid=False),
        "str",
        f"Annotated[str, Meta(pattern={UUID_TEXT!r})]",  # a UUID's text, not any string
        "Uuid(as_uuid=False)",
        "sa.Uuid(as_uuid=False)",
        EQ,
        True,
        [("msgspec", "Meta"), ("typing", "Annotated")],
    ),
    (
        sa.Enum("a", "b", name="mood"),
        "Literal['a', 'b']",
        "Literal['a', 'b']",
        "Enum('a', 'b', name='mood')",
        "sa.Enum('a', 'b', name='mood')",
        EQ,
        True,
        [("typing", "Literal")],
    ),
    (
        sa.ARRAY(sa.Integer()),
        "list[int]",
        "list[int]",
        "ARRAY(Integer)",
        "sa.ARRAY(sa.Integer())",
        NONE,
        False,
        [],
    ),
    (
        Trimmed(),
        "str",
        f"Annotated[str, Meta(max_length=30, {NUL})]",
        "String(30)",
        "sa.String(30)",
        TEXT,
        True,
        META,
    ),
]


@pytest.mark.parametrize(
    ("sa_type", "python", "dto", "sql", "expr", "filter_kind", "orderable", "imports"),
    CASES,
    ids=[type(case[0]).__name__ + str(i) for i, case in enumerate(CASES)],
)
def test_sql_types(
    sa_type: sa.types.TypeEngine[Any],
    python: str,
    dto: str,
    sql: str,
    expr: str,
    filter_kind: FilterKind,
    orderable: bool,
    imports: list[Import],
) -> None:
    info = column_type(sa_type, where="t.c")
    assert (info.python_type, info.dto_type, info.sql_type, info.sql_type_expr) == (
        python,
        dto,
        sql,
        expr,
    )
    assert (info.filter_kind, info.orderable) == (filter_kind, orderable)
    assert info.imports == tuple(sorted(imports))
    assert info.diagnostics == ()
    assert info.enum is None


def _namespace(imports: tuple[Import, ...]) -> dict[str, Any]:
    namespace: dict[str, Any] = {"sa": sa}
    for module, name in imports:
        loaded = importlib.import_module(module)
        if name:
            namespace[name] = getattr(loaded, name)
        else:
            namespace[module.split(".")[0]] = importlib.import_module(module.split(".")[0])
    return namespace


@pytest.mark.parametrize("sa_type", [case[0] for case in CASES] + [sa.Enum(Status)])
def test_printed_types_are_valid_code(sa_type: sa.types.TypeEngine[Any]) -> None:
    """Each string evaluates with only its imports, and msgspec accepts every DTO type."""
    info = column_type(sa_type, where="t.c")
    namespace = _namespace(info.imports)
    python = eval(info.python_type, namespace)
    dto = eval(info.dto_type, namespace)
    msgspec.json.Decoder(python)
    msgspec.json.Decoder(dto)
    msgspec.json.Decoder(dto | None)
    rebuilt = eval(info.sql_type_expr, namespace)
    assert isinstance(rebuilt, sa.types.TypeEngine)
    assert column_type(rebuilt, where="t.c").sql_type == info.sql_type or isinstance(
        sa_type, TypeDecorator | postgresql.JSONB
    )


def test_string_constraint_is_enforced_by_msgspec() -> None:
    info = column_type(sa.String(3), where="t.c")
    dto = eval(info.dto_type, _namespace(info.imports))
    assert msgspec.json.decode(b'"abc"', type=dto) == "abc"
    with pytest.raises(msgspec.ValidationError, match="length <= 3"):
        msgspec.json.decode(b'"abcd"', type=dto)


@pytest.mark.parametrize(
    ("sa_type", "low", "high"),
    [
        (sa.SmallInteger(), -(2**15), 2**15 - 1),
        (sa.Integer(), -(2**31), 2**31 - 1),
        (sa.BigInteger(), -(2**63), 2**63 - 1),
        (mysql.TINYINT(), -128, 127),
        (mysql.MEDIUMINT(unsigned=True), 0, 2**24 - 1),
        (mysql.INTEGER(unsigned=True), 0, 2**32 - 1),
        (mysql.BIGINT(unsigned=True), 0, 2**64 - 1),
    ],
    ids=["smallint", "int", "bigint", "tinyint", "mediumint-unsigned", "int-unsigned", "bigint-u"],
)
def test_integer_range_is_enforced_by_msgspec(
    sa_type: sa.types.TypeEngine[Any], low: int, high: int
) -> None:
    """An integer outside its SQL type's range is a validation error, not a database error."""
    info = column_type(sa_type, where="t.c")
    assert info.int_range == (low, high)
    dto = eval(info.dto_type, _namespace(info.imports))
    for fine in (low, high):
        assert msgspec.json.decode(str(fine).encode(), type=dto) == fine
    # msgspec checks no bound beyond int64: an unsigned BIGINT's top is the database's to refuse.
    for bad in (low - 1, high + 1) if high < 2**64 - 1 else (low - 1,):
        with pytest.raises(msgspec.ValidationError, match="Expected `int`"):
            msgspec.json.decode(str(bad).encode(), type=dto)


def test_integer_declared_otherwise_has_no_range() -> None:
    info = column_type(sa.Integer(), declared=bool, where="t.c")
    assert (info.dto_type, info.int_range) == ("bool", None)


def test_timezone_and_nul_are_enforced_by_msgspec() -> None:
    naive, aware = b'"2024-05-01T12:00:00"', b'"2024-05-01T12:00:00+02:00"'
    for sa_type, good, bad in (
        (sa.DateTime(), naive, aware),
        (sa.DateTime(timezone=True), aware, naive),
    ):
        info = column_type(sa_type, where="t.c")
        dto = eval(info.dto_type, _namespace(info.imports))
        msgspec.json.decode(good, type=dto)
        with pytest.raises(msgspec.ValidationError, match="timezone"):
            msgspec.json.decode(bad, type=dto)
    info = column_type(sa.Text(), where="t.c")
    dto = eval(info.dto_type, _namespace(info.imports))
    assert msgspec.json.decode(rb'"a\nb"', type=dto) == "a\nb"
    with pytest.raises(msgspec.ValidationError, match="regex"):
        msgspec.json.decode(rb'"a\u0000b"', type=dto)


def test_numeric_keeps_precision_and_scale() -> None:
    info = column_type(sa.Numeric(10, 2), where="t.c")
    assert (info.precision, info.scale, info.max_length) == (10, 2, None)
    assert column_type(sa.String(7), where="t.c").max_length == 7


def test_python_enum() -> None:
    info = column_type(sa.Enum(Status), where="orders.status")
    assert info.python_type == info.dto_type == "Status"
    assert info.imports == (("fixtures_models.shop", "Status"),)
    assert info.sql_type_expr == "sa.Enum(Status)"
    assert (info.filter_kind, info.orderable) == (EQ, True)
    assert info.enum is not None
    assert info.enum.name == "Status"
    assert info.enum.import_ == (Status.__module__, "Status")
    assert info.enum.values == (("DRAFT", "DRAFT"), ("PAID", "PAID"))


def test_python_enum_stored_by_value_and_named() -> None:
    info = column_type(
        sa.Enum(Status, values_callable=lambda cls: [m.value for m in cls], name="order_status"),
        where="t.c",
    )
    assert info.enum is not None
    assert info.enum.values == (("DRAFT", "draft"), ("PAID", "paid"))
    assert info.sql_type_expr == "sa.Enum(Status, name='order_status')"


def test_nested_enum_is_imported_through_its_outer_class() -> None:
    info = column_type(sa.Enum(Outer.Inner), where="t.c")
    assert info.python_type == "Outer.Inner"
    assert info.imports == ((__name__, "Outer"),)


def test_enum_that_cannot_be_imported_becomes_a_literal_with_a_diagnostic() -> None:
    info = column_type(sa.Enum(local_enum()), where="t.hidden")
    assert info.python_type == "Literal['X']"
    assert info.enum is None
    assert [d.where for d in info.diagnostics] == ["t.hidden"]


@pytest.mark.parametrize("sa_type", [Point(), postgresql.INET(), sa.types.NullType()])
def test_unknown_types_fall_back_to_any_with_a_diagnostic(
    sa_type: sa.types.TypeEngine[Any],
) -> None:
    info = column_type(sa_type, where="shapes.center")
    assert info.python_type == info.dto_type == "Any"
    assert info.imports == (("typing", "Any"),)
    assert (info.filter_kind, info.orderable) == (NONE, False)
    assert info.sql_type == type(sa_type).__name__
    assert len(info.diagnostics) == 1
    assert info.diagnostics[0].where == "shapes.center"
    assert type(sa_type).__name__ in info.diagnostics[0].message


def test_unknown_type_with_a_declared_python_type() -> None:
    info = column_type(Point(), declared=tuple[float, float], where="shapes.center")
    assert info.python_type == "tuple[float, float]"
    assert info.filter_kind is NONE
    assert len(info.diagnostics) == 1


def test_type_decorator_with_its_own_python_type() -> None:
    class Csv(TypeDecorator[list[str]]):
        impl = sa.String(100)
        cache_ok = True

        @property
        def python_type(self) -> type:
            return list

    info = column_type(Csv(), where="t.c")
    assert (info.python_type, info.dto_type, info.filter_kind) == ("list", "list", EQ)
    assert info.sql_type == "String(100)"


# --- declared Mapped[X] wins when it renders ---------------------------------------------


def test_declared_json_dict() -> None:
    info = column_type(sa.JSON(), declared=dict[str, Any], where="t.c")
    assert info.python_type == info.dto_type == "dict[str, Any]"
    assert info.imports == (("typing", "Any"),)
    assert info.filter_kind is NONE


def test_declared_optional_keeps_constraints() -> None:
    info = column_type(sa.String(5), declared=str | None, where="t.c")
    assert info.python_type == "str"
    assert info.dto_type == f"Annotated[str, Meta(max_length=5, {NUL})]"


def test_declared_type_that_differs_drops_constraints() -> None:
    info = column_type(sa.String(5), declared=Status, where="t.c")
    assert info.python_type == info.dto_type == "Status"
    assert info.filter_kind is EQ
    assert info.imports == ((Status.__module__, "Status"),)


def test_declared_literal_on_enum() -> None:
    info = column_type(
        sa.Enum("low", "high", native_enum=False),
        declared=Literal["low", "high"],
        where="t.c",
    )
    assert info.python_type == "Literal['low', 'high']"


def test_declared_type_that_does_not_render_is_ignored() -> None:
    class Money:
        pass

    info = column_type(sa.Numeric(12, 2), declared=Money, where="t.c")
    assert info.python_type == "decimal.Decimal"
    info = column_type(sa.Integer(), declared=typing.ForwardRef("Money"), where="t.c")
    assert info.python_type == "int"


# --- render_annotation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tp", "text", "imports"),
    [
        (int, "int", ()),
        (str, "str", ()),
        (bytes, "bytes", ()),
        (datetime.datetime, "datetime.datetime", (DT,)),
        (datetime.timedelta, "datetime.timedelta", (DT,)),
        (decimal.Decimal, "decimal.Decimal", (("decimal", ""),)),
        (uuid.UUID, "uuid.UUID", (("uuid", ""),)),
        (Any, "Any", (("typing", "Any"),)),
        (None, "None", ()),
        (int | None, "int | None", ()),
        (typing.Optional[int], "int | None", ()),  # noqa: UP045 - the old spelling, on purpose
        (list[int], "list[int]", ()),
        (list, "list", ()),
        (dict[str, Any], "dict[str, Any]", (("typing", "Any"),)),
        (typing.Dict[str, int], "dict[str, int]", ()),  # noqa: UP006
        (tuple[int, ...], "tuple[int, ...]", ()),
        (frozenset[uuid.UUID], "frozenset[uuid.UUID]", (("uuid", ""),)),
        (
            Literal["a", 'b"c', 1, True, None],
            "Literal['a', 'b\"c', 1, True, None]",
            (("typing", "Literal"),),
        ),
        (Annotated[int, "meta"], "int", ()),
        (Status, "Status", ((Status.__module__, "Status"),)),
        (list[Status] | None, "list[Status] | None", ((Status.__module__, "Status"),)),
    ],
)
def test_render_annotation(tp: object, text: str, imports: tuple[Import, ...]) -> None:
    assert render_annotation(tp) == (text, imports)


@pytest.mark.parametrize(
    "tp",
    [
        typing.ForwardRef("Customer"),
        "Customer",
        object,
        Point,
        typing.Sequence[int],
        Literal[b"x"],
        list[Point],
    ],
)
def test_render_annotation_rejects(tp: object) -> None:
    with pytest.raises(ValueError):
        render_annotation(tp)


def test_render_annotation_rejects_an_enum_defined_in_a_function() -> None:
    with pytest.raises(ValueError, match="cannot be imported"):
        render_annotation(local_enum())
