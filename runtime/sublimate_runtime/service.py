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

Reads: ``list`` and ``list_after`` build the Read DTOs straight from column rows, without ORM
objects (one statement, the same WHERE, ORDER BY and pages as the repository's), wherever that
cannot change what they return; a cached model, a user ``_read``, a user repository that overrides
a read method, or a Read DTO that is not the model's own columns keep the repository path (the
rules: :mod:`.read_rows`). Other reads and every write go through the repository's ORM objects.

The asyncio twins are in ``service_async``: importing this module does not import asyncio's
SQLAlchemy extension (it needs greenlet, which a sync-only application need not install).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

from .dto import ShapeT, dto_fields, set_fields, validated
from .guards import write_guard
from .intents import READ_INTENT
from .pagination import KeysetPage, OffsetPage
from .read_rows import RowPlan, RowReader, counted_total, on_connection, row_reader, with_items
from .type_args import type_argument

__all__ = [
    "ReadOnlyServiceBase",
    "ServiceBase",
    "commit",
    "counted_rows",
    "keyset_page",
    "keyset_page_with",
    "new_row",
    "offset_page",
    "read_rows",
    "rows_keyset",
    "rows_page",
]

ModelT = TypeVar("ModelT")  # the mapped class
ReadT = TypeVar("ReadT")  # <M>Read
WhereT = TypeVar("WhereT")  # <M>Where: what `list` and `count` filter on
OrderT = TypeVar("OrderT")  # <M>OrderBy
CreateT = TypeVar("CreateT")  # <M>Create: a msgspec Struct or a pydantic model
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
        self,
        where: _Where | None,
        *,
        order_by: _Order | None,
        limit: int | None,
        offset: int,
        load: Any = ...,
    ) -> tuple[Sequence[_Row_co], int]: ...

    def count(self, where: _Where | None) -> int: ...


class ListsAfter(Protocol[_Row, _Where, _Order]):
    """Keyset pages: what `list_after` asks of a keyed service's repository."""

    def list_after(
        self,
        cursor: str | None,
        limit: int,
        *,
        where: _Where | None,
        order_by: _Order | None,
        load: Any = ...,
    ) -> KeysetPage[_Row]: ...


class Rows(
    ReadRows[_Row, _Where, _Order],
    ListsAfter[_Row, _Where, _Order],
    Protocol[_Row, _Where, _Order, _Key],
):
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


def read_rows(session: Session, plan: RowPlan[Any], statement: Select[Any]) -> Sequence[Any]:
    """The rows of a row-path statement: on the session's connection, after the autoflush the
    session would do, or through ``Session.execute`` where a hook may change the statement."""
    if not on_connection(session):
        return session.execute(statement, bind_arguments=READ_INTENT).all()
    if session.autoflush:
        session.flush()  # nothing to do when the session is clean
    return session.connection(bind_arguments=plan.binding(statement)).execute(statement).all()


def keyset_page(
    service: ReadOnlyServiceBase[ModelT, ReadT, WhereT, OrderT],
    repository: ListsAfter[ModelT, WhereT, OrderT],
    cursor: str | None,
    limit: int,
    where: WhereT | None,
    order_by: OrderT | None,
) -> KeysetPage[ReadT]:
    """`list_after` of a sync keyed service: the row path, else the repository's page."""
    plan = None if service._rows is None else service._rows.plan
    if plan is None:
        page = repository.list_after(cursor, limit, where=where, order_by=order_by)
        return with_items(page, [service._read(item) for item in page.items])
    result: KeysetPage[ReadT] = rows_keyset(service.session, plan, cursor, limit, where, order_by)
    return result


def keyset_page_with(
    service: ReadOnlyServiceBase[Any, Any, WhereT, OrderT],
    repository: ListsAfter[Any, WhereT, OrderT],
    shape: type[ShapeT],
    cursor: str | None,
    limit: int,
    where: WhereT | None,
    order_by: OrderT | None,
) -> KeysetPage[ShapeT]:
    """`list_after_with` of a sync keyed service (:mod:`.service_shapes`, loaded on first use)."""
    from .service_shapes import keyset_page_with

    return keyset_page_with(service, repository, shape, cursor, limit, where, order_by)


