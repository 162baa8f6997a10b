"""Page types returned by generated services, and opaque cursors for keyset pagination.

A keyset cursor is the last row's sort key, encoded so that clients treat it as an opaque token
and pass it back unchanged; decoding validates it against the key's types, so a tampered cursor
becomes a clean :class:`InvalidCursorError` (a 400 for an API) instead of a database error.
Generated repositories pass the key's DTO types, bounded as the columns are (an ``int`` within
its SQL type's range, a string without NUL): a value the key column cannot hold is refused here.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Generic, TypeVar

import msgspec

T = TypeVar("T")
Tup = TypeVar("Tup", bound=tuple[Any, ...])

MAX_CURSOR_LENGTH = 4096
"""Longer cursors are rejected before decoding: keys are a few values, never kilobytes."""


class OffsetPage(msgspec.Struct, Generic[T], kw_only=True):
    """One page of a LIMIT/OFFSET listing and the total number of matching rows."""

    items: list[T]
    total: int
    limit: int | None
    offset: int


class KeysetPage(msgspec.Struct, Generic[T], kw_only=True):
    """One page of a keyset listing. ``next_cursor`` gives the rows after it (None on the last
    page), ``prev_cursor`` the rows before it (None on the first): pass either back, with the
    same order and filter (see :mod:`.keyset_cursor`)."""

    items: list[T]
    next_cursor: str | None
    prev_cursor: str | None = None


class InvalidCursorError(ValueError):
    """The cursor was not produced by :func:`encode_cursor` for this key."""


def encode_cursor(values: tuple[Any, ...]) -> str:
    """URL-safe base64 (no padding) of the JSON array of ``values``; UUIDs, dates etc. as text."""
    return base64.urlsafe_b64encode(msgspec.json.encode(values)).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, type_: type[Tup]) -> Tup:
    """Decode a cursor into ``type_``, e.g. ``tuple[uuid.UUID, int]``, validating every value."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursorError("cursor is too long")
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        value: Tup = msgspec.json.decode(raw, type=type_)
    except (binascii.Error, ValueError, msgspec.DecodeError) as error:
        raise InvalidCursorError(f"invalid cursor: {error}") from None
    return value
