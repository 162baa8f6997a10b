"""A service's nested reads (``get_with``, ``list_with``, ``list_after_with``), both flavours.

Loaded with the first of them: a service that never reads a nested Read DTO never imports this
module, nor :mod:`.nested` and :mod:`.nested_rows` behind it. Each read takes the row path
where :mod:`.nested_rows` allows (the page's columns, then one statement per level; asyncio runs
it in one greenlet, ``AsyncSession.run_sync``), else the repository's ORM objects loaded with
the shape's paths (:func:`.nested.shape_paths`) and converted in one call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from .dto import ShapeT
from .nested import shape_paths, to_shape, to_shapes
from .nested_rows import NestedRows, shape_rows
from .pagination import KeysetPage, OffsetPage
from .read_rows import RowPlan, keyset_query, with_items
from .service import counted_rows, read_rows

if TYPE_CHECKING:
    from .service import ListsAfter, ReadOnlyServiceBase
    from .service_async import AsyncListsAfter, AsyncReadOnlyServiceBase

__all__ = [
    "async_get_with",
    "async_keyset_page_with",
    "async_list_with",
    "get_with",
    "keyset_page_with",
    "list_with",
    "shapes_keyset",
    "shapes_page",
]


def get_with(repository: Any, shape: type[ShapeT], key: Any) -> ShapeT:
    """The row with this key (the repository's ``get`` arguments) as ``shape``."""
    return to_shape(shape, repository.get(*key, load=shape_paths(shape)))


async def async_get_with(repository: Any, shape: type[ShapeT], key: Any) -> ShapeT:
    return to_shape(shape, await repository.get(*key, load=shape_paths(shape)))


def list_with(
    service: ReadOnlyServiceBase[Any, Any, Any, Any],
    shape: type[ShapeT],
    where: Any,
    order_by: Any,
    limit: int,
    offset: int,
) -> OffsetPage[ShapeT]:
    found = shape_rows(service._rows, shape)
    if found is not None:
        return shapes_page(service.session, found, where, order_by, limit, offset)
    items, total = service.repository.list_and_count(
        where, order_by=order_by, limit=limit, offset=offset, load=shape_paths(shape)
    )
    return OffsetPage(items=to_shapes(shape, items), total=total, limit=limit, offset=offset)


async def async_list_with(
    service: AsyncReadOnlyServiceBase[Any, Any, Any, Any],
    shape: type[ShapeT],
    where: Any,
    order_by: Any,
    limit: int,
    offset: int,
) -> OffsetPage[ShapeT]:
    found = shape_rows(service._rows, shape)
    if found is not None:
        run = service.session.run_sync
        page: OffsetPage[ShapeT] = await run(shapes_page, found, where, order_by, limit, offset)
        return page
    items, total = await service.repository.list_and_count(
        where, order_by=order_by, limit=limit, offset=offset, load=shape_paths(shape)
    )
    return OffsetPage(items=to_shapes(shape, items), total=total, limit=limit, offset=offset)


def keyset_page_with(
    service: ReadOnlyServiceBase[Any, Any, Any, Any],
    repository: ListsAfter[Any, Any, Any],
    shape: type[ShapeT],
    cursor: str | None,
    limit: int,
    where: Any,
    order_by: Any,
) -> KeysetPage[ShapeT]:
    found = shape_rows(service._rows, shape)
    if found is not None:
        return shapes_keyset(service.session, found, cursor, limit, where, order_by)
    page = repository.list_after(
        cursor, limit, where=where, order_by=order_by, load=shape_paths(shape)
    )
    return with_items(page, to_shapes(shape, page.items))


async def async_keyset_page_with(
    service: AsyncReadOnlyServiceBase[Any, Any, Any, Any],
    repository: AsyncListsAfter[Any, Any, Any],
    shape: type[ShapeT],
    cursor: str | None,
    limit: int,
    where: Any,
    order_by: Any,
) -> KeysetPage[ShapeT]:
    found = shape_rows(service._rows, shape)
    if found is not None:
        run = service.session.run_sync
        result: KeysetPage[ShapeT] = await run(shapes_keyset, found, cursor, limit, where, order_by)
        return result
    page = await repository.list_after(
        cursor, limit, where=where, order_by=order_by, load=shape_paths(shape)
    )
    return with_items(page, to_shapes(shape, page.items))


def shapes_page(
    session: Session,
    found: tuple[RowPlan[Any], NestedRows],
    where: Any,
    order_by: Any,
    limit: int,
    offset: int,
) -> OffsetPage[Any]:
    """`list_with`'s row path: the page, its count, a statement per level."""
    plan, nested = found
    rows, counted = counted_rows(session, plan, where, order_by, limit, offset)
    fetched = [read_rows(session, plan, s) for s in nested.statements(rows)]
    return OffsetPage(items=nested.items(rows, fetched), total=counted, limit=limit, offset=offset)


def shapes_keyset(
    session: Session,
    found: tuple[RowPlan[Any], NestedRows],
    cursor: str | None,
    limit: int,
    where: Any,
    order_by: Any,
) -> KeysetPage[Any]:
    """`list_after_with`'s row path."""
    plan, nested = found
    statement, paging = keyset_query(plan.spec, cursor, limit, where, order_by)
    rows = read_rows(session, plan, plan.selecting(statement))
    fetched = [read_rows(session, plan, s) for s in nested.statements(rows)]
    return paging(nested.items(rows, fetched))
