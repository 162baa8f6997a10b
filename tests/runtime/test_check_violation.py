"""A CHECK constraint violated through a repository is an IntegrityViolationError on every database.

MariaDB reports it as error 4025 in a pymysql ``OperationalError``, not an ``IntegrityError``:
before the write guard knew that code, the caller (and a Litestar app: a 500) got the raw driver
error. Real servers, sync and async; the session stays usable after the error.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sublimate_runtime import (
    AsyncRepository,
    IntegrityViolationError,
    Repository,
    RepositorySpec,
    UniqueKeySpec,
)


class Base(DeclarativeBase):
    pass


class Priced(Base):
    __tablename__ = "priced"
    __table_args__ = (sa.CheckConstraint("price >= 0", name="ck_priced_price"),)

    id: Mapped[int] = mapped_column(sa.Integer(), primary_key=True)
    price: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2))


SPEC = RepositorySpec(
    Priced,
    keys={"id": UniqueKeySpec("pk_priced", ("id",), ("id",), primary=True)},
    updatable=("price",),
    orderable=("id", "price"),
)


class PricedRepository(Repository[Priced, object, str]):
    spec = SPEC


class AsyncPricedRepository(AsyncRepository[Priced, object, str]):
    spec = SPEC


def test_a_check_violation_is_typed_and_rolled_back(engine: Engine) -> None:
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        repository = PricedRepository(session)
        with pytest.raises(IntegrityViolationError) as caught:
            repository.add(Priced(id=1, price=Decimal("-1")))
        assert caught.value.model == "Priced"
        repository.add(Priced(id=2, price=Decimal("1")))  # the session goes on
        session.commit()
        assert session.scalars(sa.select(Priced.id)).all() == [2]


async def test_a_check_violation_is_typed_async(async_engine: AsyncEngine) -> None:
    async with async_engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with AsyncSession(async_engine) as session:
        repository = AsyncPricedRepository(session)
        with pytest.raises(IntegrityViolationError):
            await repository.add(Priced(id=1, price=Decimal("-1")))
        # an upsert goes through the guard too (its own statement path)
        with pytest.raises(IntegrityViolationError):
            await repository._upsert([Priced(id=3, price=Decimal("-3"))], "id")
        await repository.add(Priced(id=2, price=Decimal("1")))
        await session.commit()
        assert (await session.scalars(sa.select(Priced.id))).all() == [2]
