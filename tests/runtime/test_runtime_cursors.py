"""Keyset cursors round-trip typed values and reject anything else with InvalidCursorError."""

from __future__ import annotations

import base64
import datetime
import uuid
from decimal import Decimal

import pytest
from sublimate_runtime import (
    InvalidCursorError,
    KeysetPage,
    OffsetPage,
    decode_cursor,
    encode_cursor,
)


def test_round_trip() -> None:
    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    cursor = encode_cursor((key, 42))
    assert "=" not in cursor and "+" not in cursor and "/" not in cursor
    assert decode_cursor(cursor, tuple[uuid.UUID, int]) == (key, 42)
    assert decode_cursor(encode_cursor((7,)), tuple[int]) == (7,)
    moment = datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.UTC)
    values = (moment, Decimal("1.10"), "a/b+c?", None)
    decoded = decode_cursor(
        encode_cursor(values), tuple[datetime.datetime, Decimal, str, int | None]
    )
    assert decoded == values


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        "a",  # impossible base64 length
        "é",
        encode_cursor(("7",)),  # wrong type
        encode_cursor((1, 2)),  # wrong arity
        base64.urlsafe_b64encode(b"[1").decode(),  # truncated JSON
        base64.b64encode(b"[1]  \xff").decode(),  # not UTF-8
        "A" * 5000,
    ],
)
def test_bad_cursor(cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        decode_cursor(cursor, tuple[int])
    assert issubclass(InvalidCursorError, ValueError)


def test_pages_are_generic_structs() -> None:
    page = OffsetPage[int](items=[1, 2], total=5, limit=2, offset=0)
    assert (page.items, page.total, page.limit, page.offset) == ([1, 2], 5, 2, 0)
    keyset = KeysetPage[str](items=["a"], next_cursor=None)
    assert keyset.next_cursor is None
