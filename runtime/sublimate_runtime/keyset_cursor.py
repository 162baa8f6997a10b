"""Keyset cursors bound to their listing: what a cursor holds, how it is checked and decoded.

A cursor is the base64url text of the JSON array ``[fingerprint, direction, [values...]]``:
``values`` are the sort key of the row it points at (the ordered columns, then the primary key),
``direction`` says whether it asks for the rows after (``>``) or before (``<``) that row (``>=``
and ``<=`` include it: what an empty page gives to go back), and ``fingerprint`` is a hash of the
model, the order and the filter it was made for. A cursor passed back with another order or
filter is refused with :class:`InvalidCursorError` saying so, before its values are even read:
its position would mean nothing there.

The fingerprint catches mistakes, it is no signature: anyone can forge a cursor. That is
harmless, because the filter always comes from the request, never from the cursor (a forged
cursor can only start the page elsewhere among the rows the request may see), and the values are
decoded with types bounded as their columns are (an integer within its SQL type's range, text
without NUL and within its length, a timestamp aware or naive as its column): a value the
column cannot hold is an ``InvalidCursorError``, not a database error.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import enum
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeAlias

import msgspec
from sqlalchemy import BigInteger, Integer, SmallInteger, String, TypeDecorator, Uuid
from sqlalchemy import DateTime as SaDateTime
from sqlalchemy.types import TypeEngine

from .pagination import InvalidCursorError

MAX_KEYSET_CURSOR_LENGTH = 8192
"""Longer cursors are refused before decoding, and a row whose sort key would need a longer one
cannot be paged past (see :func:`encode_position`): 8 KiB fits the query string of every common
HTTP server, and a sort key is a few short values."""

# The generator's patterns (sublimate/bounds.py, which the runtime cannot import): text without
# NUL (PostgreSQL cannot store it), a UUID read as text.
NO_NUL = "^[^\\x00]*$"
UUID_TEXT = "^[0-9a-fA-F]{8}(-?[0-9a-fA-F]{4}){3}-?[0-9a-fA-F]{12}(?!\\n)$"
_INT_BITS = ((BigInteger, 64), (SmallInteger, 16), (Integer, 32))  # subclasses first

Direction: TypeAlias = Literal[">", "<", ">=", "<="]
_Envelope = tuple[Annotated[str, msgspec.Meta(max_length=32)], Direction, msgspec.Raw]
_ENVELOPE = msgspec.json.Decoder(_Envelope)
_JSON_SCALAR = str | int | float | bool  # what a column of a type we cannot read back decodes to
_DECODABLE: tuple[type, ...] = (bool, int, float, Decimal, bytes, uuid.UUID)  # as msgspec decodes
_DECODABLE += (datetime.date, datetime.time, datetime.timedelta)  # them, from JSON


@dataclass(frozen=True, slots=True, kw_only=True)
class Position:
    """Where a page starts: the sort key of a row, and which side of it the page lies on."""

    values: tuple[Any, ...]
    backward: bool  # the rows before the row (a previous page), else after it
    inclusive: bool  # the row itself belongs to the page

    @property
    def direction(self) -> Direction:
        sign = "<" if self.backward else ">"
        return f"{sign}=" if self.inclusive else sign  # type: ignore[return-value]

    def complement(self) -> Position:
        """The rows this position leaves out, on the other side: where an empty page points
        back to (``> v`` becomes ``<= v``)."""
        backward, inclusive = not self.backward, not self.inclusive
        return Position(values=self.values, backward=backward, inclusive=inclusive)


def value_type(column_type: TypeEngine[Any], nullable: bool) -> Any:
    """The type a sort-key value of a column decodes to, bounded where it is cheap: integers by
    their SQL type's range, text by NUL and its length (a UUID read as text by its form),
    timestamps aware or naive as the column. A type whose Python type SQLAlchemy cannot tell
    decodes to a JSON scalar; the database refuses what does not fit (a 400 for the app)."""
    bounded = _bounded(column_type)
    return bounded | None if nullable else bounded


def _bounded(column_type: TypeEngine[Any]) -> Any:
    python = _python_type(column_type)
    base = column_type.impl_instance if isinstance(column_type, TypeDecorator) else column_type
    if python is int and isinstance(base, Integer):
        bits = next((b for kind, b in _INT_BITS if isinstance(base, kind)), 64)
        return Annotated[int, msgspec.Meta(ge=-(2 ** (bits - 1)), le=2 ** (bits - 1) - 1)]
    if python is str:
        if isinstance(base, Uuid):
            return Annotated[str, msgspec.Meta(pattern=UUID_TEXT)]
        length = base.length if isinstance(base, String) else None
        return Annotated[str, msgspec.Meta(pattern=NO_NUL, max_length=length)]
    if python is datetime.datetime and isinstance(base, SaDateTime):
        return Annotated[datetime.datetime, msgspec.Meta(tz=bool(base.timezone))]
    if python in _DECODABLE or (isinstance(python, type) and issubclass(python, enum.Enum)):
        return python
    return _JSON_SCALAR


def _python_type(column_type: TypeEngine[Any]) -> Any:
    """The column type's Python type; a TypeDecorator that does not say, its implementation's."""
    try:
        python = column_type.python_type
        if python is object and isinstance(column_type, TypeDecorator):
            python = column_type.impl_instance.python_type
    except NotImplementedError:
        return None
    return python


def values_decoder(types: Sequence[Any]) -> msgspec.json.Decoder[Any]:
    """The decoder of a sort key's values, built once per order (msgspec compiles the type)."""
    return msgspec.json.Decoder(tuple[tuple(types)])  # type: ignore[misc]


