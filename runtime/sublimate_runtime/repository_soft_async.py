"""The asyncio twins of :mod:`.repository_soft` (a test checks that they mirror each other):
loaded with the first soft-deleting model's async repository."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any, Generic

from .loading import L, Load
from .pagination import KeysetPage
from .repository_async import AsyncRepository
from .repository_id import C, P, U
from .repository_id_async import AsyncIdRepository
from .repository_soft import SoftDeleteRepository
from .repository_spec import F, M, O, OrderBy, Where

__all__ = ["AsyncIdSoftDeleteRepository", "AsyncSoftDeleteRepository"]


class AsyncSoftDeleteRepository(AsyncRepository[M, F, O, L]):
    """:class:`.SoftDeleteRepository` on an ``AsyncSession``."""

    _sync_base = SoftDeleteRepository

    async def get_one_or_none(
        self, where: Where[F] = None, *, include_deleted: bool = False, load: Load[L] = None
    ) -> M | None:
        return await self._run(
            lambda r: r.get_one_or_none(where, include_deleted=include_deleted, load=load)
        )

    async def list(
        self,
        where: Where[F] = None,
        *,
        order_by: OrderBy[O] = None,
        limit: int | None = None,
        offset: int = 0,
        include_deleted: bool = False,
        load: Load[L] = None,
    ) -> builtins.list[M]:
        return await self._run(
            lambda r: r._list(where, order_by, limit, offset, include_deleted, load)
        )

    async def list_and_count(
        self,
        where: Where[F] = None,
        *,
        order_by: OrderBy[O] = None,
        limit: int | None = None,
        offset: int = 0,
        include_deleted: bool = False,
        load: Load[L] = None,
    ) -> tuple[builtins.list[M], int]:
        return await self._run(
            lambda r: r._list_and_count(where, order_by, limit, offset, include_deleted, load)
        )

    async def count(self, where: Where[F] = None, *, include_deleted: bool = False) -> int:
        return await self._run(lambda r: r.count(where, include_deleted=include_deleted))

    async def exists(self, where: Where[F] = None, *, include_deleted: bool = False) -> bool:
        return await self._run(lambda r: r.exists(where, include_deleted=include_deleted))

    async def list_after(
        self,
        cursor: str | None = None,
        limit: int = 50,
        *,
        where: Where[F] = None,
        order_by: OrderBy[O] = None,
        include_deleted: bool = False,
        load: Load[L] = None,
    ) -> KeysetPage[M]:
        return await self._run(
            lambda r: r._list_after(cursor, limit, where, order_by, include_deleted, load)
        )

    async def delete_where(self, where: Where[F]) -> builtins.list[M]:
        return await self._run(lambda r: r.delete_where(where))  # its docstring differs

    # --- what the generated methods call --------------------------------------------------

    async def _soft_delete(self, key: tuple[Any, ...]) -> M:
        return await self._run(lambda r: r._soft_delete(key))

    async def _soft_delete_keys(self, keys: Sequence[Any]) -> builtins.list[M]:
        return await self._run(lambda r: r._soft_delete_keys(keys))

    async def _restore(self, key: tuple[Any, ...]) -> M:
        return await self._run(lambda r: r._restore(key))


class AsyncIdSoftDeleteRepository(
    AsyncSoftDeleteRepository[M, F, O, L],
    AsyncIdRepository[M, F, O, U, C, P, L],
    Generic[M, F, O, U, C, P, L],
):
    """A soft-deleting table keyed by `id`: `delete` marks, `purge` removes, `restore` undoes
    (`update` and the upserts are AsyncIdRepository's)."""

    async def get(self, id: P, *, include_deleted: bool = False, load: Load[L] = None) -> M:
        """The row with this primary key (with the related rows of `load`); NotFoundError when
        there is none (or it is deleted)."""
        return await self._get((id,), include_deleted, load)

    async def delete(self, id: P) -> M:
        """Soft-delete the live row with this primary key and return it."""
        return await self._soft_delete((id,))

    async def delete_many(self, keys: Sequence[P]) -> builtins.list[M]:
        """Soft-delete the live rows with these primary keys; returns those that were live."""
        return await self._soft_delete_keys(keys)

    async def restore(self, id: P) -> M:
        """Undo a soft delete; a live row is returned as it is."""
        return await self._restore((id,))

    async def purge(self, id: P) -> M:
        """Delete the row for good, soft-deleted or not: one DELETE ... RETURNING."""
        return await self._delete_key((id,))
