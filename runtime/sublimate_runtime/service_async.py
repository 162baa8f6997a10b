"""The asyncio twins of ``service``'s bases: the same methods, awaited, on an AsyncSession.

They stay coroutines of their own because they await the user's hooks (``async def
before_create``...) and the async repository; everything else is ``service``'s, shared: building
a row or a page, and the row path's reads, run in one greenlet (``AsyncSession.run_sync``).
AsyncSession is imported for the type checker only: asyncio needs greenlet, and a sync-only
application importing ``sublimate_runtime`` need not install it.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from .dto import ShapeT, validated
from .pagination import KeysetPage, OffsetPage
from .read_rows import RowReader, row_reader, with_items
from .service import (
    CreateT,
    KeyT,
    ModelT,
    OrderT,
    ReadT,
    WhereT,
    commit,
    new_row,
    offset_page,
    rows_keyset,
    rows_page,
)
from .type_args import type_argument

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "AsyncReadOnlyServiceBase",
    "AsyncServiceBase",
    "async_keyset_page",
    "async_keyset_page_with",
]

_Row = TypeVar("_Row")
_Row_co = TypeVar("_Row_co", covariant=True)
_Where = TypeVar("_Where", contravariant=True)
_Order = TypeVar("_Order", contravariant=True)
_Key = TypeVar("_Key", contravariant=True)


class AsyncReadRows(Protocol[_Row_co, _Where, _Order]):
    """What a read-only asyncio service asks of its repository."""

    async def list_and_count(
        self,
        where: _Where | None,
        *,
        order_by: _Order | None,
        limit: int | None,
        offset: int,
        load: Any = ...,
    ) -> tuple[Sequence[_Row_co], int]: ...

    async def count(self, where: _Where | None) -> int: ...


class AsyncListsAfter(Protocol[_Row, _Where, _Order]):
    """Keyset pages: what `list_after` asks of a keyed asyncio service's repository."""

    async def list_after(
        self,
        cursor: str | None,
        limit: int,
        *,
        where: _Where | None,
        order_by: _Order | None,
        load: Any = ...,
    ) -> KeysetPage[_Row]: ...


class AsyncRows(
    AsyncReadRows[_Row, _Where, _Order],
    AsyncListsAfter[_Row, _Where, _Order],
    Protocol[_Row, _Where, _Order, _Key],
):
    """What an asyncio service asks of its repository."""

    async def add(self, instance: _Row) -> _Row: ...

    async def insert_many(self, instances: Sequence[_Row]) -> builtins.list[_Row]: ...

    async def upsert(self, instance: _Row, *, on: _Key) -> _Row: ...


async def async_keyset_page(
    service: AsyncReadOnlyServiceBase[ModelT, ReadT, WhereT, OrderT],
    repository: AsyncListsAfter[ModelT, WhereT, OrderT],
    cursor: str | None,
    limit: int,
    where: WhereT | None,
    order_by: OrderT | None,
) -> KeysetPage[ReadT]:
    """`list_after` of an asyncio keyed service (see ``service.keyset_page``)."""
    plan = None if service._rows is None else service._rows.plan
    if plan is None:
        page = await repository.list_after(cursor, limit, where=where, order_by=order_by)
        return with_items(page, [service._read(item) for item in page.items])
    result: KeysetPage[ReadT] = await service.session.run_sync(
        rows_keyset, plan, cursor, limit, where, order_by
    )
    return result


async def async_keyset_page_with(
    service: AsyncReadOnlyServiceBase[Any, Any, WhereT, OrderT],
    repository: AsyncListsAfter[Any, WhereT, OrderT],
    shape: type[ShapeT],
    cursor: str | None,
    limit: int,
    where: WhereT | None,
    order_by: OrderT | None,
) -> KeysetPage[ShapeT]:
    """`list_after_with` of an asyncio keyed service (:mod:`.service_shapes`)."""
    from .service_shapes import async_keyset_page_with

    return await async_keyset_page_with(service, repository, shape, cursor, limit, where, order_by)


