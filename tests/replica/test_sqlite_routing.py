"""Routing rules on SQLite files: the fast variant, no server needed.

Each database file holds a ``whoami`` row naming it ("primary", "r1", "r2"), so a read of that
table says which engine answered. There is no replication here: the PostgreSQL tests cover real
lag; these cover every rule of the router cheaply, sync and async.
"""

from __future__ import annotations

import sqlite3
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Integer, String, delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sublimate_runtime import (
    READ_INTENT,
    WRITE_INTENT,
    AsyncRouter,
    NoReplicaAvailableError,
    ReplicaUnavailableWarning,
    Router,
    RoutingSession,
    async_routing_session_factory,
    create_async_router,
    create_router,
    dialect_of,
    primary,
    routing_session_factory,
    session_factory,
)

WHO = text("SELECT name FROM whoami")


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "things"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """primary, r1, r2 (each with whoami and things) and "dead": a path that cannot be opened."""
    made = {}
    for name in ("primary", "r1", "r2"):
        path = tmp_path / f"{name}.sqlite3"
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE whoami (name TEXT)")
            connection.execute("INSERT INTO whoami VALUES (?)", (name,))
            connection.execute("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)")
        connection.close()
        made[name] = path
    made["dead"] = tmp_path / "missing-dir" / "dead.sqlite3"
    return made


def url(path: Path, driver: str = "pysqlite", *, replica: bool = True) -> str:
    """Replicas open read-only (a write sent there fails; a missing file is not created)."""
    if replica:
        return f"sqlite+{driver}:///file:{path}?mode=ro&uri=true"
    return f"sqlite+{driver}:///{path}"


@pytest.fixture
def router(files: dict[str, Path]) -> Iterator[Router]:
    router = create_router(
        url(files["primary"], replica=False), [url(files["r1"]), url(files["r2"])]
    )
    yield router
    router.dispose()


@pytest.fixture
def factory(router: Router) -> sessionmaker[RoutingSession]:
    return routing_session_factory(router)


def who(session: Session) -> str:
    return str(session.scalar(WHO, bind_arguments=READ_INTENT))


def test_round_robin_per_transaction(factory: sessionmaker[RoutingSession]) -> None:
    seen = []
    for _ in range(4):
        with factory() as session:
            first = who(session)
            assert session.scalar(select(Thing.id).limit(1)) is None
            assert who(session) == first  # one replica for the whole transaction
            seen.append(first)
    assert seen == ["r1", "r2", "r1", "r2"]


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda s: (s.add(Thing(name="x")), s.flush()), id="flush"),
        pytest.param(lambda s: s.execute(insert(Thing).values(name="x")), id="insert"),
        pytest.param(lambda s: s.execute(update(Thing).values(name="y")), id="update"),
        pytest.param(lambda s: s.execute(delete(Thing)), id="delete"),
        pytest.param(lambda s: s.execute(select(Thing).with_for_update()), id="for-update"),
        pytest.param(lambda s: s.execute(select(Thing), bind_arguments=WRITE_INTENT), id="intent"),
        pytest.param(lambda s: s.execute(text("SELECT 1")), id="undeclared-text"),
        pytest.param(
            lambda s: s.execute(insert(Thing).values(name="x"), bind_arguments=READ_INTENT),
            id="dml-declared-read",
        ),
    ],
)
def test_a_write_holds_the_session_on_the_primary_until_commit(
    factory: sessionmaker[RoutingSession], write: object
) -> None:
    with factory() as session:
        assert who(session) == "r1"
        assert callable(write)
        write(session)
        assert session.on_primary
        assert who(session) == "primary"
        assert session.scalar(select(Thing.id).limit(1), bind_arguments=READ_INTENT) in (None, 1)
        assert who(session) == "primary"
        session.commit()
        assert not session.on_primary
        assert who(session) == "r2"


def test_rollback_and_close_release_the_primary(factory: sessionmaker[RoutingSession]) -> None:
    with factory() as session:
        session.execute(insert(Thing).values(name="x"))
        session.rollback()
        assert who(session) == "r1"
        session.execute(insert(Thing).values(name="x"))
        session.close()
        assert who(session) == "r2"


def test_a_savepoint_does_not_release_the_primary(factory: sessionmaker[RoutingSession]) -> None:
    with factory() as session:
        assert who(session) == "r1"
        with session.begin_nested():
            session.execute(insert(Thing).values(name="x"))
        assert who(session) == "primary"
        nested = session.begin_nested()
        nested.rollback()
        assert who(session) == "primary"


def test_engine_questions_do_not_hold_the_primary(factory: sessionmaker[RoutingSession]) -> None:
    with factory() as session:
        assert dialect_of(session).name == "sqlite"
        assert session.connection().scalar(WHO) == "primary"
        assert who(session) == "r1"
        session.connection(bind_arguments=WRITE_INTENT)
        assert who(session) == "primary"


