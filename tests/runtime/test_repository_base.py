"""The runtime's repository bases, used without the generator: a spec, a subclass, real databases.

What generated repositories inherit is tested through the generated example everywhere else;
here the contract itself: the facts a spec reads off the mapper (database names that differ from
attribute names), the column a refused value is named by when the engine has no hook to tell
(a plain ``sqlalchemy.create_engine``), and the sync and asyncio modules mirroring each other.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

import msgspec
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sublimate_runtime import (
    ConflictError,
    DataError,
    EqFilter,
    NotFoundError,
    Repository,
    RepositorySpec,
    SoftDeleteRepository,
    TextFilter,
    UniqueKeySpec,
    guards,
    repository,
    repository_async,
    repository_id,
    repository_id_async,
    repository_soft,
    repository_soft_async,
    service_id,
    service_id_async,
)


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "things"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column("the code", sa.String(5), unique=True)
    amount: Mapped[Decimal | None] = mapped_column("the amount", sa.Numeric(5, 2))
    deleted_at: Mapped[datetime | None]


class ThingFilter(msgspec.Struct, kw_only=True):
    id: EqFilter[int] | None = None
    code: TextFilter | None = None


class ThingOrder(StrEnum):
    CODE = "code"
    CODE_DESC = "-code"


class ThingUpdate(msgspec.Struct, kw_only=True):
    code: str | msgspec.UnsetType = msgspec.UNSET
    amount: Decimal | msgspec.UnsetType | None = msgspec.UNSET


KEYS = {
    "id": UniqueKeySpec(constraint_name=None, columns=("id",), sql_columns=("id",), primary=True),
    "code": UniqueKeySpec(constraint_name=None, columns=("code",), sql_columns=("the code",)),
}
SPEC = RepositorySpec(
    Thing,
    keys=KEYS,
    updatable=("code", "amount"),
    orderable=("code",),
    cursor=tuple[int],
)


class ThingRepository(Repository[Thing, ThingFilter, ThingOrder]):
    spec = SPEC

    def update(self, id: int, changes: ThingUpdate) -> Thing:
        return self._update((id,), changes)

    def upsert(self, instance: Thing, *, on: Literal["id", "code"] = "id") -> Thing:
        return self._upsert([instance], on)[0]

    def delete(self, id: int) -> Thing:
        return self._delete_key((id,))


class SoftThingRepository(SoftDeleteRepository[Thing, ThingFilter, ThingOrder]):
    spec = RepositorySpec(Thing, keys=KEYS, soft_delete="deleted_at", cursor=tuple[int])

    def delete(self, id: int) -> Thing:
        return self._soft_delete((id,))


@pytest.fixture
def session(database: Any) -> Any:
    """A Session on a plain SQLAlchemy engine: none of the runtime's engine hooks."""
    engine = sa.create_engine(database.url, connect_args=database.connect_args)
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


def test_the_spec_reads_database_names_and_keys_off_the_mapper() -> None:
    mapped = SPEC.mapped
    assert mapped.columns == ("id", "code", "amount", "deleted_at")
    assert mapped.sql_names["code"] == "the code" and mapped.sql_names["amount"] == "the amount"
    assert mapped.primary_attrs == ("id",)
    assert SPEC.upsert_columns("code", [{"code": "a", "amount": 1, "id": 3}]) == (
        ["the code"],
        ["the amount"],
    )
    assert [str(term) for term in SPEC.ordering([ThingOrder.CODE_DESC])] == [
        'things."the code" DESC',
        "things.id ASC",
    ]


def test_conditions_read_the_filter_and_leave_soft_deleted_rows_out() -> None:
    spec = SoftThingRepository.spec
    assert spec.conditions(None, include_deleted=True) == []
    (live,) = spec.conditions(None, include_deleted=False)
    assert str(live) == "things.deleted_at IS NULL"
    where = [ThingFilter(id=EqFilter(eq=3)), Thing.code == "x"]
    assert [str(c) for c in SPEC.conditions(where)] == [
        "things.id = :id_1",
        'things."the code" = :the_code_1',
    ]


@pytest.mark.parametrize("write", ["add", "add_many", "update", "upsert"])
def test_a_refused_value_is_named_by_the_values_written(session: Session, write: str) -> None:
    """On a plain engine PostgreSQL names no column: the repository finds it in what it wrote.
    MariaDB names it itself; SQLite stores any length (nothing is refused)."""
    if session.get_bind().dialect.name == "sqlite":
        pytest.skip("SQLite stores any length")
    repo = ThingRepository(session)
    kept = repo.add(Thing(code="ok"))
    session.commit()
    calls: dict[str, Callable[[], object]] = {
        "add": lambda: repo.add(Thing(code="x" * 6)),
        "add_many": lambda: repo.add_many([Thing(code="b"), Thing(code="x" * 6)]),
        "update": lambda: repo.update(kept.id, ThingUpdate(code="x" * 6)),
        "upsert": lambda: repo.upsert(Thing(code="x" * 6)),
    }
    with pytest.raises(DataError) as caught:
        calls[write]()
    assert (caught.value.model, caught.value.column) == ("Thing", "the code")
    assert repo.count() == 1  # rolled back, and the session still works


