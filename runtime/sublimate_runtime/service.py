"""What every generated service does, written once: generated modules keep only their model's part.

A generated ``<M>Service`` subclasses :class:`ServiceBase` (``ReadOnlyServiceBase`` for a view or
a table without a primary key) with its model's types as type arguments, so the inherited
methods' signatures are the model's exactly and ``mypy --strict`` checks every call site. The
generated class adds only the methods whose signature is its own: those that take the key
(``get``, ``update``, ``delete``, the ``before_update``/``before_delete`` hooks) and ``upsert``,
whose ``on`` has a default only for some models (it calls this one).

Transactions: by default a service is a unit of work inside the caller's transaction (it flushes,
the caller commits or rolls back). With ``auto_commit=True`` each write method commits before it
returns. A write that violates a constraint rolls the session back and raises the runtime's typed
error, so nothing half-written is ever committed.

Hooks: ``before_create`` sees each input of ``create``, ``create_many`` and ``upsert``;
``before_update`` the changes about to be applied; ``before_delete`` is called before the row is
deleted (raise to refuse). What a hook returns is passed through :func:`validated` before it is
written. ``to_model`` builds a new row from a Create DTO.

The asyncio twins are in ``service_async``: importing this module does not import asyncio's
SQLAlchemy extension (it needs greenlet, which a sync-only application need not install).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Sequence
from typing import Generic, Protocol, TypeVar

import msgspec
from sqlalchemy.orm import Session

from .dto import set_fields, validated
from .guards import write_guard
from .pagination import OffsetPage

__all__ = ["ReadOnlyServiceBase", "ServiceBase", "new_row", "offset_page"]

ModelT = TypeVar("ModelT")  # the mapped class
ReadT = TypeVar("ReadT")  # <M>Read
WhereT = TypeVar("WhereT")  # <M>Where: what `list` and `count` filter on
OrderT = TypeVar("OrderT")  # <M>OrderBy
CreateT = TypeVar("CreateT", bound=msgspec.Struct)  # <M>Create
KeyT = TypeVar("KeyT")  # <M>Key: the unique-key names an upsert may match on

# Protocol variables have the variance of where they appear.
_Row = TypeVar("_Row")
_Row_co = TypeVar("_Row_co", covariant=True)
_Where = TypeVar("_Where", contravariant=True)
_Order = TypeVar("_Order", contravariant=True)
_Key = TypeVar("_Key", contravariant=True)


class ReadRows(Protocol[_Row_co, _Where, _Order]):
    """What a read-only service asks of its repository (a generated repository has more)."""

    def list_and_count(
        self, where: _Where | None, *, order_by: _Order | None, limit: int | None, offset: int
    ) -> tuple[Sequence[_Row_co], int]: ...

    def count(self, where: _Where | None) -> int: ...


class Rows(ReadRows[_Row, _Where, _Order], Protocol[_Row, _Where, _Order, _Key]):
    """What a service asks of its repository."""

    def add(self, instance: _Row) -> _Row: ...

    def insert_many(self, instances: Sequence[_Row]) -> builtins.list[_Row]: ...

    def upsert(self, instance: _Row, *, on: _Key) -> _Row: ...


def offset_page(
    to_read: Callable[[ModelT], ReadT],
    items: Iterable[ModelT],
    total: int,
    limit: int,
    offset: int,
) -> OffsetPage[ReadT]:
    """The page `list` returns, from what `list_and_count` found (both flavours)."""
    return OffsetPage(
        items=[to_read(item) for item in items], total=total, limit=limit, offset=offset
    )


def new_row(
    model: Callable[..., ModelT], create: type[msgspec.Struct], data: msgspec.Struct
) -> ModelT:
    """A row from the fields set in `data` that `create` declares: a subclass of the Create DTO
    may carry extra fields for its own methods, which are not columns (both flavours)."""
    values = set_fields(data)
    return model(**{name: values[name] for name in create.__struct_fields__ if name in values})


class ReadOnlyServiceBase(Generic[ModelT, ReadT, WhereT, OrderT]):
    """Reads on a Session: `list` and `count` (the generated subclass adds `get` when the model
    has a key). A subclass sets `repository_class` (the user module does, to its own
    repository) and `_read`, the model's generated `<m>_to_read`."""

    repository_class: Callable[[Session], ReadRows[ModelT, WhereT, OrderT]]
    repository: ReadRows[ModelT, WhereT, OrderT]
    # staticmethod(<m>_to_read): a plain function would be bound to the service.
    _read: Callable[[ModelT], ReadT]

    def __init__(self, session: Session, *, auto_commit: bool = False) -> None:
        self.session = session
        self.repository = self.repository_class(session)
        self.auto_commit = auto_commit

    def list(
        self,
        where: WhereT | None = None,
        *,
        order_by: OrderT | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> OffsetPage[ReadT]:
        """One page of rows with the total count (one statement)."""
        items, total = self.repository.list_and_count(
            where, order_by=order_by, limit=limit, offset=offset
        )
        return offset_page(self._read, items, total, limit, offset)

    def count(self, where: WhereT | None = None) -> int:
        """How many rows match."""
        return self.repository.count(where)


class ServiceBase(
    ReadOnlyServiceBase[ModelT, ReadT, WhereT, OrderT],
    Generic[ModelT, ReadT, WhereT, OrderT, CreateT, KeyT],
):
    """Reads and writes on a Session. Besides `repository_class` and `_read`, a subclass sets
    `_model` (the mapped class) and `_create` (its Create DTO), which `to_model` builds from."""

    repository_class: Callable[[Session], Rows[ModelT, WhereT, OrderT, KeyT]]
    repository: Rows[ModelT, WhereT, OrderT, KeyT]
    _model: type[ModelT]
    _create: type[CreateT]

    def create(self, data: CreateT) -> ReadT:
        """Insert one row from validated input."""
        data = validated(self.before_create(data))
        return self._written(self.repository.add(self.to_model(data)))

    def create_many(self, data: Sequence[CreateT]) -> builtins.list[ReadT]:
        """Insert many in one batched statement."""
        models = [self.to_model(validated(self.before_create(item))) for item in data]
        instances = self.repository.insert_many(models)
        result = [self._read(instance) for instance in instances]
        self._commit()
        return result

    def upsert(self, data: CreateT, *, on: KeyT) -> ReadT:
        """Insert, or update the row with the same `on` key."""
        data = validated(self.before_create(data))
        return self._written(self.repository.upsert(self.to_model(data), on=on))

    def before_create(self, data: CreateT) -> CreateT:
        """Hook: each input of create, create_many and upsert; return it, changed or not."""
        return data

    def to_model(self, data: CreateT) -> ModelT:
        """A new row from the fields set in `data` (not the extra fields of a subclass)."""
        return new_row(self._model, self._create, data)

    def _written(self, instance: ModelT) -> ReadT:
        """The Read DTO of a row just written, taken before the commit (which expires it)."""
        result = self._read(instance)
        self._commit()
        return result

    def _commit(self) -> None:
        if self.auto_commit:
            with write_guard(self.session, self._model.__name__, ()):
                self.session.commit()
