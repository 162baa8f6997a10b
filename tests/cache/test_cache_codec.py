"""What the cache stores: msgpack decoded strictly by column type, never pickle.

A row read back must hold the same values with the same Python types as the row stored (a
``Decimal`` stays a ``Decimal``, a naive datetime stays naive); anything else in the store (bytes
of another program, a field of the wrong type, an unknown column) fails to decode, which the
cache treats as a miss.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import ipaddress
import pickle
import uuid
from typing import Any

import pytest
from sublimate_runtime.cache_codec import DECODE_ERRORS, ENCODER, RowCodec


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


TYPES: dict[str, type[Any] | None] = {
    "id": int,
    "name": str,
    "price": decimal.Decimal,
    "weight": float,
    "flag": bool,
    "naive": datetime.datetime,
    "aware": datetime.datetime,
    "day": datetime.date,
    "at": datetime.time,
    "span": datetime.timedelta,
    "key": uuid.UUID,
    "blob": bytes,
    "colour": Colour,
    "doc": dict,  # a JSON column: loose
    "other": None,  # a type SQLAlchemy cannot name (INET, a custom type): loose
}
ROW = {
    "id": 7,
    "name": "seven",
    "price": decimal.Decimal("12.50"),
    "weight": 1.25,
    "flag": True,
    "naive": datetime.datetime(2024, 1, 2, 3, 4, 5, 6),
    "aware": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
    "day": datetime.date(2024, 2, 29),
    "at": datetime.time(23, 59, 1),
    "span": datetime.timedelta(days=2, seconds=5),
    "key": uuid.UUID(int=42),
    "blob": b"\x00\xff",
    "colour": Colour.BLUE,
    "doc": {"a": [1, 2.5, None, "x"], "b": {"c": True}},
    "other": "10.0.0.1",
}


@pytest.fixture
def codec() -> RowCodec:
    return RowCodec("things@test", list(TYPES), TYPES, ["id"])


def _round_trip(codec: RowCodec, kind: str, payload: Any) -> Any:
    encoded = getattr(codec, kind).encode(payload)
    assert encoded is not None
    return getattr(codec, kind).decode(ENCODER.encode(encoded))


def test_a_row_comes_back_with_the_same_values_and_types(codec: RowCodec) -> None:
    (back,) = _round_trip(codec, "one", (ROW,))
    assert back == ROW
    assert {k: type(v) for k, v in back.items()} == {k: type(v) for k, v in ROW.items()}
    assert back["naive"].tzinfo is None


def test_lists_pages_pointers_and_partial_rows(codec: RowCodec) -> None:
    partial = {"id": 8, "name": "eight"}  # deferred columns are left out, and stay out
    assert _round_trip(codec, "many", [ROW, partial]) == [ROW, partial]
    assert _round_trip(codec, "page", ([partial], 9)) == ([partial], 9)
    assert _round_trip(codec, "pointer", ((7,),)) == ((7,),)
    assert _round_trip(codec, "pointer", (None,)) == (None,)
    assert _round_trip(codec, "one", (None,)) == (None,)


def test_a_loose_column_is_stored_only_while_its_value_is_plain(codec: RowCodec) -> None:
    assert codec.one.encode(({**ROW, "other": ipaddress.ip_address("10.0.0.1")},)) is None
    assert codec.one.encode(({**ROW, "doc": {"when": datetime.date(2024, 1, 1)}},)) is None
    assert codec.one.encode(({**ROW, "doc": [1, (2, 3)]},)) is None  # a tuple comes back a list


@pytest.mark.parametrize(
    "body",
    [
        pickle.dumps(({"id": 1},)),
        b"\xc1garbage",
        ENCODER.encode(({"id": "1"},)),  # wrong type
        ENCODER.encode(({"id": 1, "is_admin": True},)),  # a column the model does not have
        ENCODER.encode(({"naive": "not a date"},)),
        ENCODER.encode(({"colour": "green"},)),
        ENCODER.encode(({"id": 1}, {"id": 2})),  # two rows where one is expected
    ],
)
def test_anything_else_fails_to_decode(codec: RowCodec, body: bytes) -> None:
    with pytest.raises(DECODE_ERRORS):
        codec.one.decode(body)