def rows_page(
    session: Session, plan: RowPlan[ReadT], where: Any, order_by: Any, limit: int, offset: int
) -> OffsetPage[ReadT]:
    """`list`'s row path. Both flavours: asyncio runs it in one greenlet
    (``AsyncSession.run_sync``), one switch for the page and its count."""
    rows, counted = counted_rows(session, plan, where, order_by, limit, offset)
    return plan.offset_page(rows, counted, limit, offset)


def counted_rows(
    session: Session, plan: RowPlan[Any], where: Any, order_by: Any, limit: int, offset: int
) -> tuple[Sequence[Any], int]:
    """A page's rows and the total, counted only when the page cannot tell it."""
    conditions = plan.spec.conditions(where, False)
    rows = read_rows(session, plan, plan.page(conditions, order_by, limit, offset))
    counted = counted_total(rows, limit, offset)
    if counted is None:
        counted = int(read_rows(session, plan, plan.spec.select_count(conditions))[0][0])
    return rows, counted


def rows_keyset(
    session: Session,
    plan: RowPlan[ReadT],
    cursor: str | None,
    limit: int,
    where: Any,
    order_by: Any,
) -> KeysetPage[ReadT]:
    """`list_after`'s row path (both flavours)."""
    statement, dtos = plan.keyset(cursor, limit, where, order_by)
    page: KeysetPage[ReadT] = dtos(read_rows(session, plan, statement))
    return page


def commit(session: Session, model: str) -> None:
    """Commit, a write the database refuses at commit (a deferred constraint) becoming the
    runtime's typed error (both flavours)."""
    with write_guard(session, model, ()):
        session.commit()


def new_row(model: Callable[..., ModelT], create: type[Any], data: Any) -> ModelT:
    """A row from the fields set in `data` that `create` declares: a subclass of the Create DTO
    may carry extra fields for its own methods, which are not columns (both flavours)."""
    values = set_fields(data)
    return model(**{name: values[name] for name in dto_fields(create) if name in values})


class ReadOnlyServiceBase(Generic[ModelT, ReadT, WhereT, OrderT]):
    """Reads on a Session: `list` and `count` (the generated subclass adds `get` when the model
    has a key). A subclass sets `repository_class` (the user module does, to its own
    repository) and `_read`, the model's generated `<m>_to_read`.

    `list` (and `list_after` where there is a key) reads column rows into Read DTOs, without ORM
    objects, unless that could change what it returns: then, and for a class that sets
    `_rows = None`, it reads through the repository and `_read`. The rules, decided once per
    class: :mod:`.read_rows`."""

    repository_class: Callable[[Session], ReadRows[ModelT, WhereT, OrderT]]
    repository: ReadRows[ModelT, WhereT, OrderT]
    # staticmethod(<m>_to_read): a plain function would be bound to the service.
    _read: Callable[[ModelT], ReadT]
    # The row path of `list` and `list_after`; None: through the repository (see read_rows).
    _rows: ClassVar[RowReader[Any] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "_rows" not in vars(cls):  # a class may set `_rows = None`: the repository path
            cls._rows = row_reader(cls, ReadOnlyServiceBase)

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
        """One page of rows with the total count (one statement; a second past the last page)."""
        plan = None if self._rows is None else self._rows.plan
        if plan is None:
            items, total = self.repository.list_and_count(
                where, order_by=order_by, limit=limit, offset=offset
            )
            return offset_page(self._read, items, total, limit, offset)
        return rows_page(self.session, plan, where, order_by, limit, offset)

    def list_with(
        self,
        shape: type[ShapeT],
        where: WhereT | None = None,
        *,
        order_by: OrderT | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> OffsetPage[ShapeT]:
        """`list` with related rows: a page of `shape`, a nested Read DTO (`OrderReadWithLines`),
        loaded with one statement per level it holds (see :mod:`.nested`); from column rows
        where :mod:`.nested_rows` allows, else through the repository's ORM objects."""
        from .service_shapes import list_with  # nested reads load with the first of them

        return list_with(self, shape, where, order_by, limit, offset)

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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # The model and its Create DTO, read off the class's type arguments unless it sets them.
        for name, parameter in (("_model", "ModelT"), ("_create", "CreateT")):
            found = type_argument(cls, ServiceBase, parameter)
            if name not in vars(cls) and found is not None:
                setattr(cls, name, found)
        super().__init_subclass__(**kwargs)

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
            commit(self.session, self._model.__name__)
