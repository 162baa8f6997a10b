"""Input checks msgspec's `Meta` cannot express, run from generated DTOs' `__post_init__`.

msgspec has no numeric bounds for `Decimal`, yet a `Numeric(10, 2)` column rejects 123456789.00
at INSERT time with a driver-specific error (or, on SQLite, silently stores it). Checking in the
DTO turns that into a validation error at the API boundary, where the input came in.
"""

from __future__ import annotations

from decimal import Decimal


def check_decimal(value: object, field: str, precision: int, scale: int) -> None:
    """Raise ValueError if `value` does not fit NUMERIC(precision, scale); ignore UNSET/None.

    A ValueError raised in `__post_init__` becomes a `msgspec.ValidationError` when decoding.
    """
    if not isinstance(value, Decimal):
        return
    if not value.is_finite():
        raise ValueError(f"{field}: {value} is not a finite number")
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite numbers have an int exponent
    fraction = max(0, -exponent)
    whole = max(0, len(digits) + exponent) if any(digits) else 0
    if fraction > scale:
        raise ValueError(f"{field}: at most {scale} digits after the decimal point")
    if whole > precision - scale:
        raise ValueError(f"{field}: at most {precision - scale} digits before the decimal point")
