"""What *_returns() report matches what each server really runs, and dialect_of sees the server."""

from __future__ import annotations

from sqlalchemy import Engine, Executable, Integer, delete, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sublimate_runtime import (
    async_dialect_of,
    async_session_factory,
    create_engine,
    delete_returns,
    dialect_of,
    session_factory,
    update_returns,
    upsert_returns,
    upsert_statement,
)


class Base(DeclarativeBase):
    pass


class Counter(Base):
    __tablename__ = "counter"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(Integer)


def _works(session: Session, statement: Executable) -> bool:
    try:
        with session.begin_nested():
            session.execute(statement)
    except DBAPIError:
        return False
    return True


def test_returning_support_matches_the_server(engine: Engine) -> None:
    Base.metadata.create_all(engine)
    with session_factory(engine).begin() as session:
        session.add(Counter(id=1, value=1))
        session.flush()
        dialect = dialect_of(session)
        upsert = upsert_statement(dialect, Counter, ["id"], ["value"]).values(id=1, value=2)
        measured = {
            "upsert": _works(session, upsert.returning(Counter.value)),
            "update": _works(session, update(Counter).values(value=3).returning(Counter.id)),
            "delete": _works(session, delete(Counter).returning(Counter.id)),
        }
    reported = {
        "upsert": upsert_returns(dialect),
        "update": update_returns(dialect),
        "delete": delete_returns(dialect),
    }
    assert reported == measured
    expected_update = dialect.name != "mysql"  # MariaDB 10.11: no UPDATE ... RETURNING
    assert measured == {"upsert": True, "update": expected_update, "delete": True}


def test_dialect_of_connects_a_fresh_engine(engine: Engine) -> None:
    """Before its first connection a MariaDB engine looks like MySQL; dialect_of asks the server."""
    fresh = create_engine(engine.url)
    with Session(fresh) as session:
        assert fresh.dialect.server_version_info is None
        dialect = dialect_of(session)
        assert dialect.server_version_info is not None
        assert upsert_returns(dialect)
        assert dialect.insert_returning
    fresh.dispose()


async def test_async_dialect_of(async_engine: AsyncEngine) -> None:
    factory = async_session_factory(async_engine)
    async with factory() as session:
        assert async_engine.dialect.server_version_info is None
        dialect = await async_dialect_of(session)
        assert dialect.server_version_info is not None
        assert upsert_returns(dialect)
        assert dialect_of(session) is dialect
