"""How cached rows are written to the cache and read back: msgpack, decoded strictly by column type.

The cache used to pickle what it stored, and the Redis backend of dogpile unpickles whatever a key
holds: anyone able to write to Redis ran code in every application reading it. Now only plain data
is stored (msgspec's msgpack) and it is decoded against the model's columns: a row is a struct with
one field per column, typed by the column's Python type, unknown fields refused. An entry that does
not decode (corrupt, written by another program, a pickle) is a miss, never an exception or code.

A column whose Python type msgspec cannot decode exactly (a custom type, PostgreSQL's INET, a
JSON document) is stored only while its value is plain JSON-like data (str, int, float, bool,
None, bytes, lists and str-keyed dicts of those), which decodes back to the same types; other
values are not stored, so that row is read from the database each time. Aware datetimes come
back in UTC (the same instant; msgpack's timestamp keeps no offset).
"""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

import msgspec
from msgspec import UNSET, UnsetType

# Decoded exactly by msgspec from what it encodes them to (given the type).
_EXACT: tuple[type[Any], ...] = (
    str,
    int,
    float,
    bool,
    bytes,
    decimal.Decimal,
    datetime.datetime,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    uuid.UUID,
)
_PLAIN = (str, int, float, bool, bytes, type(None))

ENCODER = msgspec.msgpack.Encoder()
TOKEN = msgspec.msgpack.Decoder(str)
RECORD = msgspec.msgpack.Decoder(tuple[list[str], msgspec.Raw])
SCALAR = msgspec.msgpack.Decoder(Optional[bool | int | float | str])  # noqa: UP045
ENCODE_ERRORS = (TypeError, ValueError, OverflowError, msgspec.EncodeError)
DECODE_ERRORS = (msgspec.DecodeError, msgspec.ValidationError)


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of cached payload: ``encode`` a loaded value into plain data (None: do not store),
    ``decode`` the stored bytes back (raises one of ``DECODE_ERRORS`` on anything unexpected)."""

    encode: Callable[[Any], Any | None]
    decode: Callable[[Any], Any]


def is_plain(value: Any) -> bool:
    """Plain JSON-like data, which msgpack gives back with the same Python types."""
    if type(value) in _PLAIN:
        return True
    if type(value) is list:
        return all(is_plain(item) for item in value)
    if type(value) is dict:
        return all(type(key) is str and is_plain(item) for key, item in value.items())
    return False


def _plain_scalar(value: Any) -> Any | None:
    """``count``/``exists`` results; anything else is not stored (None means "do not store")."""
    return value if type(value) in (bool, int, float, str) else None


SCALAR_KIND = Kind(_plain_scalar, SCALAR.decode)


def _exact_type(python_type: type[Any] | None) -> type[Any] | None:
    """``python_type`` when msgspec decodes it exactly, else None (a loose column)."""
    if python_type is None:
        return None
    if python_type in _EXACT or (
        isinstance(python_type, type) and issubclass(python_type, enum.Enum)
    ):
        try:
            msgspec.msgpack.Decoder(python_type)
        except TypeError:
            return None
        return python_type
    return None


class RowCodec:
    """The payload kinds of one model: a row, a pointer to a primary key, lists and pages."""

    def __init__(
        self,
        name: str,
        columns: Sequence[str],
        types: Mapping[str, type[Any] | None],
        primary_key: Sequence[str],
    ) -> None:
        exact = {column: _exact_type(types.get(column)) for column in columns}
        self._loose = tuple(column for column, found in exact.items() if found is None)
        fields = [
            (column, Any if found is None else Optional[found | UnsetType], UNSET)  # noqa: UP045
            for column, found in exact.items()
        ]
        row = msgspec.defstruct(
            f"CachedRow_{abs(hash(name)):x}", fields, forbid_unknown_fields=True
        )
        key_types = tuple(exact[column] or Any for column in primary_key)
        self._loose_key = tuple(exact[column] is None for column in primary_key)
        self._row = row
        self._one = msgspec.msgpack.Decoder(tuple[Optional[row]])  # type: ignore[valid-type]  # noqa: UP045
        self._pointer = msgspec.msgpack.Decoder(tuple[Optional[tuple[key_types]]])  # type: ignore[valid-type]  # noqa: UP045
        self._many = msgspec.msgpack.Decoder(list[row])  # type: ignore[valid-type]
        self._page = msgspec.msgpack.Decoder(tuple[list[row], int])  # type: ignore[valid-type]
        self.one = Kind(self._encode_one, self._decode_one)
        self.pointer = Kind(self._encode_pointer, self._decode_pointer)
        self.many = Kind(self._encode_many, self._decode_many)
        self.page = Kind(self._encode_page, self._decode_page)

    # encode: None means "do not store" -------------------------------------------------------

    def _storable(self, row: Mapping[str, Any]) -> bool:
        return all(is_plain(row[column]) for column in self._loose if column in row)

    def _encode_one(self, payload: tuple[dict[str, Any] | None] | None) -> Any | None:
        if payload is None or (payload[0] is not None and not self._storable(payload[0])):
            return None
        return payload

    def _encode_pointer(self, payload: tuple[tuple[Any, ...] | None] | None) -> Any | None:
        if payload is None:
            return None
        key = payload[0]
        if key is not None and not all(
            is_plain(value) for value, loose in zip(key, self._loose_key, strict=True) if loose
        ):
            return None
        return payload

    def _encode_many(self, rows: list[dict[str, Any]] | None) -> Any | None:
        if rows is None or not all(self._storable(row) for row in rows):
            return None
        return rows

    def _encode_page(self, page: tuple[list[dict[str, Any]], int] | None) -> Any | None:
        if page is None or self._encode_many(page[0]) is None:
            return None
        return page

    # decode ----------------------------------------------------------------------------------

    def _as_dict(self, row: Any) -> dict[str, Any]:
        """The row's loaded columns (a column left out when stored, deferred, is UNSET)."""
        values: dict[str, Any] = msgspec.structs.asdict(row)
        if UNSET in values.values():  # rare: only rows stored with deferred columns
            return {name: value for name, value in values.items() if value is not UNSET}
        return values

    def _decode_one(self, raw: Any) -> tuple[dict[str, Any] | None]:
        (row,) = self._one.decode(raw)
        return (None if row is None else self._as_dict(row),)

    def _decode_pointer(self, raw: Any) -> tuple[tuple[Any, ...] | None]:
        (key,) = self._pointer.decode(raw)
        return (key,)

    def _decode_many(self, raw: Any) -> list[dict[str, Any]]:
        return [self._as_dict(row) for row in self._many.decode(raw)]

    def _decode_page(self, raw: Any) -> tuple[list[dict[str, Any]], int]:
        rows, total = self._page.decode(raw)
        return [self._as_dict(row) for row in rows], total

