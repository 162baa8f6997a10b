"""Constants of the bounds generated code puts on input, shared by introspection and rendering.

Kept apart from `introspect/types.py` so that rendering (which prints path parameters) does not
import SQLAlchemy.
"""

from __future__ import annotations

NO_NUL = "^[^\\x00]*$"
"""The pattern every string input is held to (msgspec `Meta` / Litestar `PathParameter`): no NUL
character, which PostgreSQL cannot store in text. A regex, matched by search."""

UUID_TEXT = "^[0-9a-fA-F]{8}(-?[0-9a-fA-F]{4}){3}-?[0-9a-fA-F]{12}(?!\\n)$"
"""The pattern of a UUID column read as `str` (`Uuid(as_uuid=False)`): 32 hex digits, the four
hyphens optional (what PostgreSQL, asyncpg and Python's `uuid.UUID` all parse). Without it a
malformed value reached PostgreSQL, which refuses it ("invalid input syntax for type uuid").
`(?!\\n)` because Python's `$` (msgspec checks patterns with `re`) also matches before a final
newline, which PostgreSQL refuses and SQLite would store."""


def int_bounds(bounds: tuple[int, int]) -> list[str]:
    """The `ge=`/`le=` arguments of an integer range, as msgspec `Meta` and Litestar parameters
    take them: neither takes a bound beyond int64, so an unsigned BIGINT gets `ge=0` only (a
    larger value is the database's to refuse)."""
    low, high = bounds
    return [f"ge={low}"] + ([f"le={high}"] if high <= 2**63 - 1 else [])
