"""Repositories of a model whose primary key is one column named ``id`` (most models): the
key-specific methods too, with their exact signatures, so its generated class prints none.

The type parameters after the model, Filter and Order ones are the Update DTO, the Key literal
(the ``on`` of an upsert) and the key's type: ``IdRepository[Tag, TagFilter, TagOrder, TagUpdate,
TagKey, int]`` has ``get(self, id: int) -> Tag``. An upsert's ``on`` defaults to ``"id"``, the
primary key, as every generated repository's does. A model with another key prints these methods
itself (``get(self, order_id: int, product_id: int)``) on :class:`.Repository`.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from .loading import L, Load
from .repository import KeyedReadRepository, Repository
from .repository_spec import F, M, O

U = TypeVar("U")  # the Update DTO
C = TypeVar("C", bound=str)  # the Key literal: the names of the unique keys
P = TypeVar("P")  # the type of the `id` column

# The default of `on`: the primary key's name. Typed Any so that it is a valid default of any
# Key literal that has it (every one these bases serve: the generator checks).
ID: Any = "id"


class IdKeyedReadRepository(KeyedReadRepository[M, F, O, L], Generic[M, F, O, P, L]):
    """Reads of a read-only model keyed by `id` (a view with a primary key)."""

    def get(self, id: P, *, load: Load[L] = None) -> M:
        """The row with this primary key (with the related rows of `load`); NotFoundError when
        there is none."""
        return self._get((id,), False, load)


class IdRepository(Repository[M, F, O, L], Generic[M, F, O, U, C, P, L]):
    """Reads and writes of a table keyed by `id`."""

    def get(self, id: P, *, load: Load[L] = None) -> M:
        """The row with this primary key (with the related rows of `load`); NotFoundError when
        there is none."""
        return self._get((id,), False, load)

    def update(self, id: P, changes: U) -> M:
        """Set the fields of `changes` that are set; one UPDATE ... RETURNING, no SELECT first."""
        return self._update((id,), changes)

    def upsert(self, instance: M, *, on: C = ID) -> M:
        """Insert, or update the row with the same `on` key: one INSERT ... ON CONFLICT."""
        return self._upsert([instance], on)[0]

    def upsert_many(self, instances: Sequence[M], *, on: C = ID) -> builtins.list[M]:
        """Insert or update many rows in one batched statement; rows come back in input order."""
        return self._upsert(instances, on)

    def delete(self, id: P) -> M:
        """Delete the row with this primary key and return it: one DELETE ... RETURNING."""
        return self._delete_key((id,))

    def delete_many(self, keys: Sequence[P]) -> builtins.list[M]:
        """Delete the rows with these primary keys; returns those that existed."""
        return self._delete_keys(keys)