def fingerprint(model: str, order: Sequence[str], where: Any, include_deleted: bool) -> str:
    """What a cursor is bound to: the model, the order terms and the filter, hashed.

    A filter DTO counts by its msgspec JSON; an SQL expression by its SQL text (the default
    dialect's) and bound values, so the same expression built again on the next request matches.
    An expression that cannot be compiled alone counts by its type only.
    """
    items = where if isinstance(where, Sequence) else (() if where is None else (where,))
    parts = [model, list(order), include_deleted, [_where_part(item) for item in items]]
    digest = hashlib.blake2b(msgspec.json.encode(parts), digest_size=12).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


def _where_part(item: Any) -> Any:
    if isinstance(item, msgspec.Struct):
        return [type(item).__name__, msgspec.json.encode(item).decode()]
    try:
        compiled = item.compile()
        return [compiled.string, msgspec.json.encode(compiled.params, enc_hook=repr).decode()]
    except Exception:  # any expression still gets a fingerprint: its type's
        return [type(item).__name__]


def encode_position(bound_to: str, position: Position) -> str:
    """The cursor of a position, for the listing with fingerprint ``bound_to``.

    A sort key too long for a cursor (:data:`MAX_KEYSET_CURSOR_LENGTH`: a text column's value of
    kilobytes) raises InvalidCursorError: order by shorter columns to page past such a row.
    """
    raw = msgspec.json.encode([bound_to, position.direction, position.values])
    cursor = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
    if len(cursor) > MAX_KEYSET_CURSOR_LENGTH:
        raise InvalidCursorError(
            f"this row's sort key is too long for a cursor ({len(cursor)} characters, at most "
            f"{MAX_KEYSET_CURSOR_LENGTH}): order by shorter columns to page past it"
        )
    return cursor


def decode_position(cursor: str, bound_to: str, decoder: msgspec.json.Decoder[Any]) -> Position:
    """The position a cursor holds, checked against the listing it is used for: first that it
    was made for this order and filter (a clear message when not), then its values' types."""
    if len(cursor) > MAX_KEYSET_CURSOR_LENGTH:
        raise InvalidCursorError("cursor is too long")
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        made_for, direction, values_raw = _ENVELOPE.decode(raw)
    except (binascii.Error, ValueError, msgspec.DecodeError) as error:
        raise InvalidCursorError(f"invalid cursor: {error}") from None
    if made_for != bound_to:
        raise InvalidCursorError(
            "cursor was made for another order or filter: pass the same order_by and where as "
            "the page it came from, or start again without a cursor"
        )
    try:
        values = tuple(decoder.decode(values_raw))
    except (ValueError, msgspec.DecodeError) as error:
        raise InvalidCursorError(f"invalid cursor: {error}") from None
    for value in values:
        if isinstance(value, Decimal) and not value.is_finite():
            raise InvalidCursorError("invalid cursor: a decimal value must be finite")
    return Position(
        values=values, backward=direction.startswith("<"), inclusive=direction.endswith("=")
    )
