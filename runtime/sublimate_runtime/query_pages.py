"""Keyset pages of a typed SQL query (`-- name: X :many_after`), on the repositories' machinery.

The generator hands over the query's statement without its ORDER BY (a ``sa.text(...).columns(
...)``) and the order it stated; each page reads ``SELECT * FROM (<statement>) AS page WHERE
<past the cursor's row> ORDER BY <the order> LIMIT limit + 1`` (:mod:`.keyset`: the OR-of-ANDs
seek condition, NULLs sorting as the greatest value, previous pages by the reversed order).

A cursor is bound (:func:`.keyset_cursor.decode_position`) to the query's name, its order and
the values of its parameters: passed back with other parameters it is refused with
:class:`InvalidCursorError`, as its position would mean nothing among other rows. Its values are
decoded with the types of their columns (integers within 64 bits, text without NUL).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import msgspec
import sqlalchemy as sa
from sqlalchemy.sql.selectable import TextualSelect

from .keyset import Keyset, KeysetQuery, keyset_query
from .keyset_cursor import NO_NUL, values_decoder
from .ordering import Order, Term

R = TypeVar("R")

_INT64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
_TEXT = Annotated[str, msgspec.Meta(pattern=NO_NUL)]


@dataclass(frozen=True, slots=True, kw_only=True)
class PageTerm:
    """One column of the order, as the generator read it from the query's ORDER BY."""

    label: str  # the result column
    attr: str  # the row's field holding it
    type: Any  # its Python type (None excluded): what a cursor's value decodes to
    descending: bool = False
    nullable: bool = False


class QueryPages(Generic[R]):
    """One `:many_after` query's pages: built once, at import of its generated module."""

    __slots__ = ("_keyset", "_name", "_select")

    def __init__(self, name: str, statement: TextualSelect, order: Sequence[PageTerm]) -> None:
        if not order:
            raise ValueError("a keyset needs at least one column to order by")
        subquery = statement.subquery("page")
        terms = tuple(Term(subquery.c[t.label], t.descending, t.nullable) for t in order)
        types = [_bounded(t.type) | None if t.nullable else _bounded(t.type) for t in order]
        self._name = name
        self._select: sa.Select[Any] = sa.select(subquery)
        names = tuple(("-" if t.descending else "") + t.label for t in order)
        attrs = tuple(t.attr for t in order)
        self._keyset = Keyset(Order.of(names, terms, attrs), values_decoder(types))

    def at(self, cursor: str | None, limit: int, params: Mapping[str, Any]) -> KeysetQuery[R]:
        """The page at ``cursor`` (the first without one) for these parameter values: its
        statement to execute with ``params``, and ``.page(rows)`` to make the page of its rows.
        InvalidCursorError for a cursor of another query, other parameters, or tampered with."""
        return keyset_query(self._keyset, self._select, self._bound_to(params), cursor, limit)

    def _bound_to(self, params: Mapping[str, Any]) -> str:
        parts = [self._name, list(self._keyset.names), sorted(params.items())]
        digest = hashlib.blake2b(msgspec.json.encode(parts, enc_hook=repr), digest_size=12)
        return base64.urlsafe_b64encode(digest.digest()).decode("ascii")


def _bounded(python: Any) -> Any:
    """Bounds that cost nothing to check: an int within 64 bits, text without NUL."""
    if python is int:
        return _INT64
    if python is str:
        return _TEXT
    return python
