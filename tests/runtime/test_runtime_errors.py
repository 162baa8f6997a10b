"""IntegrityError translation and write guards, on every backend with its sync and async driver."""

from __future__ import annotations

from collections.abc import Callable

import pymysql  # type: ignore[import-untyped]
import pytest
from sqlalchemy import Engine, ForeignKey, String, UniqueConstraint, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sublimate_runtime import (
    ConflictError,
    ForeignKeyError,
    IntegrityViolationError,
    NotFoundError,
    RepositoryError,
    UniqueKeySpec,
    async_session_factory,
    async_write_guard,
    session_factory,
    translate_integrity_error,
    write_guard,
)
from sublimate_runtime.integrity import _pg_key_columns


class Base(DeclarativeBase):
    pass


class Parent(Base):
    __tablename__ = "parent"
    __table_args__ = (UniqueConstraint("a", "b", name="uq_parent_ab"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column("the code", String(20), unique=True)  # unnamed, quoted
    a: Mapped[int]
    b: Mapped[int]


class Child(Base):
    __tablename__ = "child"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("parent.id"))
    note: Mapped[str] = mapped_column(String(20))


PARENT_KEYS = (
    UniqueKeySpec(None, ("id",), ("id",), primary=True),
    UniqueKeySpec(None, ("code",), ("the code",)),
    UniqueKeySpec("uq_parent_ab", ("a", "b"), ("a", "b")),
)

Action = Callable[[Session], object]


def _seed(session: Session) -> None:
    session.add(Parent(id=1, code="p1", a=1, b=1))
    session.flush()  # no relationship() tells the unit of work that the parent goes first
    session.add(Child(id=1, parent_id=1, note="n"))


def _add(make: Callable[[], Base]) -> Action:
    def action(session: Session) -> None:
        session.add(make())
        session.flush()

    return action


def _delete_parent(session: Session) -> None:
    session.execute(delete(Parent).where(Parent.id == 1))


CASES = [
    pytest.param(
        _add(lambda: Parent(id=2, code="p1", a=2, b=2)), ConflictError, ("code",), id="unique"
    ),
    pytest.param(
        _add(lambda: Parent(id=2, code="p2", a=1, b=1)), ConflictError, ("a", "b"), id="unique2"
    ),
    pytest.param(
        _add(lambda: Parent(id=1, code="p2", a=2, b=2)), ConflictError, ("id",), id="primary"
    ),
    pytest.param(
        _add(lambda: Child(id=2, parent_id=99, note="x")), ForeignKeyError, None, id="fk-insert"
    ),
    pytest.param(_delete_parent, ForeignKeyError, None, id="fk-delete"),
    pytest.param(
        _add(lambda: Child(id=2, parent_id=1, note=None)),
        IntegrityViolationError,
        None,
        id="not-null",
    ),
]


def _check(error: RepositoryError, expected: type[RepositoryError], columns: object) -> None:
    assert type(error) is expected
    assert error.model == "Parent"
    assert isinstance(error.__cause__, IntegrityError)
    assert getattr(error, "original", None) is error.__cause__.orig
    if columns is not None:
        assert isinstance(error, ConflictError)
        assert error.columns == columns
        assert ", ".join(error.columns) in str(error)


@pytest.mark.parametrize(("action", "expected", "columns"), CASES)
def test_translated_sync(
    engine: Engine, action: Action, expected: type[RepositoryError], columns: object
) -> None:
    Base.metadata.create_all(engine)
    factory = session_factory(engine)
    with factory.begin() as session:
        _seed(session)
    with factory() as session:
        with pytest.raises(expected) as raised, write_guard(session, "Parent", PARENT_KEYS):
            action(session)
        _check(raised.value, expected, columns)


@pytest.mark.parametrize(("action", "expected", "columns"), CASES)
async def test_translated_async(
    async_engine: AsyncEngine, action: Action, expected: type[RepositoryError], columns: object
) -> None:
    async with async_engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    factory = async_session_factory(async_engine)
    async with factory.begin() as session:
        await session.run_sync(_seed)
    async with factory() as session:
        with pytest.raises(expected) as raised:
            async with async_write_guard(session, "Parent", PARENT_KEYS):
                await session.run_sync(action)
        _check(raised.value, expected, columns)


def test_session_usable_after_error(engine: Engine) -> None:
    """The guard rolls back: earlier uncommitted rows vanish, the next write commits."""
    Base.metadata.create_all(engine)
    factory = session_factory(engine)
    with factory.begin() as session:
        _seed(session)
    with factory() as session:
        session.add(Parent(id=2, code="p2", a=2, b=2))
        session.flush()
        with pytest.raises(ConflictError), write_guard(session, "Parent", PARENT_KEYS):
            session.add(Parent(id=3, code="p1", a=3, b=3))
            session.flush()
        session.add(Parent(id=4, code="p4", a=4, b=4))
        session.commit()
    with factory() as session:
        assert session.scalars(select(Parent.id).order_by(Parent.id)).all() == [1, 4]


async def test_async_session_usable_after_error(async_engine: AsyncEngine) -> None:
    async with async_engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    factory = async_session_factory(async_engine)
    async with factory.begin() as session:
        await session.run_sync(_seed)
    async with factory() as session:
        session.add(Parent(id=2, code="p2", a=2, b=2))
        await session.flush()
        with pytest.raises(ConflictError):
            async with async_write_guard(session, "Parent", PARENT_KEYS):
                session.add(Parent(id=3, code="p3", a=1, b=1))
                await session.flush()
        session.add(Parent(id=4, code="p4", a=4, b=4))
        await session.commit()
    async with factory() as session:
        assert (await session.scalars(select(Parent.id).order_by(Parent.id))).all() == [1, 4]
        assert await session.scalar(select(func.count()).select_from(Child)) == 1


def test_unknown_key_reports_database_columns(engine: Engine) -> None:
    """Without key specs, PostgreSQL and SQLite still name the columns; MariaDB only the index."""
    Base.metadata.create_all(engine)
    factory = session_factory(engine)
    with factory.begin() as session:
        _seed(session)
    with (
        factory() as session,
        pytest.raises(ConflictError) as raised,
        write_guard(session, "Parent", ()),
    ):
        session.add(Parent(id=2, code="p2", a=1, b=1))
        session.flush()
    expected = () if engine.dialect.name == "mysql" else ("a", "b")
    assert raised.value.columns == expected


def test_postgresql_detail_parsing() -> None:
    assert _pg_key_columns("Key (a, b)=(1, 1) already exists.") == ("a", "b")
    assert _pg_key_columns('Key ("the code", "x""y")=(p, q) already exists.') == (
        "the code",
        'x"y',
    )
    assert _pg_key_columns("Key (lower(email::text))=(a@b) already exists.") == (
        "lower(email::text)",
    )
    assert _pg_key_columns("no key here") == ()


def test_mysql8_key_names() -> None:
    """MySQL 8 prefixes the index with its table; the local MariaDB cannot produce that form."""

    def conflict(message: str) -> RepositoryError:
        original = pymysql.err.IntegrityError(1062, message)
        error = IntegrityError("INSERT ...", {}, original)
        return translate_integrity_error(error, "Parent", PARENT_KEYS)

    named = conflict("Duplicate entry '1-1' for key 'parent.uq_parent_ab'")
    assert isinstance(named, ConflictError) and named.columns == ("a", "b")
    primary = conflict("Duplicate entry 'x' for key 'y' for key 'parent.PRIMARY'")
    assert isinstance(primary, ConflictError) and primary.columns == ("id",)


def test_error_messages() -> None:
    error = NotFoundError("Customer", {"id": 5})
    assert str(error) == "Customer not found: id=5"
    assert error.key == {"id": 5} and error.model == "Customer"
    assert isinstance(error, RepositoryError)
    assert "(email)" in str(ConflictError("Customer", ("email",)))
    assert "unique key" in str(ConflictError("Customer", ()))
    assert "foreign key" in str(ForeignKeyError("Customer"))
    original = ValueError("null value in column\nDETAIL: Failing row contains (secret)")
    assert "secret" not in str(IntegrityViolationError("Customer", original))
