"""What the generated web modules share, whatever the framework: the list route's bounds and
parameter texts, and the choice of page it answers.

Every generated FastAPI router and Litestar controller lists rows the same way: `where` (a JSON
Filter), `order_by` (repeatable sort keys, "-" for descending), `limit` (1..:data:`MAX_LIMIT`)
and `offset` (0..:data:`MAX_OFFSET`); or `cursor` for keyset pages in the same `order_by`
(`cursor=` empty for the first page, then a page's `next_cursor` or `prev_cursor` with the same
`where` and `order_by`: a cursor made for another order or filter is a 400); and `load`
(repeatable, the keys of the module's `SHAPES`) adds related rows to each item: one value answers
its nested Read DTO, several the fields of each, with one query per relationship and none while
encoding. Values, filter operands, cursors and key path parameters are bounded by their columns
(an integer by its SQL type's range, no NUL in text...): an invalid one is a 400 naming it.

The generated module keeps only what is about its model (its DTOs, its service, its `SHAPES`);
:func:`list_page` (sync services) and :func:`list_page_async` pick the service method, so a fix
reaches every app by upgrading `sublimate-runtime`. They raise :class:`InvalidRequest` for a
cursor combined with an offset; each framework module answers it as its other 400s.

Imports no web framework (both framework modules import it).
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar, overload

from .pagination import KeysetPage, OffsetPage

__all__ = [
    "CURSOR_DOC",
    "LOAD_DOC",
    "MAX_LIMIT",
    "MAX_OFFSET",
    "ORDER_DOC",
    "AsyncKeysetLists",
    "AsyncLists",
    "InvalidRequest",
    "KeysetLists",
    "Lists",
    "list_page",
    "list_page_async",
]

MAX_LIMIT = 200
"""The most rows one list page holds (`limit`)."""
MAX_OFFSET = 2**63 - 1
"""The largest OFFSET every supported database takes (a signed 64-bit integer)."""
ORDER_DOC = (
    "Sort keys, repeatable, applied in turn; a leading '-' sorts descending. The primary key "
    "breaks ties; NULLs sort last ascending and first descending."
)
CURSOR_DOC = (
    "Keyset paging: empty for the first page, then a page's next_cursor (the rows after it) or "
    "prev_cursor (the rows before it), with the same where and order_by; not with offset."
)
LOAD_DOC = (
    "Related rows to include in each item, repeatable: each value adds its relationship's "
    "field (a list, or one object or null). One query per relationship."
)

# Protocol variables have the variance of where they appear.
_Where = TypeVar("_Where", contravariant=True)
_Order = TypeVar("_Order", contravariant=True)
_W = TypeVar("_W")
_O = TypeVar("_O")

Page = OffsetPage[Any] | KeysetPage[Any]
"""What a list route answers: a page of Read DTOs, or of the nested DTO `load` asked for."""


class InvalidRequest(Exception):
    """A parameter or the body cannot be taken: answered 400 naming it (`key`, `source`)."""

    def __init__(self, key: str, source: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.source = source
        self.message = message


class Lists(Protocol[_Where, _Order]):
    """Offset pages: what every generated sync service has (its read-only base's)."""

    def list(
        self,
        where: _Where | None = ...,
        *,
        order_by: _Order | None = ...,
        limit: int = ...,
        offset: int = ...,
    ) -> OffsetPage[Any]: ...

    def list_with(
        self,
        shape: type[Any],
        where: _Where | None = ...,
        *,
        order_by: _Order | None = ...,
        limit: int = ...,
        offset: int = ...,
    ) -> OffsetPage[Any]: ...


class KeysetLists(Lists[_Where, _Order], Protocol[_Where, _Order]):
    """Offset and keyset pages: a sync service of a model with a primary key."""

    def list_after(
        self,
        cursor: str | None = ...,
        limit: int = ...,
        *,
        where: _Where | None = ...,
        order_by: _Order | None = ...,
    ) -> KeysetPage[Any]: ...

    def list_after_with(
        self,
        shape: type[Any],
        cursor: str | None = ...,
        limit: int = ...,
        *,
        where: _Where | None = ...,
        order_by: _Order | None = ...,
    ) -> KeysetPage[Any]: ...


class AsyncLists(Protocol[_Where, _Order]):
    """:class:`Lists` of an async service."""

    async def list(
        self,
        where: _Where | None = ...,
        *,
        order_by: _Order | None = ...,
        limit: int = ...,
        offset: int = ...,
    ) -> OffsetPage[Any]: ...

    async def list_with(
        self,
        shape: type[Any],
        where: _Where | None = ...,
        *,
        order_by: _Order | None = ...,
        limit: int = ...,
        offset: int = ...,
    ) -> OffsetPage[Any]: ...


class AsyncKeysetLists(AsyncLists[_Where, _Order], Protocol[_Where, _Order]):
    """:class:`KeysetLists` of an async service."""

    async def list_after(
        self,
        cursor: str | None = ...,
        limit: int = ...,
        *,
        where: _Where | None = ...,
        order_by: _Order | None = ...,
    ) -> KeysetPage[Any]: ...

    async def list_after_with(
        self,
        shape: type[Any],
        cursor: str | None = ...,
        limit: int = ...,
        *,
        where: _Where | None = ...,
        order_by: _Order | None = ...,
    ) -> KeysetPage[Any]: ...


def _no_offset(offset: int) -> None:
    if offset:
        raise InvalidRequest("cursor", "query", "cannot be combined with offset")


@overload
def list_page(
    service: Lists[_W, _O],
    shape: type[Any] | None,
    cursor: None,
    limit: int,
    offset: int,
    where: _W | None,
    order_by: _O | None,
) -> OffsetPage[Any]: ...
@overload
def list_page(
    service: KeysetLists[_W, _O],
    shape: type[Any] | None,
    cursor: str | None,
    limit: int,
    offset: int,
    where: _W | None,
    order_by: _O | None,
) -> Page: ...
def list_page(
    service: Any,
    shape: type[Any] | None,
    cursor: str | None,
    limit: int,
    offset: int,
    where: Any,
    order_by: Any,
) -> Page:
    """The page a list route answers: keyset with `cursor` (`cursor=` empty: the first page),
    else offset; of `shape` (the nested Read DTO of `load`, from `read_shape`) when given, else
    of Read DTOs. A service without keyset pages takes only `cursor=None` (its route has none)."""
    if cursor is not None:
        _no_offset(offset)
        if shape is not None:
            return service.list_after_with(  # type: ignore[no-any-return]
                shape, cursor or None, limit, where=where, order_by=order_by
            )
        return service.list_after(  # type: ignore[no-any-return]
            cursor or None, limit, where=where, order_by=order_by
        )
    if shape is not None:
        return service.list_with(  # type: ignore[no-any-return]
            shape, where, order_by=order_by, limit=limit, offset=offset
        )
    return service.list(  # type: ignore[no-any-return]
        where, order_by=order_by, limit=limit, offset=offset
    )


@overload
async def list_page_async(
    service: AsyncLists[_W, _O],
    shape: type[Any] | None,
    cursor: None,
    limit: int,
    offset: int,
    where: _W | None,
    order_by: _O | None,
) -> OffsetPage[Any]: ...
@overload
async def list_page_async(
    service: AsyncKeysetLists[_W, _O],
    shape: type[Any] | None,
    cursor: str | None,
    limit: int,
    offset: int,
    where: _W | None,
    order_by: _O | None,
) -> Page: ...
async def list_page_async(
    service: Any,
    shape: type[Any] | None,
    cursor: str | None,
    limit: int,
    offset: int,
    where: Any,
    order_by: Any,
) -> Page:
    """:func:`list_page` of an async service."""
    if cursor is not None:
        _no_offset(offset)
        if shape is not None:
            return await service.list_after_with(  # type: ignore[no-any-return]
                shape, cursor or None, limit, where=where, order_by=order_by
            )
        return await service.list_after(  # type: ignore[no-any-return]
            cursor or None, limit, where=where, order_by=order_by
        )
    if shape is not None:
        return await service.list_with(  # type: ignore[no-any-return]
            shape, where, order_by=order_by, limit=limit, offset=offset
        )
    return await service.list(  # type: ignore[no-any-return]
        where, order_by=order_by, limit=limit, offset=offset
    )
