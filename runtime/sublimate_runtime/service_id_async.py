"""The asyncio twins of :mod:`.service_id` (a test checks that they mirror each other).

Services of a model whose primary key is one column named ``id`` (most models): the
key-specific methods and hooks too, with their exact signatures, so the generated class prints
only what differs by model (its types, and `upsert`, whose `on` default is the model's own).

Type parameters after :class:`.AsyncServiceBase`'s are the Update DTO and the key's type:
``AsyncIdServiceBase[Tag, TagRead, TagWhere, TagOrderBy, TagCreate, TagKey, TagUpdate, int]`` has
``get(self, id: int) -> TagRead`` and the hook ``before_update(self, id: int, data: TagUpdate)``,
which a user module overrides with that signature.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from .dto import ShapeT, validated
from .pagination import KeysetPage
from .service import CreateT, KeyT, ModelT, OrderT, ReadT, WhereT
from .service_async import (
    AsyncListsAfter,
    AsyncReadOnlyServiceBase,
    AsyncReadRows,
    AsyncRows,
    AsyncServiceBase,
    async_keyset_page,
    async_keyset_page_with,
)
from .service_id import IdT, UpdateT

if TYPE_CHECKING:  # asyncio needs greenlet; a sync-only application need not install it
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["AsyncIdReadOnlyServiceBase", "AsyncIdServiceBase"]

_Row = TypeVar("_Row")
_Row_co = TypeVar("_Row_co", covariant=True)
_Where = TypeVar("_Where", contravariant=True)
_Order = TypeVar("_Order", contravariant=True)
_Key = TypeVar("_Key", contravariant=True)
_Update = TypeVar("_Update", contravariant=True)
_Id = TypeVar("_Id", contravariant=True)


class AsyncIdReadRows(
    AsyncReadRows[_Row, _Where, _Order],
    AsyncListsAfter[_Row, _Where, _Order],
    Protocol[_Row, _Where, _Order, _Id],
):
    """What a read-only service keyed by `id` asks of its repository."""

    async def get(self, id: _Id, *, load: Any = ...) -> _Row: ...


class AsyncIdRows(
    AsyncRows[_Row, _Where, _Order, _Key], Protocol[_Row, _Where, _Order, _Key, _Update, _Id]
):
    """What a service keyed by `id` asks of its repository."""

    async def get(self, id: _Id, *, load: Any = ...) -> _Row: ...

    async def update(self, id: _Id, changes: _Update) -> _Row: ...

    async def delete(self, id: _Id) -> _Row: ...


class AsyncIdReadOnlyServiceBase(
    AsyncReadOnlyServiceBase[ModelT, ReadT, WhereT, OrderT],
    Generic[ModelT, ReadT, WhereT, OrderT, IdT],
):
    """Reads of a read-only model keyed by `id`: `get` too."""

    repository_class: Callable[[AsyncSession], AsyncIdReadRows[ModelT, WhereT, OrderT, IdT]]
    repository: AsyncIdReadRows[ModelT, WhereT, OrderT, IdT]

    async def get(self, id: IdT) -> ReadT:
        """The row with this key as a Read DTO; NotFoundError when there is none."""
        return self._read(await self.repository.get(id))

    async def get_with(self, shape: type[ShapeT], id: IdT) -> ShapeT:
        """The row with this key as `shape`, a nested Read DTO (`OrderReadWithLines`), loaded
        with one statement per level it holds; NotFoundError when there is none."""
        from .service_shapes import async_get_with  # loads with the first nested read

        return await async_get_with(self.repository, shape, (id,))

    async def list_after(
        self,
        cursor: str | None = None,
        limit: int = 50,
        *,
        where: WhereT | None = None,
        order_by: OrderT | None = None,
    ) -> KeysetPage[ReadT]:
        """A keyset page in `order_by` (primary key last): the first without `cursor`, then a
        page's `next_cursor` or `prev_cursor`, with the same `where` and `order_by`."""
        return await async_keyset_page(self, self.repository, cursor, limit, where, order_by)

    async def list_after_with(
        self,
        shape: type[ShapeT],
        cursor: str | None = None,
        limit: int = 50,
        *,
        where: WhereT | None = None,
        order_by: OrderT | None = None,
    ) -> KeysetPage[ShapeT]:
        """`list_after` with related rows: a keyset page of `shape` (see `list_with`)."""
        return await async_keyset_page_with(
            self, self.repository, shape, cursor, limit, where, order_by
        )


class AsyncIdServiceBase(
    AsyncServiceBase[ModelT, ReadT, WhereT, OrderT, CreateT, KeyT],
    Generic[ModelT, ReadT, WhereT, OrderT, CreateT, KeyT, UpdateT, IdT],
):
    """Reads and writes of a table keyed by `id`: `get`, `update`, `delete` and their hooks."""

    repository_class: Callable[
        [AsyncSession], AsyncIdRows[ModelT, WhereT, OrderT, KeyT, UpdateT, IdT]
    ]
    repository: AsyncIdRows[ModelT, WhereT, OrderT, KeyT, UpdateT, IdT]

    async def get(self, id: IdT) -> ReadT:
        """The row with this key as a Read DTO; NotFoundError when there is none."""
        return self._read(await self.repository.get(id))

    async def get_with(self, shape: type[ShapeT], id: IdT) -> ShapeT:
        """The row with this key as `shape`, a nested Read DTO (`OrderReadWithLines`), loaded
        with one statement per level it holds; NotFoundError when there is none."""
        from .service_shapes import async_get_with  # loads with the first nested read

        return await async_get_with(self.repository, shape, (id,))

    async def update(self, id: IdT, data: UpdateT) -> ReadT:
        """Change only the fields set in `data` (after `before_update`, validated)."""
        data = validated(await self.before_update(id, data))
        return await self._written(await self.repository.update(id, data))

    async def delete(self, id: IdT) -> ReadT:
        """Delete the row with this key (after `before_delete`) and return what it was."""
        await self.before_delete(id)
        return await self._written(await self.repository.delete(id))

    async def before_update(self, id: IdT, data: UpdateT) -> UpdateT:
        """Hook: the changes about to be applied; return them, changed or not."""
        return data

    async def before_delete(self, id: IdT) -> None:
        """Hook: called before the row is deleted; raise to refuse."""
