"""What every generated test-data factory does, written once (`factories = true`).

A generated `<M>Factory` (`Async<M>Factory` on an AsyncSession) subclasses :class:`Factory`
(:class:`AsyncFactory`) with its model's types, and carries only what is about its model: a
function that derives a valid `<M>Create` from a sequence number and the caller's overrides
(`sublimate_runtime.factory_values`), its foreign keys as :class:`Parent` specs, and one-line
`build`/`create`/`create_many` methods typed by its fields (`Unpack[<M>Fields]`).

Foreign keys: a parent row given by keyword (`order_factory.create(customer=alice)`) or its key
columns (`customer_id=...`) is used as given; a NOT NULL foreign key given neither gets a parent
created through the parent's factory, on the same session (`create_many(n)` creates the `n`
parents in one batch). A nullable one stays None. Parents are looked up by name when first
needed, so factory modules never import each other; a cycle of NOT NULL foreign keys (a table
that needs itself, or A needs B needs A) raises :class:`FactoryError` naming the cycle, as does
a NOT NULL foreign key to a table outside the generated schema: pass those values yourself.

Sequence numbers are counted per model for the process, shared by both flavours, so rows made by
two factories of one model never collide on a derived unique key.
"""

from __future__ import annotations

import builtins
import importlib
import itertools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

import msgspec
from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session

from .dto import validated
from .service import new_row

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

CreateT = TypeVar("CreateT", bound=msgspec.Struct)
ModelT = TypeVar("ModelT")
FieldsT = TypeVar("FieldsT", bound=Mapping[str, object])

_COUNTERS: dict[type[Any], Iterator[int]] = {}
_START = [1]  # where new sequences begin (start_sequences)


def start_sequences(at: int) -> None:
    """Begin every model's sequence at `at` from now on (counters already running restart).

    The derived keys and unique values count from 1; a test database that already holds rows
    (a seeded one) would collide with them: start past its keys instead, in your conftest.py.
    """
    _START[0] = at
    _COUNTERS.clear()


class FactoryError(Exception):
    """A factory cannot make a value the caller must give (the message says which keyword)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Parent:
    """A foreign key a factory fills.

    `name` is the keyword that takes a parent row (the model's relationship; "" when it has
    none), `columns` the local attributes and `keys` the parent's attributes they hold. `factory`
    is `(module, class)` of the parent's factory in the same package (None: the target is not a
    generated model). `required`: NOT NULL, so a parent is created when none is given.
    """

    name: str
    columns: tuple[str, ...]
    keys: tuple[str, ...]
    required: bool
    factory: tuple[str, str] | None = None

    def keyword(self) -> str:
        """What the caller can pass instead: `customer=` (a row) or `customer_id=`."""
        columns = ", ".join(f"{c}=" for c in self.columns)
        return f"{self.name}= (a row) or {columns}" if self.name else columns


class _FactoryBase(Generic[CreateT, ModelT]):
    """What both flavours share: the class's facts, the sequence, and given values."""

    _model: ClassVar[type[Any]]
    _create: ClassVar[type[msgspec.Struct]]
    _repository: ClassVar[type[Any]]  # the generated repository class of the flavour
    _parents: ClassVar[tuple[Parent, ...]] = ()
    # Fields the factory cannot derive (a NOT NULL column of a type it does not know): given.
    _required: ClassVar[tuple[str, ...]] = ()

    def __init__(self, session: Any = None, *, chain: tuple[type[Any], ...] = ()) -> None:
        self.session = session
        self._chain = (*chain, type(self))  # the factories creating parents through this one

    def next(self) -> int:
        """The next sequence number of this model (shared by every factory of it)."""
        counter = _COUNTERS.get(self._model)
        if counter is None:
            counter = _COUNTERS[self._model] = itertools.count(_START[0])
        return next(counter)

    def _given(self, fields: Mapping[str, object]) -> tuple[dict[str, object], list[Parent]]:
        """The fields with given parents' keys filled in, and the required parents still
        missing (those the caller gave neither a row nor key columns for)."""
        values = dict(fields)
        missing: list[Parent] = []
        for parent in self._parents:
            if all(column in values for column in parent.columns):
                continue
            row = values.get(parent.name) if parent.name else None
            if row is not None:
                for column, key in zip(parent.columns, parent.keys, strict=True):
                    values[column] = getattr(row, key)
            elif parent.required:
                missing.append(parent)
        if parent_names := {p.name for p in self._parents if p.name}:
            values = {k: v for k, v in values.items() if k not in parent_names}
        return values, missing

    def _parent_factory(self, parent: Parent, flavour: str) -> type[Any]:
        """The parent's factory class (`flavour`: "" or "Async"), refused on a cycle."""
        own = type(self).__name__
        if parent.factory is None:
            raise FactoryError(
                f"{own}: {parent.keyword()} is a NOT NULL foreign key to a table the generated"
                f" code does not know: pass {parent.keyword()}"
            )
        module, name = parent.factory
        package = type(self).__module__.rpartition(".")[0]
        found: type[Any] = getattr(importlib.import_module(f"{package}.{module}"), flavour + name)
        if found in self._chain:
            path = " -> ".join(c.__name__ for c in (*self._chain, found))
            raise FactoryError(
                f"{own}: a cycle of NOT NULL foreign keys ({path}): pass {parent.keyword()}"
            )
        if self.session is None:
            raise FactoryError(
                f"{own} has no session to create a parent: bind one, or pass {parent.keyword()}"
            )
        return found

    def _checked(self, values: dict[str, object]) -> None:
        for name in self._required:
            if name not in values:
                raise FactoryError(
                    f"{type(self).__name__}: {name} has a type the factory cannot make a value"
                    f" of: pass {name}="
                )

    @staticmethod
    def _fill(values: dict[str, object], parent: Parent, row: object) -> None:
        for column, key in zip(parent.columns, parent.keys, strict=True):
            values[column] = getattr(row, key)


