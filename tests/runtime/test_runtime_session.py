"""Engine defaults: shared in-memory SQLite, foreign keys enforced, values kept after commit."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, ForeignKey, event, make_url, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import StaticPool
from sublimate_runtime import (
    DEFAULT_ASYNC_URL,
    DEFAULT_URL,
    async_session_factory,
    create_async_engine,
    create_engine,
    session_factory,
)


class Base(DeclarativeBase):
    pass


class Team(Base):
    __tablename__ = "team"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]


class Player(Base):
    __tablename__ = "player"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))


def _statements(engine: Engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_default_engine() -> None:
    engine = create_engine()
    assert engine.url == make_url(DEFAULT_URL)
    assert isinstance(engine.pool, StaticPool)
    Base.metadata.create_all(engine)
    factory = session_factory(engine)
    with factory() as session:
        team = Team(id=1, name="red")
        session.add(team)
        session.commit()
        seen = _statements(engine)
        assert team.name == "red"  # not expired by the commit: no reload
        assert seen == []
    with factory() as other:  # a second session sees the same in-memory database
        assert other.scalars(select(Team.name)).all() == ["red"]
        other.add(Player(id=1, team_id=99))
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            other.flush()
    engine.dispose()


async def test_default_async_engine() -> None:
    engine = create_async_engine()
    assert engine.url == make_url(DEFAULT_ASYNC_URL)
    assert isinstance(engine.pool, StaticPool)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    factory = async_session_factory(engine)
    async with factory() as session:
        team = Team(id=1, name="blue")
        session.add(team)
        await session.commit()
        assert team.name == "blue"  # an expired attribute would raise MissingGreenlet
    async with factory() as session:
        assert (await session.scalars(select(Team.name))).all() == ["blue"]
        assert await session.scalar(text("PRAGMA foreign_keys")) == 1
        session.add(Player(id=1, team_id=99))
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            await session.flush()
    await engine.dispose()