def test_text_declared_as_a_read_goes_to_a_replica(factory: sessionmaker[RoutingSession]) -> None:
    with factory() as session:
        assert session.scalar(text("SELECT name FROM whoami")) == "primary"  # undeclared
    with factory() as session:
        assert session.scalar(text("SELECT name FROM whoami"), bind_arguments=READ_INTENT) != (
            "primary"
        )


def test_primary_context(factory: sessionmaker[RoutingSession]) -> None:
    with factory() as session:
        with primary():
            assert who(session) == "primary"
            with primary():
                assert who(session) == "primary"
            assert who(session) == "primary"
        assert who(session) == "r1"
        assert not session.on_primary


def test_get_honours_the_intent(
    factory: sessionmaker[RoutingSession], files: dict[str, Path]
) -> None:
    with sqlite3.connect(files["r1"]) as connection:
        connection.execute("INSERT INTO things VALUES (1, 'on r1')")
    connection.close()
    with factory() as session:
        assert session.get(Thing, 1, bind_arguments=READ_INTENT) is not None
        assert session.get(Thing, 1, with_for_update=True) is None  # the primary has no row 1


def test_refusing_replica_is_skipped_then_retried(files: dict[str, Path]) -> None:
    router = create_router(
        url(files["primary"], replica=False),
        [url(files["dead"]), url(files["r1"])],
        retry_after=0.0,
    )
    factory = routing_session_factory(router)
    try:
        for _ in range(2):  # retry_after=0: probed (and skipped) again each time it comes up
            with (
                pytest.warns(ReplicaUnavailableWarning, match="dead.sqlite3"),
                factory() as session,
            ):
                assert who(session) == "r1"
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                with factory() as session:
                    assert who(session) == "r1"
        files["dead"].parent.mkdir()
        files["dead"].write_bytes(files["r2"].read_bytes())  # the replica comes back
        with factory() as session:
            assert who(session) == "r2"
    finally:
        router.dispose()


def test_no_replica_left(files: dict[str, Path]) -> None:
    lenient = create_router(url(files["primary"], replica=False), [url(files["dead"])])
    strict = create_router(
        url(files["primary"], replica=False), [url(files["dead"])], fallback_to_primary=False
    )
    try:
        with (
            pytest.warns(ReplicaUnavailableWarning) as record,
            routing_session_factory(lenient)() as session,
        ):
            assert who(session) == "primary"
        assert "reading from the primary" in str(record[-1].message)
        with (
            pytest.warns(ReplicaUnavailableWarning),
            pytest.raises(NoReplicaAvailableError),
            routing_session_factory(strict)() as session,
        ):
            who(session)
        with routing_session_factory(strict)() as session:  # marked down: no new warning
            with pytest.raises(NoReplicaAvailableError):
                who(session)
            session.rollback()
            session.execute(insert(Thing).values(name="x"))  # writes are unaffected
            session.commit()
    finally:
        lenient.dispose()
        strict.dispose()


def test_no_replicas_configured_means_the_primary(files: dict[str, Path]) -> None:
    router = create_router(url(files["primary"], replica=False), [])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with routing_session_factory(router)() as session:
                assert who(session) == "primary"
    finally:
        router.dispose()


def test_plain_sessions_ignore_intents(files: dict[str, Path]) -> None:
    router = create_router(url(files["primary"], replica=False), [])
    try:
        with session_factory(router.primary)() as session:
            assert session.scalar(WHO, bind_arguments=READ_INTENT) == "primary"
            assert session.get(Thing, 1, bind_arguments=WRITE_INTENT) is None
    finally:
        router.dispose()


@pytest.fixture
async def async_router(files: dict[str, Path]) -> AsyncIterator[AsyncRouter]:
    router = create_async_router(
        url(files["primary"], "aiosqlite", replica=False),
        [url(files["dead"], "aiosqlite"), url(files["r1"], "aiosqlite")],
    )
    yield router
    await router.dispose()


async def test_async_rules(async_router: AsyncRouter) -> None:
    factory: async_sessionmaker[AsyncSession] = async_routing_session_factory(async_router)

    async def who_async(session: AsyncSession) -> str:
        return str(await session.scalar(WHO, bind_arguments=READ_INTENT))

    with pytest.warns(ReplicaUnavailableWarning, match="dead.sqlite3"):
        async with factory() as session:
            assert session.bind is async_router.primary
            assert dialect_of(session).name == "sqlite"
            assert await who_async(session) == "r1"
            async with primary():
                assert await who_async(session) == "primary"
            with primary():
                assert await who_async(session) == "primary"
            assert await who_async(session) == "r1"
            session.add(Thing(name="a"))
            await session.flush()
            assert await who_async(session) == "primary"
            await session.commit()
            assert await who_async(session) == "r1"
            await session.execute(select(Thing).with_for_update())
            assert await who_async(session) == "primary"
            await session.rollback()
            assert await who_async(session) == "r1"
