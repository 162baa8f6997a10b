"""check_decimal: NUMERIC(p, s) limits on Decimal input, which msgspec's Meta cannot express."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest
from sublimate_runtime import UNSET, UnsetType, check_decimal


@pytest.mark.parametrize(
    "value", ["0", "0.00", "12345678.99", "-12345678.99", "0.5", "1E+7", "-0.01"]
)
def test_values_that_fit_numeric_10_2_pass(value: str) -> None:
    check_decimal(Decimal(value), "price", 10, 2)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("123456789.00", "at most 8 digits before"),
        ("1E+8", "at most 8 digits before"),
        ("0.001", "at most 2 digits after"),
        ("NaN", "not a finite number"),
        ("Infinity", "not a finite number"),
    ],
)
def test_values_that_do_not_fit_are_rejected(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_decimal(Decimal(value), "price", 10, 2)


def test_unset_and_none_are_not_checked() -> None:
    check_decimal(UNSET, "price", 1, 0)
    check_decimal(None, "price", 1, 0)


class Priced(msgspec.Struct, kw_only=True):
    price: Decimal | UnsetType = UNSET

    def __post_init__(self) -> None:
        check_decimal(self.price, "price", 4, 2)


def test_a_failed_check_is_a_validation_error_when_decoding() -> None:
    assert msgspec.json.decode(b'{"price": "12.34"}', type=Priced).price == Decimal("12.34")
    with pytest.raises(msgspec.ValidationError, match="at most 2 digits before"):
        msgspec.json.decode(b'{"price": "123.4"}', type=Priced)