class AsyncReadOnlyServiceBase(Generic[ModelT, ReadT, WhereT, OrderT]):
    """Reads on an AsyncSession (see ``service.ReadOnlyServiceBase``)."""

    repository_class: Callable[[AsyncSession], AsyncReadRows[ModelT, WhereT, OrderT]]
    repository: AsyncReadRows[ModelT, WhereT, OrderT]
    _read: Callable[[ModelT], ReadT]  # staticmethod(<m>_to_read)
    _rows: ClassVar[RowReader[Any] | None] = None  # see service.ReadOnlyServiceBase

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "_rows" not in vars(cls):
            cls._rows = row_reader(cls, AsyncReadOnlyServiceBase)

    def __init__(self, session: AsyncSession, *, auto_commit: bool = False) -> None:
        self.session = session
        self.repository = self.repository_class(session)
        self.auto_commit = auto_commit

    async def list(
        self,
        where: WhereT | None = None,
        *,
        order_by: OrderT | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> OffsetPage[ReadT]:
        """One page of rows with the total count (one statement; a second past the last page)."""
        plan = None if self._rows is None else self._rows.plan
        if plan is None:
            items, total = await self.repository.list_and_count(
                where, order_by=order_by, limit=limit, offset=offset
            )
            return offset_page(self._read, items, total, limit, offset)
        return await self.session.run_sync(rows_page, plan, where, order_by, limit, offset)

    async def list_with(
        self,
        shape: type[ShapeT],
        where: WhereT | None = None,
        *,
        order_by: OrderT | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> OffsetPage[ShapeT]:
        """`list` with related rows (see ``service.ReadOnlyServiceBase.list_with``)."""
        from .service_shapes import async_list_with  # loads with the first nested read

        return await async_list_with(self, shape, where, order_by, limit, offset)

    async def count(self, where: WhereT | None = None) -> int:
        """How many rows match."""
        return await self.repository.count(where)


class AsyncServiceBase(
    AsyncReadOnlyServiceBase[ModelT, ReadT, WhereT, OrderT],
    Generic[ModelT, ReadT, WhereT, OrderT, CreateT, KeyT],
):
    """Reads and writes on an AsyncSession (see ``service.ServiceBase``)."""

    repository_class: Callable[[AsyncSession], AsyncRows[ModelT, WhereT, OrderT, KeyT]]
    repository: AsyncRows[ModelT, WhereT, OrderT, KeyT]
    _model: type[ModelT]
    _create: type[CreateT]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # The model and its Create DTO, read off the class's type arguments unless it sets them.
        for name, parameter in (("_model", "ModelT"), ("_create", "CreateT")):
            found = type_argument(cls, AsyncServiceBase, parameter)
            if name not in vars(cls) and found is not None:
                setattr(cls, name, found)
        super().__init_subclass__(**kwargs)

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

    async def create(self, data: CreateT) -> ReadT:
        """Insert one row from validated input."""
        data = validated(await self.before_create(data))
        return await self._written(await self.repository.add(self.to_model(data)))

    async def create_many(self, data: Sequence[CreateT]) -> builtins.list[ReadT]:
        """Insert many in one batched statement."""
        models = [self.to_model(validated(await self.before_create(item))) for item in data]
        instances = await self.repository.insert_many(models)
        result = [self._read(instance) for instance in instances]
        await self._commit()
        return result

    async def upsert(self, data: CreateT, *, on: KeyT) -> ReadT:
        """Insert, or update the row with the same `on` key."""
        data = validated(await self.before_create(data))
        return await self._written(await self.repository.upsert(self.to_model(data), on=on))

    async def before_create(self, data: CreateT) -> CreateT:
        """Hook: each input of create, create_many and upsert; return it, changed or not."""
        return data

    def to_model(self, data: CreateT) -> ModelT:
        """A new row from the fields set in `data` (not the extra fields of a subclass)."""
        return new_row(self._model, self._create, data)

    async def _written(self, instance: ModelT) -> ReadT:
        """The Read DTO of a row just written, taken before the commit (which expires it)."""
        result = self._read(instance)
        await self._commit()
        return result

    async def _commit(self) -> None:
        if self.auto_commit:
            await self.session.run_sync(commit, self._model.__name__)
