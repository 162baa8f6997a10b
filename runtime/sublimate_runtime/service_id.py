"""Services of a model whose primary key is one column named ``id`` (most models): the
key-specific methods and hooks too, with their exact signatures, so the generated class prints
only what differs by model (its types, and `upsert`, whose `on` default is the model's own).

Type parameters after :class:`.ServiceBase`'s are the Update DTO and the key's type:
``IdServiceBase[Tag, TagRead, TagWhere, TagOrderBy, TagCreate, TagKey, TagUpdate, int]`` has
``get(self, id: int) -> TagRead`` and the hook ``before_update(self, id: int, data: TagUpdate)``,
which a user module overrides with that signature.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

import msgspec
from sqlalchemy.orm import Session

from .dto import validated
from .service import (
    CreateT,
    KeyT,
    ModelT,
    OrderT,
    ReadOnlyServiceBase,
    ReadRows,
    ReadT,
    Rows,
    ServiceBase,
    WhereT,
)

__all__ = ["IdReadOnlyServiceBase", "IdServiceBase"]

UpdateT = TypeVar("UpdateT", bound=msgspec.Struct)  # <M>Update
IdT = TypeVar("IdT")  # the type of the `id` column

_Row = TypeVar("_Row")
_Row_co = TypeVar("_Row_co", covariant=True)
_Where = TypeVar("_Where", contravariant=True)
_Order = TypeVar("_Order", contravariant=True)
_Key = TypeVar("_Key", contravariant=True)
_Update = TypeVar("_Update", contravariant=True)
_Id = TypeVar("_Id", contravariant=True)


class IdReadRows(ReadRows[_Row_co, _Where, _Order], Protocol[_Row_co, _Where, _Order, _Id]):
    """What a read-only service keyed by `id` asks of its repository."""

    def get(self, id: _Id) -> _Row_co: ...


class IdRows(Rows[_Row, _Where, _Order, _Key], Protocol[_Row, _Where, _Order, _Key, _Update, _Id]):
    """What a service keyed by `id` asks of its repository."""

    def get(self, id: _Id) -> _Row: ...

    def update(self, id: _Id, changes: _Update) -> _Row: ...

    def delete(self, id: _Id) -> _Row: ...


class IdReadOnlyServiceBase(
    ReadOnlyServiceBase[ModelT, ReadT, WhereT, OrderT], Generic[ModelT, ReadT, WhereT, OrderT, IdT]
):
    """Reads of a read-only model keyed by `id`: `get` too."""

    repository_class: Callable[[Session], IdReadRows[ModelT, WhereT, OrderT, IdT]]
    repository: IdReadRows[ModelT, WhereT, OrderT, IdT]

    def get(self, id: IdT) -> ReadT:
        """The row with this key as a Read DTO; NotFoundError when there is none."""
        return self._read(self.repository.get(id))


class IdServiceBase(
    ServiceBase[ModelT, ReadT, WhereT, OrderT, CreateT, KeyT],
    Generic[ModelT, ReadT, WhereT, OrderT, CreateT, KeyT, UpdateT, IdT],
):
    """Reads and writes of a table keyed by `id`: `get`, `update`, `delete` and their hooks."""

    repository_class: Callable[[Session], IdRows[ModelT, WhereT, OrderT, KeyT, UpdateT, IdT]]
    repository: IdRows[ModelT, WhereT, OrderT, KeyT, UpdateT, IdT]

    def get(self, id: IdT) -> ReadT:
        """The row with this key as a Read DTO; NotFoundError when there is none."""
        return self._read(self.repository.get(id))

    def update(self, id: IdT, data: UpdateT) -> ReadT:
        """Change only the fields set in `data` (after `before_update`, validated)."""
        data = validated(self.before_update(id, data))
        return self._written(self.repository.update(id, data))

    def delete(self, id: IdT) -> ReadT:
        """Delete the row with this key (after `before_delete`) and return what it was."""
        self.before_delete(id)
        return self._written(self.repository.delete(id))

    def before_update(self, id: IdT, data: UpdateT) -> UpdateT:
        """Hook: the changes about to be applied; return them, changed or not."""
        return data

    def before_delete(self, id: IdT) -> None:
        """Hook: called before the row is deleted; raise to refuse."""
