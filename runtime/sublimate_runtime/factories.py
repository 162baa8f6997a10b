"""What every generated test-data factory does, written once (`factories = true`).

A generated `<M>Factory` (`Async<M>Factory` on an AsyncSession) subclasses :class:`Factory`
(:class:`AsyncFactory`) with its model's types, and carries only what is about its model: a
function that derives a valid `<M>Create` from a sequence number and the caller's overrides
(`sublimate_runtime.factory_values`), its foreign keys as :class:`Parent` specs, and one-line
`build`/`create`/`create_many` methods typed by its fields (`Unpack[<M>Fields]`).

Foreign keys: a parent row given by keyword (`order_factory.create(customer=alice)`) or its key
columns (`customer_id=...`) is used as given; a NOT NULL foreign key given neither gets a parent
created through the parent's factory, on the same session (`create_many(n)` creates the `n`
parents in one batch). A nullable one whose column has a server default gets one parent per
call, shared by a batch (None there means that default, `status_id ... DEFAULT 0`, a key an
empty database lacks: the parent stands in for the default row). Any other nullable one stays
None. Parents are looked up by name when first
needed, so factory modules never import each other; a cycle of NOT NULL foreign keys (a table
that needs itself, or A needs B needs A) raises :class:`FactoryError` naming the cycle, as does
a NOT NULL foreign key to a table outside the generated schema: pass those values yourself.

Sequence numbers are counted per model for the process, shared by both flavours, so rows made by
two factories of one model never collide on a derived unique key.

Capacity: a unique key whose derived values run out (a TINYINT key: 256 values; a unique column
with a CHECK IN list of 3) is a :class:`Capacity` of its factory. A session counts the rows its
factories made per model; asking for more than a table can hold (its own keys, or the new parents
the rows need: `capacity()`) raises :class:`CapacityError` naming the table, columns and capacity
before any row is inserted, rather than a constraint error halfway through a batch.
"""

from __future__ import annotations

import builtins
import importlib
import itertools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session

from .dto import validated
from .service import new_row

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

# A Create DTO: a msgspec Struct, or a pydantic model (dto = "pydantic"; pydantic not imported).
CreateT = TypeVar("CreateT")
ModelT = TypeVar("ModelT")
FieldsT = TypeVar("FieldsT", bound=Mapping[str, object])

_COUNTERS: dict[type[Any], Iterator[int]] = {}
_START = [1]  # where new sequences begin (start_sequences)
_MADE = "sublimate.factory_rows"  # Session.info key: model -> rows its factories made there


def start_sequences(at: int) -> None:
    """Begin every model's sequence at `at` from now on (counters already running restart).

    The derived keys and unique values count from 1; a test database that already holds rows
    (a seeded one) would collide with them: start past its keys instead, in your conftest.py.
    """
    _START[0] = at
    _COUNTERS.clear()


class FactoryError(Exception):
    """A factory cannot make a value the caller must give (the message says which keyword)."""


class CapacityError(FactoryError):
    """A table cannot hold the rows asked for: the distinct values of one of its unique keys
    (its type's range, a CHECK IN list) run out. Raised before any row is inserted."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Capacity:
    """A unique key of the model whose derived values hold only `rows` distinct rows: the
    product of its columns' domains (`why` says which: "TINYINT", "CHECK IN list of 3")."""

    columns: tuple[str, ...]
    rows: int
    why: str


@dataclass(frozen=True, slots=True)
class _Limit:
    """The tightest Capacity of one model, and how many new rows of it one row needs."""

    table: str
    capacity: Capacity
    per_row: int


_LIMITS: dict[type[Any], dict[type[Any], _Limit]] = {}  # factory class -> its limits, per model


def _merge(into: dict[type[Any], _Limit], limits: Mapping[type[Any], _Limit]) -> None:
    for model, limit in limits.items():
        held = into.get(model)
        into[model] = replace(limit, per_row=limit.per_row + (held.per_row if held else 0))


