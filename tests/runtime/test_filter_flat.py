"""The flat-Filter fast path of ``exists``, ``count``, ``list`` and ``list_and_count``
(:mod:`sublimate_runtime.filter_flat`): the same SQL and rows as the general path, one statement
per shape, and its bounds.

On SQLite, PostgreSQL and MariaDB the fast path is run against the general one (the repository
module's hooks patched to decline); the rest needs no database.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sublimate_runtime import (
    AsyncRepository,
    EqFilter,
    NullableRangeFilter,
    RangeFilter,
    Repository,
    RepositorySpec,
    SoftDeleteRepository,
    TextFilter,
    UniqueKeySpec,
    filter_flat,
)
from sublimate_runtime import repository as repository_module
from sublimate_runtime.filter_flat import flat_filter, flat_statements


class Base(DeclarativeBase):
    pass


class Crate(Base):
    __tablename__ = "flat_crates"
    id: Mapped[int] = mapped_column(primary_key=True)
    items: Mapped[list[Item]] = relationship(back_populates="crate")


class Item(Base):
    __tablename__ = "flat_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(20))
    price: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2))
    weight: Mapped[float | None]
    sealed: Mapped[bool] = mapped_column(default=False)
    gone_at: Mapped[datetime.datetime | None]
    crate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("flat_crates.id"))
    crate: Mapped[Crate | None] = relationship(back_populates="items")


class CrateFilter(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: RangeFilter[int] | None = None


class ItemFilter(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: RangeFilter[int] | None = None
    name: TextFilter | None = None
    price: RangeFilter[Decimal] | None = None
    weight: NullableRangeFilter[float] | None = None
    sealed: EqFilter[bool] | None = None
    crate: CrateFilter | None = None
    or_: list[ItemFilter] | None = msgspec.field(default=None, name="or")


def where_ids(conditions: list[Any]) -> Any:
    return sa.select(Item.id).where(*conditions)


PK = {"id": UniqueKeySpec(constraint_name=None, columns=("id",), sql_columns=("id",), primary=True)}


class Items(Repository[Item, ItemFilter, Any]):
    spec = RepositorySpec(Item, keys=PK, orderable=("price", "name"), cursor=tuple[int])


class AsyncItems(AsyncRepository[Item, ItemFilter, Any]):
    spec = Items.spec


class LiveItems(SoftDeleteRepository[Item, ItemFilter, Any]):
    spec = RepositorySpec(
        Item, keys=PK, orderable=("price",), cursor=tuple[int], soft_delete="gone_at"
    )


class CachedItems(Repository[Item, ItemFilter, Any]):
    spec = RepositorySpec(Item, keys=PK, cursor=tuple[int], cached=True)


FLAT = [
    None,
    ItemFilter(price=RangeFilter(ge=Decimal(3))),
    ItemFilter(price=RangeFilter(gt=Decimal("2.5"), le=Decimal(7)), name=TextFilter(ne="i4")),
    ItemFilter(weight=NullableRangeFilter(is_null=True)),
    ItemFilter(weight=NullableRangeFilter(is_null=False, lt=4.0), id=RangeFilter(eq=2)),
]


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(
            Item(
                name=f"i{i}",
                price=Decimal(i),
                weight=None if i % 3 == 0 else i / 2,
                gone_at=datetime.datetime(2024, 1, 1) if i == 5 else None,
            )
            for i in range(10)
        )
        session.commit()
        yield session


def ids_and_total(page: tuple[list[Item], int]) -> tuple[list[int], int]:
    return [item.id for item in page[0]], page[1]


def test_a_flat_filter_runs_the_general_paths_sql_and_finds_its_rows(
    session: Session, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    unnamed = re.compile(r"%\(\w+\)s")  # psycopg's and pymysql's named parameters
    event.listen(
        engine, "before_cursor_execute", lambda *args: sent.append(unnamed.sub("%s", args[2]))
    )

    def reads(where: ItemFilter | None) -> tuple[Any, ...]:
        session.expunge_all()
        plain, live = Items(session), LiveItems(session)
        return (
            plain.exists(where),
            plain.count(where),
            [i.id for i in plain.list(where, order_by="-price", limit=3, offset=1)],
            [i.id for i in plain.list(where)],
            live.count(where),
            [i.id for i in live.list(where, order_by="price", limit=4)],
            ids_and_total(plain.list_and_count(where, order_by="name", limit=2, offset=1)),
            ids_and_total(live.list_and_count(where, limit=2, offset=50)),  # past the end: count
        )

    fast = []
    for where in FLAT:
        sent.clear()
        fast.append((reads(where), list(sent)))
    monkeypatch.setattr(repository_module, "spec_statement", lambda *_args: None)
    monkeypatch.setattr(repository_module, "flat_page", lambda *_args: None)
    for where, (found, sql) in zip(FLAT, fast, strict=True):
        sent.clear()
        assert reads(where) == found
        assert sent == sql  # the same statements, parameters named apart
    assert fast[1][0][:2] == (True, 7) and fast[3][0][1] == 4  # what the rows say


async def test_the_async_repository_takes_it_too(async_engine: AsyncEngine) -> None:
    async with async_engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with AsyncSession(async_engine) as session:
        session.add_all(Item(name=f"i{i}", price=Decimal(i)) for i in range(6))
        await session.flush()
        repo, where = AsyncItems(session), ItemFilter(price=RangeFilter(gt=Decimal(1)))
        assert await repo.exists(where) and await repo.count(where) == 4
        page = await repo.list(where, order_by="-price", limit=2, offset=1)
        assert [item.name for item in page] == ["i4", "i3"]
        assert not await repo.exists(ItemFilter(price=RangeFilter(gt=Decimal(5))))
        assert ids_and_total(await repo.list_and_count(where, limit=1, offset=3)) == ([6], 4)
        assert ids_and_total(await repo.list_and_count(where, limit=1, offset=9)) == ([], 4)


def test_one_statement_per_shape_and_only_flat_filters() -> None:
    statements = flat_statements(Items.spec)
    first = statements.find(Item, ItemFilter(price=RangeFilter(ge=Decimal(1))), "t", where_ids)
    second = statements.find(Item, ItemFilter(price=RangeFilter(ge=Decimal(9))), "t", where_ids)
    assert first is not None and second is not None
    assert first[0] is second[0] and (first[1], second[1]) == ({"_w0": 1}, {"_w0": 9})
    other = statements.find(
        Item, ItemFilter(price=RangeFilter(ge=Decimal(1), lt=3)), "t", where_ids
    )
    assert other is not None and other[0] is not first[0]  # another operator, another type
    not_flat = [
        ItemFilter(sealed=EqFilter(eq=True)),  # SQLAlchemy writes `= true`, not a parameter
        ItemFilter(price=RangeFilter(in_=[Decimal(1)])),
        ItemFilter(name=TextFilter(startswith="i")),
        ItemFilter(crate=CrateFilter()),
        ItemFilter(or_=[ItemFilter()]),
        Item.id == 1,
        [ItemFilter()],
    ]
    assert [flat_filter(Item, where) for where in not_flat] == [None] * len(not_flat)


def test_shapes_from_untrusted_input_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(filter_flat, "MAX_FLAT_STATEMENTS", 3)
    statements = filter_flat.FlatStatements()
    operators = ["eq", "ne", "lt", "le", "gt", "ge"]
    for op in operators:
        where = ItemFilter(id=RangeFilter(**{op: 1}))
        found = statements.find(Item, where, "t", where_ids)
        assert found is not None and found[1] == {"_w0": 1}
    assert len(statements._built) == 3


def test_a_cached_model_keeps_the_general_path() -> None:
    assert filter_flat.spec_statement(CachedItems.spec, "t", None, False, where_ids) is None
    assert filter_flat.spec_statement(Items.spec, "t", None, False, where_ids) is not None
