"""The asyncio twins of :mod:`.repository_id` (a test checks that they mirror each other):
the repositories of a model whose primary key is one column named ``id``, on an AsyncSession."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Generic

from .loading import L, Load
from .repository_async import (
    AsyncKeyedReadRepository,
    AsyncRepository,
)
from .repository_id import ID, C, P, U
from .repository_spec import F, M, O


class AsyncIdKeyedReadRepository(AsyncKeyedReadRepository[M, F, O, L], Generic[M, F, O, P, L]):
    """Reads of a read-only model keyed by `id` (a view with a primary key)."""

    async def get(self, id: P, *, load: Load[L] = None) -> M:
        """The row with this primary key (with the related rows of `load`); NotFoundError when
        there is none."""
        return await self._get((id,), False, load)


class AsyncIdRepository(AsyncRepository[M, F, O, L], Generic[M, F, O, U, C, P, L]):
    """Reads and writes of a table keyed by `id`."""

    async def get(self, id: P, *, load: Load[L] = None) -> M:
        """The row with this primary key (with the related rows of `load`); NotFoundError when
        there is none."""
        return await self._get((id,), False, load)

    async def update(self, id: P, changes: U) -> M:
        """Set the fields of `changes` that are set; one UPDATE ... RETURNING, no SELECT first."""
        return await self._update((id,), changes)

    async def upsert(self, instance: M, *, on: C = ID) -> M:
        """Insert, or update the row with the same `on` key: one INSERT ... ON CONFLICT."""
        return (await self._upsert([instance], on))[0]

    async def upsert_many(self, instances: Sequence[M], *, on: C = ID) -> builtins.list[M]:
        """Insert or update many rows in one batched statement; rows come back in input order."""
        return await self._upsert(instances, on)

    async def delete(self, id: P) -> M:
        """Delete the row with this primary key and return it: one DELETE ... RETURNING."""
        return await self._delete_key((id,))

    async def delete_many(self, keys: Sequence[P]) -> builtins.list[M]:
        """Delete the rows with these primary keys; returns those that existed."""
        return await self._delete_keys(keys)