@dataclass(frozen=True, slots=True, kw_only=True)
class Parent:
    """A foreign key a factory fills.

    `name` is the keyword that takes a parent row (the model's relationship; "" when it has
    none), `columns` the local attributes and `keys` the parent's attributes they hold. `factory`
    is `(module, class)` of the parent's factory in the same package (None: the target is not a
    generated model). `required`: a parent is created when none is given (NOT NULL, or a server
    default); `shared`: one for a whole `create_many` batch (the server-default case).
    """

    name: str
    columns: tuple[str, ...]
    keys: tuple[str, ...]
    required: bool
    factory: tuple[str, str] | None = None
    shared: bool = False

    def keyword(self) -> str:
        """What the caller can pass instead: `customer=` (a row) or `customer_id=`."""
        columns = ", ".join(f"{c}=" for c in self.columns)
        return f"{self.name}= (a row) or {columns}" if self.name else columns


class _FactoryBase(Generic[CreateT, ModelT]):
    """What both flavours share: the class's facts, the sequence, and given values."""

    _model: ClassVar[type[Any]]
    _create: ClassVar[type[Any]]  # CreateT
    _repository: ClassVar[type[Any]]  # the generated repository class of the flavour
    _parents: ClassVar[tuple[Parent, ...]] = ()
    # Fields the factory cannot derive (a NOT NULL column of a type it does not know): given.
    _required: ClassVar[tuple[str, ...]] = ()
    _capacities: ClassVar[tuple[Capacity, ...]] = ()  # unique keys whose values run out
    _flavour: ClassVar[str] = ""  # "Async" for the asyncio factories (their class names' prefix)

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

    @classmethod
    def _factory_of(cls, factory: tuple[str, str]) -> type[_FactoryBase[Any, Any]]:
        """A parent's factory class of this flavour, by (module, class) in this package."""
        module, name = factory
        package = cls.__module__.rpartition(".")[0]
        found: type[_FactoryBase[Any, Any]] = getattr(
            importlib.import_module(f"{package}.{module}"), cls._flavour + name
        )
        return found

    @classmethod
    def _own_limit(cls, given: Mapping[str, object]) -> dict[type[Any], _Limit]:
        """The model's tightest capacity among the keys none of whose columns are given."""
        open_ = [c for c in cls._capacities if not any(name in given for name in c.columns)]
        if not open_:
            return {}
        tight = min(open_, key=lambda c: c.rows)
        return {cls._model: _Limit(cls._model.__table__.name, tight, 1)}

    @classmethod
    def _all_limits(cls, visiting: tuple[type[Any], ...] = ()) -> dict[type[Any], _Limit]:
        """The limits of a row made from nothing: its own, and its new parents' (recursively;
        two foreign keys to one table need two parents a row)."""
        cached = _LIMITS.get(cls)
        if cached is not None:
            return cached
        found = cls._own_limit({})
        for parent in cls._parents:
            if parent.required and not parent.shared and parent.factory is not None:
                target = cls._factory_of(parent.factory)
                if target is not cls and target not in visiting:  # a cycle: refused when made
                    _merge(found, target._all_limits((*visiting, cls)))
        _LIMITS[cls] = found
        return found

    @classmethod
    def capacity(cls) -> int | None:
        """The most rows one session can make of this model, parents made on demand (None:
        no unique key of it or of those parents runs out)."""
        limits = cls._all_limits().values()
        return min((lim.capacity.rows // lim.per_row for lim in limits), default=None)

    def _room(self, count: int, fields: Mapping[str, object]) -> None:
        """Refuse (CapacityError) `count` more rows that some table, this one or a parent's
        made on demand, cannot hold next to those the session's factories made already."""
        if self.session is None:
            return
        values, missing = self._given(fields)
        limits = self._own_limit(values)
        hints = {model: "=, ".join(limit.capacity.columns) + "=" for model, limit in limits.items()}
        for parent in missing:
            if not parent.shared and parent.factory is not None:
                found = self._factory_of(parent.factory)._all_limits((type(self),))
                _merge(limits, found)
                for model in found:
                    hints.setdefault(model, parent.keyword())
        made: dict[type[Any], int] = self.session.info.get(_MADE, {})
        for model, limit in limits.items():
            need, before = count * limit.per_row, made.get(model, 0)
            if before + need > limit.capacity.rows:
                raise CapacityError(self._full(limit, count, before, hints[model]))

    def _full(self, limit: _Limit, count: int, before: int, hint: str) -> str:
        """The CapacityError's message: the table, its key, its capacity, what to do."""
        key, table = limit.capacity, limit.table
        if table == self._model.__table__.name:
            what = f"table {table!r} cannot hold {count} rows"
        else:
            need = count * limit.per_row
            what = f"{count} rows need {need} new rows in table {table!r}, which cannot hold them"
        made = f", {before} made on this session already" if before else ""
        room = max(key.rows - before, 0) // limit.per_row
        return (
            f"{type(self).__name__}: {what}: its {', '.join(key.columns)} ({key.why}) take"
            f" {key.rows} distinct values{made}; ask for at most {room}, or pass {hint}"
        )

    def _counted(self, rows: int) -> None:
        """Count rows made on the session (the capacity checks read it)."""
        if self.session is not None:
            made: dict[type[Any], int] = self.session.info.setdefault(_MADE, {})
            made[self._model] = made.get(self._model, 0) + rows

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
        self._room(1, fields)
        values, missing = self._given(fields)
        for parent in missing:
            factory = self._parent_factory(parent, "")
            self._fill(values, parent, factory(self.session, chain=self._chain).create())
        self._checked(values)
        return cast(FieldsT, values)

    def _bulk_parents(self, count: int, fields: FieldsT) -> builtins.list[FieldsT]:
        """The fields of `count` rows: the missing parents created in one batch per key."""
        self._room(count, fields)
        values, missing = self._given(fields)
        rows = [dict(values) for _ in range(count)]
        for parent in missing:
            factory = self._parent_factory(parent, "")
            made = factory(self.session, chain=self._chain).create_many(
                min(count, 1) if parent.shared else count
            )
            for row, one in zip(rows, made * count if parent.shared else made, strict=True):
                self._fill(row, parent, one)
        return [cast(FieldsT, row) for row in rows]

    def _persist(self, data: CreateT) -> ModelT:
        row = new_row(self._model, self._create, validated(data))
        added = cast(ModelT, self._repository(self._bound()).add(row))
        self._counted(1)
        return added

    def _persist_many(self, data: Sequence[CreateT]) -> builtins.list[ModelT]:
        rows = [new_row(self._model, self._create, validated(item)) for item in data]
        added = self._repository(self._bound()).insert_many(rows)
        self._counted(len(rows))
        return cast(builtins.list[ModelT], added)

    def _bound(self) -> Session:
        if self.session is None:
            raise FactoryError(f"{type(self).__name__} has no session: pass one to persist rows")
        return self.session


class AsyncFactory(_FactoryBase[CreateT, ModelT]):
    """The asyncio twin of :class:`Factory`, on an AsyncSession."""

    session: AsyncSession | None
    _flavour = "Async"

    def __init__(
        self, session: AsyncSession | None = None, *, chain: tuple[type[Any], ...] = ()
    ) -> None:
        super().__init__(session, chain=chain)

    async def _parents_of(self, fields: FieldsT) -> FieldsT:
        """The fields with every NOT NULL foreign key filled: given, or a new parent's key."""
        self._room(1, fields)
        values, missing = self._given(fields)
        for parent in missing:
            factory = self._parent_factory(parent, "Async")
            self._fill(values, parent, await factory(self.session, chain=self._chain).create())
        self._checked(values)
        return cast(FieldsT, values)

    async def _bulk_parents(self, count: int, fields: FieldsT) -> builtins.list[FieldsT]:
        """The fields of `count` rows: the missing parents created in one batch per key."""
        self._room(count, fields)
        values, missing = self._given(fields)
        rows = [dict(values) for _ in range(count)]
        for parent in missing:
            factory = self._parent_factory(parent, "Async")
            made = await factory(self.session, chain=self._chain).create_many(
                min(count, 1) if parent.shared else count
            )
            for row, one in zip(rows, made * count if parent.shared else made, strict=True):
                self._fill(row, parent, one)
        return [cast(FieldsT, row) for row in rows]

    async def _persist(self, data: CreateT) -> ModelT:
        row = new_row(self._model, self._create, validated(data))
        added = cast(ModelT, await self._repository(self._bound()).add(row))
        self._counted(1)
        return added

    async def _persist_many(self, data: Sequence[CreateT]) -> builtins.list[ModelT]:
        rows = [new_row(self._model, self._create, validated(item)) for item in data]
        added = await self._repository(self._bound()).insert_many(rows)
        self._counted(len(rows))
        return cast(builtins.list[ModelT], added)

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
