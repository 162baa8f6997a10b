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
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.orm import Session

from .dto import ShapeT, validated
from .pagination import KeysetPage
from .service import (
    CreateT,
    KeyT,
    ListsAfter,
    ModelT,
    OrderT,
    ReadOnlyServiceBase,
    ReadRows,
    ReadT,
    Rows,
    ServiceBase,
    WhereT,
    keyset_page,
    keyset_page_with,
)

__all__ = ["IdReadOnlyServiceBase", "IdServiceBase"]

UpdateT = TypeVar("UpdateT")  # <M>Update: a msgspec Struct or a pydantic model
IdT = TypeVar("IdT")  # the type of the `id` column

_Row = TypeVar("_Row")
_Row_co = TypeVar("_Row_co", covariant=True)
_Where = TypeVar("_Where", contravariant=True)
_Order = TypeVar("_Order", contravariant=True)
_Key = TypeVar("_Key", contravariant=True)
_Update = TypeVar("_Update", contravariant=True)
_Id = TypeVar("_Id", contravariant=True)


class IdReadRows(
    ReadRows[_Row, _Where, _Order],
    ListsAfter[_Row, _Where, _Order],
    Protocol[_Row, _Where, _Order, _Id],
):
    """What a read-only service keyed by `id` asks of its repository."""

    def get(self, id: _Id, *, load: Any = ...) -> _Row: ...


class IdRows(Rows[_Row, _Where, _Order, _Key], Protocol[_Row, _Where, _Order, _Key, _Update, _Id]):
    """What a service keyed by `id` asks of its repository."""

    def get(self, id: _Id, *, load: Any = ...) -> _Row: ...

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

    def get_with(self, shape: type[ShapeT], id: IdT) -> ShapeT:
        """The row with this key as `shape`, a nested Read DTO (`OrderReadWithLines`), loaded
        with one statement per level it holds; NotFoundError when there is none."""
        from .service_shapes import get_with  # loads with the first nested read

        return get_with(self.repository, shape, (id,))

    def list_after(
        self,
        cursor: str | None = None,
        limit: int = 50,
        *,
        where: WhereT | None = None,
        order_by: OrderT | None = None,
    ) -> KeysetPage[ReadT]:
        """A keyset page in `order_by` (primary key last): the first without `cursor`, then a
        page's `next_cursor` or `prev_cursor`, with the same `where` and `order_by`."""
        return keyset_page(self, self.repository, cursor, limit, where, order_by)

    def list_after_with(
        self,
        shape: type[ShapeT],
        cursor: str | None = None,
        limit: int = 50,
        *,
        where: WhereT | None = None,
        order_by: OrderT | None = None,
    ) -> KeysetPage[ShapeT]:
        """`list_after` with related rows: a keyset page of `shape` (see `list_with`)."""
        return keyset_page_with(self, self.repository, shape, cursor, limit, where, order_by)


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

    def get_with(self, shape: type[ShapeT], id: IdT) -> ShapeT:
        """The row with this key as `shape`, a nested Read DTO (`OrderReadWithLines`), loaded
        with one statement per level it holds; NotFoundError when there is none."""
        from .service_shapes import get_with  # loads with the first nested read

        return get_with(self.repository, shape, (id,))

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
