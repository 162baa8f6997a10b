"""Routing on a real PostgreSQL primary and streaming replica (see conftest.py for the harness).

Where a statement ran is asked of the server itself: ``inet_server_port()`` and
``pg_is_in_recovery()`` (true only on the replica), read in the same session as the statement.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import Engine, String, event, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sublimate_runtime import (
    READ_INTENT,
    WRITE_INTENT,
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
)

from .conftest import TABLE, PgPair

pytestmark = pytest.mark.server

WHERE = text("SELECT inet_server_port(), pg_is_in_recovery()")


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = TABLE

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String, unique=True)


def where(session: Session, pair: PgPair) -> str:
    """'replica' or 'primary': the server a read of this session would run on, checked twice."""
    port, in_recovery = session.execute(WHERE, bind_arguments=READ_INTENT).one()
    assert in_recovery == (port == pair.replica_port)
    return "replica" if in_recovery else "primary"


async def async_where(session: AsyncSession, pair: PgPair) -> str:
    port, in_recovery = (await session.execute(WHERE, bind_arguments=READ_INTENT)).one()
    assert in_recovery == (port == pair.replica_port)
    return "replica" if in_recovery else "primary"


@pytest.fixture
def router(pg_pair: PgPair) -> Iterator[Router]:
    router = create_router(pg_pair.primary_url, [pg_pair.replica_url])
    yield router
    router.dispose()


@pytest.fixture
def factory(router: Router) -> sessionmaker[RoutingSession]:
    return routing_session_factory(router)


def count_statements(engine: Engine) -> list[str]:
    """Every SQL statement the engine sends, in order (a real event listener, no mock)."""
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    return seen


def test_reads_go_to_the_replica_and_writes_to_the_primary(
    factory: sessionmaker[RoutingSession], router: Router, pg_pair: PgPair
) -> None:
    on_primary = count_statements(router.primary)
    on_replica = count_statements(router.replicas[0])
    name = f"w-{uuid.uuid4().hex}"
    with factory() as session:
        assert where(session, pg_pair) == "replica"
        assert session.scalars(select(Item).where(Item.name == name)).one_or_none() is None
        assert where(session, pg_pair) == "replica"
        session.add(Item(name=name))
        session.flush()  # an INSERT on the replica would fail: read-only transaction
        assert where(session, pg_pair) == "primary"  # read-your-writes until the commit
        found = session.scalars(select(Item).where(Item.name == name), bind_arguments=READ_INTENT)
        assert found.one().name == name
        session.commit()
        assert where(session, pg_pair) == "replica"  # a new transaction reads from a replica
    assert any(s.startswith("INSERT INTO routing_items") for s in on_primary)
    assert not any(s.startswith("INSERT") for s in on_replica)
    assert any("FROM routing_items" in s for s in on_replica)


def test_rollback_releases_the_primary(
    factory: sessionmaker[RoutingSession], pg_pair: PgPair
) -> None:
    with factory() as session:
        session.execute(text("SELECT 1"), bind_arguments=WRITE_INTENT)
        assert where(session, pg_pair) == "primary"
        session.rollback()
        assert where(session, pg_pair) == "replica"


def test_for_update_goes_to_the_primary(
    factory: sessionmaker[RoutingSession], pg_pair: PgPair
) -> None:
    name = f"l-{uuid.uuid4().hex}"
    with factory.begin() as session:
        session.add(Item(name=name))
    pg_pair.wait_caught_up()
    with factory() as session:
        assert where(session, pg_pair) == "replica"
        # On the replica this would fail: FOR UPDATE cannot run during recovery.
        locked = session.scalars(
            select(Item).where(Item.name == name).with_for_update(), bind_arguments=READ_INTENT
        ).one()
        assert locked.name == name
        assert where(session, pg_pair) == "primary"


def test_primary_context_forces_the_primary(
    factory: sessionmaker[RoutingSession], pg_pair: PgPair
) -> None:
    with factory() as session:
        with primary():
            assert where(session, pg_pair) == "primary"
        assert where(session, pg_pair) == "replica"


def test_lag_is_visible_across_sessions_but_not_within_one(
    factory: sessionmaker[RoutingSession], pg_pair: PgPair
) -> None:
    """With replay paused the replica is stale for other sessions; the writer reads its row."""
    name = f"lag-{uuid.uuid4().hex}"
    lookup = select(Item).where(Item.name == name)
    pg_pair.set_replay(paused=True)
    try:
        with factory() as writer:
            writer.add(Item(name=name))
            writer.flush()
            assert writer.scalars(lookup, bind_arguments=READ_INTENT).one().name == name
            writer.commit()
        with factory() as reader:
            assert reader.scalars(lookup, bind_arguments=READ_INTENT).one_or_none() is None
            assert where(reader, pg_pair) == "replica"  # stale because it read the replica
            with primary():
                assert reader.scalars(lookup, bind_arguments=READ_INTENT).one().name == name
    finally:
        pg_pair.set_replay(paused=False)
    pg_pair.wait_caught_up()
    with factory() as reader:
        assert reader.scalars(lookup, bind_arguments=READ_INTENT).one().name == name
        assert where(reader, pg_pair) == "replica"


def test_refusing_replica_is_skipped_with_a_warning(pg_pair: PgPair) -> None:
    router = create_router(pg_pair.primary_url, [pg_pair.dead_url, pg_pair.replica_url])
    factory = routing_session_factory(router)
    try:
        with (
            pytest.warns(ReplicaUnavailableWarning, match=str(pg_pair.dead_port)),
            factory() as session,
        ):
            assert where(session, pg_pair) == "replica"
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # skipped silently while marked down
            for _ in range(3):
                with factory() as session:
                    assert where(session, pg_pair) == "replica"
    finally:
        router.dispose()


def test_no_replica_left_falls_back_to_the_primary_or_fails(pg_pair: PgPair) -> None:
    lenient = create_router(pg_pair.primary_url, [pg_pair.dead_url])
    strict = create_router(pg_pair.primary_url, [pg_pair.dead_url], fallback_to_primary=False)
    try:
        with (
            pytest.warns(ReplicaUnavailableWarning) as record,
            routing_session_factory(lenient)() as session,
        ):
            assert where(session, pg_pair) == "primary"
        messages = [str(warning.message) for warning in record]
        assert str(pg_pair.dead_port) in messages[0]
        assert "reading from the primary" in messages[1]
        with (
            pytest.warns(ReplicaUnavailableWarning),
            pytest.raises(NoReplicaAvailableError),
            routing_session_factory(strict)() as session,
        ):
            where(session, pg_pair)
        with routing_session_factory(strict)() as session:  # writes still work
            session.execute(text("SELECT 1"), bind_arguments=WRITE_INTENT)
            assert where(session, pg_pair) == "primary"
    finally:
        lenient.dispose()
        strict.dispose()


@pytest.fixture
async def async_factory(pg_pair: PgPair) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    router = create_async_router(
        pg_pair.url(pg_pair.primary_port, "asyncpg"),
        [pg_pair.url(pg_pair.dead_port, "asyncpg"), pg_pair.url(pg_pair.replica_port, "asyncpg")],
    )
    yield async_routing_session_factory(router)
    await router.dispose()


async def test_async_routing_on_sqlalchemy_2_1(
    async_factory: async_sessionmaker[AsyncSession], pg_pair: PgPair
) -> None:
    """AsyncSession + asyncpg: replica reads, primary writes, stickiness, primary(), skip."""
    factory = async_factory
    name = f"a-{uuid.uuid4().hex}"
    with pytest.warns(ReplicaUnavailableWarning, match=str(pg_pair.dead_port)):
        async with factory() as session:
            assert isinstance(session, AsyncSession)
            assert session.bind is not None  # a routed AsyncSession still has an engine
            assert dialect_of(session).name == "postgresql"
            assert await async_where(session, pg_pair) == "replica"
            session.add(Item(name=name))
            await session.flush()
            assert await async_where(session, pg_pair) == "primary"
            await session.commit()
            assert await async_where(session, pg_pair) == "replica"
            async with primary():
                assert await async_where(session, pg_pair) == "primary"
            with primary():
                assert await async_where(session, pg_pair) == "primary"
            assert await async_where(session, pg_pair) == "replica"
            locked = await session.scalars(select(Item).where(Item.name == name).with_for_update())
            assert locked.one().name == name  # committed on the primary, where it ran
            assert await async_where(session, pg_pair) == "primary"
            await session.rollback()
            assert await async_where(session, pg_pair) == "replica"
