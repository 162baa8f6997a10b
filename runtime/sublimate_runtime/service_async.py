"""The asyncio twins of ``service``'s bases: the same methods, awaited, on an AsyncSession.

What does not wait on the database (building a row, a page) is ``service``'s helpers, shared.
AsyncSession is imported for the type checker only: asyncio needs greenlet, and a sync-only
application importing ``sublimate_runtime`` need not install it.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from .dto import validated
from .guards import async_write_guard
from .pagination import OffsetPage
from .service import CreateT, KeyT, ModelT, OrderT, ReadT, WhereT, new_row, offset_page

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["AsyncReadOnlyServiceBase", "AsyncServiceBase"]

_Row = TypeVar("_Row")
_Row_co = TypeVar("_Row_co", covariant=True)
_Where = TypeVar("_Where", contravariant=True)
_Order = TypeVar("_Order", contravariant=True)
_Key = TypeVar("_Key", contravariant=True)


class AsyncReadRows(Protocol[_Row_co, _Where, _Order]):
    """What a read-only asyncio service asks of its repository."""

    async def list_and_count(
        self, where: _Where | None, *, order_by: _Order | None, limit: int | None, offset: int
    ) -> tuple[Sequence[_Row_co], int]: ...

    async def count(self, where: _Where | None) -> int: ...


class AsyncRows(AsyncReadRows[_Row, _Where, _Order], Protocol[_Row, _Where, _Order, _Key]):
    """What an asyncio service asks of its repository."""

    async def add(self, instance: _Row) -> _Row: ...

    async def insert_many(self, instances: Sequence[_Row]) -> builtins.list[_Row]: ...

    async def upsert(self, instance: _Row, *, on: _Key) -> _Row: ...


class AsyncReadOnlyServiceBase(Generic[ModelT, ReadT, WhereT, OrderT]):
    """Reads on an AsyncSession (see ``service.ReadOnlyServiceBase``)."""

    repository_class: Callable[[AsyncSession], AsyncReadRows[ModelT, WhereT, OrderT]]
    repository: AsyncReadRows[ModelT, WhereT, OrderT]
    _read: Callable[[ModelT], ReadT]  # staticmethod(<m>_to_read)

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
        """One page of rows with the total count (one statement)."""
        items, total = await self.repository.list_and_count(
            where, order_by=order_by, limit=limit, offset=offset
        )
        return offset_page(self._read, items, total, limit, offset)

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
            async with async_write_guard(self.session, self._model.__name__, ()):
                await self.session.commit()
