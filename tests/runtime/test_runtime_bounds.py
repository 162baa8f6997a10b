"""Input bounds the runtime applies without any web framework: text and ``like`` operands of the
filters, Decimal filter operands, keyset cursors decoded into bounded key types, and the names an
HTTP answer may give for a refused write (never the driver's text)."""

from __future__ import annotations

import decimal
import re
from typing import Annotated, Any

import msgspec
import pytest
import sqlalchemy as sa
from msgspec import Meta
from sqlalchemy.exc import IntegrityError
from sublimate_runtime import (
    InvalidCursorError,
    NullableRangeFilter,
    RangeFilter,
    TextFilter,
    check_decimal_filter,
    decode_cursor,
    encode_cursor,
    violated,
)

SmallInt = Annotated[int, Meta(ge=-32768, le=32767)]


class PriceFilter(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What the generator writes for a Numeric(8, 2) column and a SMALLINT one."""

    price: NullableRangeFilter[decimal.Decimal] | None = None
    qty: RangeFilter[SmallInt] | None = None

    def __post_init__(self) -> None:
        check_decimal_filter(self.price, "price", 8, 2)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (b'{"eq": "a\\u0000"}', "$.eq"),
        (b'{"in": ["ok", "\\u0000"]}', "$.in[1]"),
        (b'{"contains": "\\u0000"}', "$.contains"),
        (b'{"like": "50\\\\"}', "$.like"),  # ends with the escape character
        (b'{"ilike": "a\\u0000%"}', "$.ilike"),
    ],
)
def test_text_operands_refuse_nul_and_a_dangling_escape(text: bytes, where: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=re.escape(f"at `{where}`")):
        msgspec.json.decode(text, type=TextFilter)


def test_text_operands_that_fit_decode() -> None:
    decoded = msgspec.json.decode(b'{"like": "50\\\\%", "contains": "a\\nb"}', type=TextFilter)
    assert (decoded.like, decoded.contains) == ("50\\%", "a\nb")


def test_bounded_type_arguments_bound_every_operator() -> None:
    for operator in ("eq", "ne", "lt", "le", "gt", "ge"):
        with pytest.raises(msgspec.ValidationError, match=f"<= 32767 - at `\\$.qty.{operator}`"):
            msgspec.json.decode(f'{{"qty": {{"{operator}": 32768}}}}'.encode(), type=PriceFilter)
    with pytest.raises(msgspec.ValidationError, match=r"at `\$.qty.in\[0\]`"):
        msgspec.json.decode(b'{"qty": {"in": [-32769]}}', type=PriceFilter)
    assert msgspec.json.decode(b'{"qty": {"in": [-32768]}}', type=PriceFilter).qty is not None


@pytest.mark.parametrize(
    ("operand", "message"),
    [
        ('"Infinity"', "price.lt: Infinity is not a finite number"),
        ('"NaN"', "price.lt: NaN is not a finite number"),
        ("1e999", "price.lt: at most 6 digits before the decimal point"),
        ("1234567", "price.lt: at most 6 digits before the decimal point"),
        ('"1e-1001"', "price.lt: at most 1000 digits after the decimal point"),
    ],
)
def test_decimal_operands_must_be_finite_and_fit(operand: str, message: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=message):
        msgspec.json.decode(f'{{"price": {{"lt": {operand}}}}}'.encode(), type=PriceFilter)
    with pytest.raises(msgspec.ValidationError, match=message.replace(".lt", ".in")):
        msgspec.json.decode(f'{{"price": {{"in": [1, {operand}]}}}}'.encode(), type=PriceFilter)


def test_decimal_operands_may_have_more_decimals_than_the_column() -> None:
    decoded = msgspec.json.decode(
        b'{"price": {"ge": 123456.999, "is_null": false}}', type=PriceFilter
    )
    assert decoded.price is not None and decoded.price.ge == decimal.Decimal("123456.999")
    check_decimal_filter(None, "price", 8, 2)  # no filter: nothing to check
    check_decimal_filter(RangeFilter(eq=decimal.Decimal("1e999")), "x", None, None)  # unknown p
    with pytest.raises(ValueError, match=r"x\.eq: at most 1000 digits before"):
        check_decimal_filter(RangeFilter(eq=decimal.Decimal("1e1000")), "x", None, None)


@pytest.mark.parametrize("values", [(2**15,), (-(2**15) - 1,), (10**19,), ("1",), (1, 2)], ids=repr)
def test_cursors_decode_into_bounded_key_types(values: tuple[Any, ...]) -> None:
    """A tampered cursor is an InvalidCursorError, never a value the database refuses."""
    assert decode_cursor(encode_cursor((32767,)), tuple[SmallInt]) == (32767,)
    with pytest.raises(InvalidCursorError):
        decode_cursor(encode_cursor(values), tuple[SmallInt])


def _integrity_error(statements: list[str]) -> IntegrityError:
    engine = sa.create_engine("sqlite://")
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(sa.text(statement))
    except IntegrityError as error:
        return error
    finally:
        engine.dispose()
    raise AssertionError("no integrity error")


def test_violated_names_the_constraint_or_column_never_the_text() -> None:
    check = _integrity_error(
        [
            "CREATE TABLE t (q INTEGER NOT NULL, CONSTRAINT ck_q CHECK (q >= 0))",
            "INSERT INTO t VALUES (-1)",
        ]
    )
    assert violated(check).constraint == "ck_q"
    not_null = _integrity_error(
        ["CREATE TABLE t (q INTEGER NOT NULL)", "INSERT INTO t VALUES (NULL)"]
    )
    assert (violated(not_null).column, violated(not_null).constraint) == ("q", None)
    # An unnamed CHECK: SQLite gives its expression, which is not a name.
    unnamed = _integrity_error(
        ["CREATE TABLE t (q INTEGER CHECK (q > 0))", "INSERT INTO t VALUES (0)"]
    )
    assert violated(unnamed).constraint is None
    # psycopg's diag and MySQL's message, as those drivers report them.
    diag = type("Diag", (), {"constraint_name": "ck_x", "column_name": None})()
    psycopg_like = type("PsycopgError", (Exception,), {"diag": diag})("boom")
    assert violated(psycopg_like).constraint == "ck_x"
    mysql_like = Exception(3819, "Check constraint 'items.ck_y' is violated.")
    assert violated(mysql_like).constraint == "ck_y"
    hostile = Exception("CHECK constraint failed: x; DROP TABLE t")
    assert violated(hostile).constraint is None
    assert violated(None).constraint is None