def test_writes_and_reads_round_trip(session: Session) -> None:
    repo = ThingRepository(session)
    first, second = repo.add_many([Thing(code="b"), Thing(code="a", amount=Decimal("1.5"))])
    assert [t.code for t in repo.list(order_by=ThingOrder.CODE)] == ["a", "b"]
    assert repo.update(first.id, ThingUpdate(amount=Decimal("2.25"))).amount == Decimal("2.25")
    assert repo.upsert(Thing(code="a", amount=None), on="code").id == second.id
    page = repo.list_after(None, limit=1)
    assert page.items == [first] and page.next_cursor is not None
    assert repo.list_after(page.next_cursor, limit=1).items == [second]
    assert repo.delete(first.id).code == "b"
    with pytest.raises(NotFoundError):
        repo.delete(first.id)
    assert repo.exists(ThingFilter(code=TextFilter(eq="a"))) and repo.count() == 1


def test_a_soft_deleted_row_is_left_out_until_asked_for(session: Session) -> None:
    repo = SoftThingRepository(session)
    thing = repo.add(Thing(code="gone"))
    assert repo.delete(thing.id).deleted_at is not None
    assert repo.list() == [] and repo.count() == 0
    assert repo.list(include_deleted=True) == [thing]
    with pytest.raises(NotFoundError):
        repo._get((thing.id,))


def _public(cls: type) -> dict[str, tuple[str, ...]]:
    return {
        name: tuple(inspect.signature(member).parameters)
        for name, member in vars(cls).items()
        if inspect.isfunction(member) and name not in ("__init_subclass__", "__init__")
    }


# What generated methods call on their runtime base: the asyncio bases keep these too.
GENERATED_CALLS = frozenset(
    {"_get", "_get_by", "_update", "_upsert", "_delete_key", "_delete_keys"}
    | {"_soft_delete", "_soft_delete_keys", "_restore"}
)


@pytest.mark.parametrize(
    ("module", "name"),
    [
        *((repository, name) for name in ("ReadRepository", "KeyedReadRepository")),
        (repository, "Repository"),
        *((repository_id, name) for name in ("IdKeyedReadRepository", "IdRepository")),
        *((repository_soft, name) for name in ("SoftDeleteRepository", "IdSoftDeleteRepository")),
    ],
)
def test_the_asyncio_classes_mirror_the_sync_ones(module: Any, name: str) -> None:
    """Same public methods (and those generated methods call), same parameters, each a coroutine;
    and they run an implementation the sync class has: its base's, in one greenlet."""
    sync = getattr(module, name)
    twins = {
        repository: repository_async,
        repository_id: repository_id_async,
        repository_soft: repository_soft_async,
    }
    twin = getattr(twins[module], f"Async{name}")
    mirrored = {
        method: parameters
        for method, parameters in _public(sync).items()
        if not method.startswith("_") or method in GENERATED_CALLS
    }
    runner = ("_run", "_on_twin")  # how every coroutine reaches the sync twin
    assert {k: v for k, v in _public(twin).items() if k not in runner} == mirrored
    assert all(inspect.iscoroutinefunction(getattr(twin, method)) for method in mirrored)
    assert issubclass(sync, twin._sync_base)
    for method in GENERATED_CALLS & set(dir(twin)):  # each runs its sync namesake
        assert callable(getattr(twin._sync_base, method)), method


class AsyncSoftThings(
    repository_soft_async.AsyncSoftDeleteRepository[Thing, ThingFilter, ThingOrder, Any]
):
    """As a generated class would be, with a user's override of a public method."""

    spec = SoftThingRepository.spec

    async def delete(self, id: int) -> Thing:
        return await self._soft_delete((id,))

    async def restore(self, id: int) -> Thing:
        return await self._restore((id,))

    async def exists(self, where: Any = None, *, include_deleted: bool = False) -> bool:
        return False  # the override wins when called


async def test_an_asyncio_repository_runs_a_sync_twin_of_its_spec(async_engine: Any) -> None:
    assert issubclass(AsyncSoftThings._sync_class, SoftDeleteRepository)
    assert AsyncSoftThings._sync_class.spec is SoftThingRepository.spec
    assert AsyncSoftThings.list.__doc__ == SoftDeleteRepository.list.__doc__
    async with async_engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with AsyncSession(async_engine, expire_on_commit=False) as session:
        repo = AsyncSoftThings(session)
        thing = await repo.add(Thing(code="a"))
        assert (await repo.delete(thing.id)).deleted_at is not None
        assert await repo.list() == [] and await repo.count() == 0
        assert await repo.list(include_deleted=True) == [thing]
        assert (await repo.restore(thing.id)).deleted_at is None
        assert await repo._get((thing.id,)) is thing
        assert await repo.count(ThingFilter(code=TextFilter(eq="a"))) == 1
        assert await repo.exists() is False
        with pytest.raises(ConflictError):
            await repo.add(Thing(code="a"))
        assert await repo.count() == 0  # the guard rolled back, and the session still works


async def test_a_pause_in_asyncio_code_lets_the_event_loop_run() -> None:
    """The deadlock retry's pause, inside run_sync's greenlet, awaits instead of sleeping."""
    from sqlalchemy.util import greenlet_spawn

    done: list[str] = []

    async def paused() -> None:
        await greenlet_spawn(guards.pause, 0.05)
        done.append("pause")

    async def other() -> None:
        await asyncio.sleep(0.01)
        done.append("other")

    await asyncio.gather(paused(), other())
    assert done == ["other", "pause"]


@pytest.mark.parametrize("name", ["IdReadOnlyServiceBase", "IdServiceBase"])
def test_the_asyncio_id_services_mirror_the_sync_ones(name: str) -> None:
    """The services keyed by `id`: same methods and parameters, all coroutines on asyncio."""
    sync = getattr(service_id, name)
    twin = getattr(service_id_async, f"Async{name}")
    assert _public(sync) == _public(twin)
    assert all(inspect.iscoroutinefunction(getattr(twin, method)) for method in _public(sync))