class Factory(_FactoryBase[CreateT, ModelT]):
    """Valid Create DTOs and persisted rows of one model on a Session (see the module doc)."""

    session: Session | None

    def __init__(
        self, session: Session | None = None, *, chain: tuple[type[Any], ...] = ()
    ) -> None:
        super().__init__(session, chain=chain)

    def _parents_of(self, fields: FieldsT) -> FieldsT:
        """The fields with every NOT NULL foreign key filled: given, or a new parent's key."""
        values, missing = self._given(fields)
        for parent in missing:
            factory = self._parent_factory(parent, "")
            self._fill(values, parent, factory(self.session, chain=self._chain).create())
        self._checked(values)
        return cast(FieldsT, values)

    def _bulk_parents(self, count: int, fields: FieldsT) -> builtins.list[FieldsT]:
        """The fields of `count` rows: the missing parents created in one batch per key."""
        values, missing = self._given(fields)
        rows = [dict(values) for _ in range(count)]
        for parent in missing:
            factory = self._parent_factory(parent, "")
            created = factory(self.session, chain=self._chain).create_many(count)
            for row, made in zip(rows, created, strict=True):
                self._fill(row, parent, made)
        return [cast(FieldsT, row) for row in rows]

    def _persist(self, data: CreateT) -> ModelT:
        row = new_row(self._model, self._create, validated(data))
        return cast(ModelT, self._repository(self._bound()).add(row))

    def _persist_many(self, data: Sequence[CreateT]) -> builtins.list[ModelT]:
        rows = [new_row(self._model, self._create, validated(item)) for item in data]
        return cast(builtins.list[ModelT], self._repository(self._bound()).insert_many(rows))

    def _bound(self) -> Session:
        if self.session is None:
            raise FactoryError(f"{type(self).__name__} has no session: pass one to persist rows")
        return self.session


class AsyncFactory(_FactoryBase[CreateT, ModelT]):
    """The asyncio twin of :class:`Factory`, on an AsyncSession."""

    session: AsyncSession | None

    def __init__(
        self, session: AsyncSession | None = None, *, chain: tuple[type[Any], ...] = ()
    ) -> None:
        super().__init__(session, chain=chain)

    async def _parents_of(self, fields: FieldsT) -> FieldsT:
        """The fields with every NOT NULL foreign key filled: given, or a new parent's key."""
        values, missing = self._given(fields)
        for parent in missing:
            factory = self._parent_factory(parent, "Async")
            self._fill(values, parent, await factory(self.session, chain=self._chain).create())
        self._checked(values)
        return cast(FieldsT, values)

    async def _bulk_parents(self, count: int, fields: FieldsT) -> builtins.list[FieldsT]:
        """The fields of `count` rows: the missing parents created in one batch per key."""
        values, missing = self._given(fields)
        rows = [dict(values) for _ in range(count)]
        for parent in missing:
            factory = self._parent_factory(parent, "Async")
            created = await factory(self.session, chain=self._chain).create_many(count)
            for row, made in zip(rows, created, strict=True):
                self._fill(row, parent, made)
        return [cast(FieldsT, row) for row in rows]

    async def _persist(self, data: CreateT) -> ModelT:
        row = new_row(self._model, self._create, validated(data))
        return cast(ModelT, await self._repository(self._bound()).add(row))

    async def _persist_many(self, data: Sequence[CreateT]) -> builtins.list[ModelT]:
        rows = [new_row(self._model, self._create, validated(item)) for item in data]
        return cast(builtins.list[ModelT], await self._repository(self._bound()).insert_many(rows))

    def _bound(self) -> AsyncSession:
        if self.session is None:
            raise FactoryError(f"{type(self).__name__} has no session: pass one to persist rows")
        return self.session


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Session]:
    """A Session in a transaction that is rolled back at the end, whatever the test did.

    The session joins the connection's transaction through a SAVEPOINT
    (`join_transaction_mode="create_savepoint"`): its `commit()` releases the savepoint, and a
    repository's rollback after a constraint error goes back to it, so neither ends the test's
    transaction. Call :func:`savepoints_on_sqlite` on a SQLite engine first (pysqlite does not
    emit SAVEPOINT correctly on its own).
    """
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()


def savepoints_on_sqlite(engine: Engine) -> Engine:
    """Let pysqlite run SAVEPOINTs: SQLAlchemy's recipe (the driver begins no transaction of its
    own; SQLAlchemy emits BEGIN). Other dialects are returned untouched."""
    if engine.dialect.name != "sqlite":
        return engine

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine
