"""``DataError.column`` is the database's column name, also when the attribute is named otherwise.

The write guard around a flush, a Core INSERT and an executemany UPDATE, on SQLite, PostgreSQL
and MariaDB (sync and async): MariaDB names the column in its message; on PostgreSQL and SQLite the
runtime's engines trace the bound value that cannot fit back to its column.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, Numeric, String, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sublimate_runtime import (
    DataError,
    async_session_factory,
    async_write_guard,
    session_factory,
    write_guard,
)


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "things"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    label: Mapped[str | None] = mapped_column("the label", String(5))
    amount: Mapped[Decimal | None] = mapped_column("the amount", Numeric(5, 2))


HUGE = 10**19

# (what is written, the column it must name, backends where the database refuses it)
CASES: dict[str, tuple[Callable[[], Any], str, tuple[str, ...]]] = {
    "flush_too_long": (lambda: Thing(id=2, label="x" * 6), "the label", ("postgresql", "mysql")),
    "insert_overflow": (
        lambda: insert(Thing).values(id=2, amount=Decimal("12345.6")),
        "the amount",
        ("postgresql", "mysql"),
    ),
    "update_huge_id": (
        lambda: update(Thing).values(id=HUGE),
        "id",
        ("sqlite", "postgresql", "mysql"),
    ),
}


def _run(session: Session, what: Any) -> None:
    if isinstance(what, Thing):
        session.add(what)
        session.flush()
    else:
        session.execute(what)


@pytest.mark.parametrize("case", list(CASES))
def test_the_column_is_named(engine: Engine, database: Any, case: str) -> None:
    make, column, refused_on = CASES[case]
    if database.backend not in refused_on:
        pytest.skip(f"{database.backend} stores this value")
    Base.metadata.create_all(engine)
    with session_factory(engine)() as session:
        session.add(Thing(id=1))
        session.commit()
        with pytest.raises(DataError) as caught, write_guard(session, "Thing", ()):
            _run(session, make())
        assert (caught.value.model, caught.value.column) == ("Thing", column)
        session.add(Thing(id=3, label="ok"))  # the session goes on
        session.commit()
        assert session.scalars(select(Thing.id).order_by(Thing.id)).all() == [1, 3]


@pytest.mark.parametrize("case", list(CASES))
async def test_the_column_is_named_async(
    async_engine: AsyncEngine, database: Any, case: str
) -> None:
    make, column, refused_on = CASES[case]
    if database.backend not in refused_on:
        pytest.skip(f"{database.backend} stores this value")
    async with async_engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with async_session_factory(async_engine)() as session:
        session.add(Thing(id=1))
        await session.commit()
        with pytest.raises(DataError) as caught:
            async with async_write_guard(session, "Thing", ()):
                await session.run_sync(_run, make())
        assert (caught.value.model, caught.value.column) == ("Thing", column)
        session.add(Thing(id=3, label="ok"))
        await session.commit()
        assert (await session.scalars(select(Thing.id).order_by(Thing.id))).all() == [1, 3]
