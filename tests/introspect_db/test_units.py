"""The pure pieces of the database front end, without a database: type spelling, CHECK parsing,
forced quoting, class names, mapper keys."""

from __future__ import annotations

import ast
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.types import TypeEngine, UserDefinedType

from sublimate import naming
from sublimate.introspect.database import check_values
from sublimate.introspect.reflected_types import reflected_column_type, type_expression
from sublimate.ir import FilterKind


@pytest.mark.parametrize(
    ("sqltext", "expected"),
    [
        ("status IN ('new', 'open')", ("status", ("new", "open"))),
        ("\"my col\" IN ('a', 'it''s')", ("my col", ("a", "it's"))),
        ("((status IN ('a)', 'b')))", ("status", ("a)", "b"))),
        ("[Flag] IN (0, 1)", ("Flag", (0, 1))),
        ("(`kind` in ('x'))", ("kind", ("x",))),
        ("status IN ('a', upper('b'))", None),
        ("price >= 0", None),
        ("status IN ()", None),
        ("a IN ('x') OR b IN ('y')", None),
    ],
)
def test_check_values(sqltext: str, expected: object) -> None:
    assert check_values(sqltext) == expected


def test_dialect_types_are_spelled_from_a_checked_syntax_tree() -> None:
    assert type_expression(postgresql.INET()) == ("postgresql.INET()", "postgresql")
    assert type_expression(mysql.INTEGER(display_width=10, unsigned=True)) == (
        "mysql.INTEGER(display_width=10, unsigned=True)",
        "mysql",
    )
    assert type_expression(postgresql.JSONB()) == ("postgresql.JSONB()", "postgresql")
    hostile = postgresql.ENUM("a'); import os; ('", '"""', name="x\ny", schema="s")
    expr, _ = type_expression(hostile) or ("", None)
    tree = ast.parse(expr, mode="eval")
    assert isinstance(tree.body, ast.Call)
    assert [a.value for a in tree.body.args if isinstance(a, ast.Constant)] == [
        "a'); import os; ('",
        '"""',
    ]


class _Weird(UserDefinedType[Any]):
    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "WEIRD"

    def __repr__(self) -> str:
        return "__import__('os').system('id')"


def test_a_repr_that_is_not_a_type_call_is_refused() -> None:
    assert type_expression(_Weird()) is None
    info = reflected_column_type(_Weird(), dialect=sqlite.dialect(), where="t.c")
    assert info.sql_type_expr == "sa.types.NullType()"
    assert info.python_type == "Any"
    assert info.diagnostics  # warned about, never printed into code


_PG: Any = postgresql.dialect()  # type: ignore[no-untyped-call]


def _info(t: TypeEngine[Any], dialect: Any = None, **kw: Any) -> Any:
    chosen = dialect or _PG
    return reflected_column_type(t, dialect=chosen, where="t.c", **kw)


def test_generic_spelling_when_the_ddl_is_the_same() -> None:
    assert _info(sa.VARCHAR(20)).sql_type_expr == "sa.VARCHAR(20)"
    assert (
        _info(postgresql.ENUM("a", "b", name="mood")).sql_type_expr
        == "sa.Enum('a', 'b', name='mood')"
    )
    assert _info(postgresql.TIMESTAMP(timezone=True, precision=3)).sql_type_expr == (
        "postgresql.TIMESTAMP(timezone=True, precision=3)"
    )


def test_special_python_types() -> None:
    assert _info(postgresql.DOMAIN("posint", sa.INTEGER())).python_type == "int"
    assert _info(postgresql.INT4RANGE()).python_type == "Range[int]"
    assert _info(postgresql.TSTZMULTIRANGE()).python_type == "list[Range[datetime.datetime]]"
    flag = _info(mysql.TINYINT(display_width=1), mysql.dialect())
    assert (flag.python_type, flag.sql_type_expr) == ("bool", "sa.Boolean()")
    assert _info(mysql.SET("a", "b"), mysql.dialect()).python_type == "set[str]"
    unsigned = _info(mysql.BIGINT(unsigned=True), mysql.dialect())
    assert unsigned.dto_type == "Annotated[int, Meta(ge=0)]"  # msgspec: no bound beyond int64
    # SQLite's INTEGER holds 64 bits (the rowid); its SMALLINT is bounded as declared.
    assert _info(sa.INTEGER(), sqlite.dialect()).int_range == (-(2**63), 2**63 - 1)
    assert _info(sa.SMALLINT(), sqlite.dialect()).int_range == (-(2**15), 2**15 - 1)
    assert _info(sa.INTEGER(), postgresql.dialect()).int_range == (-(2**31), 2**31 - 1)
    literal = _info(sa.VARCHAR(20), sqlite.dialect(), check_values=("new", 'it"s'))
    assert literal.python_type == "Literal['new', 'it\"s']"
    assert literal.filter_kind is FilterKind.EQUALITY
    assert literal.sql_type_expr == "sa.VARCHAR(20)"
    boolean = _info(sa.INTEGER(), sqlite.dialect(), check_values=(0, 1))
    assert boolean.python_type == "bool"


def test_keywords_sqlalchemy_leaves_bare_are_force_quoted() -> None:
    assert naming.sql_name("returning") == "sa.quoted_name('returning', True)"
    assert naming.sql_name("Returning") == "'Returning'"  # mixed case: SQLAlchemy quotes it
    assert naming.sql_name("order") == "'order'"  # SQLAlchemy knows this one


@pytest.mark.parametrize(
    ("table", "wanted"),
    [
        ("courses", "Course"),
        ("statuses", "Status"),
        ("addresses", "Address"),
        ("boxes", "Box"),
        ("batches", "Batch"),
        ("categories", "Category"),
        ("InvoiceLine", "InvoiceLine"),
        ("Order Details", "OrderDetail"),
        ("status", "Status"),
    ],
)
def test_class_names(table: str, wanted: str) -> None:
    assert naming.class_name(table) == wanted
