"""Figures for replica routing and caching (issue 6). Run: .venv/bin/python bench/routing_cache.py

1. Statements per call, uncached / cached miss / cached hit, for get, get_by_<key>, list, count.
2. Hit ratio of a small mixed workload (reads with a few writes), memory and Redis regions.
3. Routing overhead: the same reads through a plain session and a routed one (primary and
   replica are copies of one SQLite file, so only the routing differs), in the same run; then
   the same on PostgreSQL when SUBLIMATE_TEST_PG_URL (or the default) is reachable.

Nothing here is asserted: the tests check behaviour, this prints numbers.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
import time
import timeit
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "runtime")]

from cache.app import Account, AccountRepository, Base, statements  # noqa: E402
from dogpile.cache import make_region  # noqa: E402
from sqlalchemy import Engine, select, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402
from sublimate_runtime import (  # noqa: E402
    READ_INTENT,
    Cache,
    create_engine,
    create_router,
    routing_session_factory,
    session_factory,
)

ROWS = 200


def fill(engine: Engine) -> None:
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(
            [Account(id=i, email=f"a{i}@example.com", name=f"n{i}") for i in range(1, ROWS + 1)]
        )
        session.commit()


def region(kind: str) -> object:
    if kind == "memory":
        return make_region().configure("dogpile.cache.memory")
    url = os.environ.get("SUBLIMATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    return make_region().configure(
        "dogpile.cache.redis",
        arguments={"url": url, "distributed_lock": True, "thread_local_lock": False},
    )


def statements_per_call(engine: Engine, kind: str) -> None:
    calls: dict[str, Callable[[AccountRepository], object]] = {
        "get": lambda repo: repo.get(7),
        "get_by_email": lambda repo: repo.get_by_email("a8@example.com"),
        "list(limit=20)": lambda repo: repo.list(limit=20),
        "count": lambda repo: repo.count(),
    }
    plain = session_factory(engine)
    cached = Cache(region(kind), namespace=f"bench-{uuid.uuid4().hex[:8]}").attach(  # type: ignore[arg-type]
        session_factory(engine)
    )
    sql = statements(engine)
    print(f"\nstatements per call ({kind} region): uncached / miss / 2nd call / 3rd call")
    for name, call in calls.items():
        counts = []
        for factory in (plain, cached, cached, cached):
            sql.clear()
            with factory() as session:
                call(AccountRepository(session))
            counts.append(len(sql))
        print(f"  {name:16} {' / '.join(map(str, counts))}")


def hit_ratio(engine: Engine, kind: str) -> None:
    """1,000 operations: 60% get, 15% get_by_email, 10% list, 10% count, 5% update+commit."""
    rng = random.Random(6)
    factory = Cache(region(kind), namespace=f"bench-{uuid.uuid4().hex[:8]}").attach(  # type: ignore[arg-type]
        session_factory(engine)
    )
    sql = statements(engine)
    reads = hits = writes = 0
    by_method: dict[str, list[int]] = {}
    hot = list(range(1, 51))  # most traffic on a quarter of the rows
    for _ in range(1000):
        roll = rng.random()
        ident = rng.choice(hot) if rng.random() < 0.8 else rng.randint(1, ROWS)
        sql.clear()
        with factory() as session:
            repo = AccountRepository(session)
            if roll < 0.05:
                repo.update(ident, name=f"u{rng.random()}")
                session.commit()
                writes += 1
                continue
            if roll < 0.65:
                method = "get"
                repo.get(ident)
            elif roll < 0.80:
                method = "get_by_email"
                repo.get_by_email(f"a{ident}@example.com")
            elif roll < 0.90:
                method = "list"
                repo.list(limit=rng.choice((10, 20, 50)))
            else:
                method = "count"
                repo.count()
        reads += 1
        hits += not sql
        tally = by_method.setdefault(method, [0, 0])
        tally[0] += not sql
        tally[1] += 1
    print(
        f"\nmixed workload ({kind} region): {reads} reads, {writes} writes; "
        f"hit ratio {hits / reads:.1%} (reads that sent no SQL)"
    )
    for method, (hit, total) in by_method.items():
        print(f"  {method:13} {hit:4}/{total:<4} {hit / total:.1%}")


def timed_pair(
    plain: Callable[[], None], routed: Callable[[], None], repeat: int, rounds: int = 9
) -> tuple[float, float]:
    """Best (min) seconds per call of each over interleaved rounds: the least disturbed run."""
    results: dict[Callable[[], None], list[float]] = {plain: [], routed: []}
    for _ in range(rounds):
        for run in (plain, routed):
            start = time.perf_counter()
            for _ in range(repeat):
                run()
            results[run].append((time.perf_counter() - start) / repeat)
    return min(results[plain]), min(results[routed])


def routing_overhead(
    label: str, plain: sessionmaker[Session], routed: sessionmaker[Session]
) -> None:
    lookup = select(Account).where(Account.id == 3)

    def one_read(factory: sessionmaker[Session]) -> Callable[[], None]:
        def run() -> None:
            with factory() as session:
                session.scalars(lookup, bind_arguments=READ_INTENT).one()

        return run

    def ten_reads(factory: sessionmaker[Session]) -> Callable[[], None]:
        def run() -> None:
            with factory() as session:
                for _ in range(10):
                    session.scalars(lookup, bind_arguments=READ_INTENT).one()

        return run

    print(f"\nrouting overhead, {label} (best of 9 interleaved rounds)")
    for name, make, repeat in (
        ("1 read/session", one_read, 500),
        ("10 reads/session", ten_reads, 100),
    ):
        timed_pair(make(plain), make(routed), 20, rounds=1)  # warm both pools
        base, routed_time = timed_pair(make(plain), make(routed), repeat)
        print(
            f"  {name:17} plain {base * 1e6:7.1f} us  routed {routed_time * 1e6:7.1f} us  "
            f"ratio {routed_time / base:.2f}"
        )


def get_bind_cost(plain: sessionmaker[Session], routed: sessionmaker[Session]) -> None:
    """The routing decision alone: get_bind() per statement, best of 5 x 100,000 calls."""
    lookup = select(Account).where(Account.id == 3)
    with plain() as one, routed() as two:
        two.execute(lookup, bind_arguments=READ_INTENT)  # pin the replica, as after a first read
        costs = []
        for session in (one, two):

            def decide(session: Session = session) -> None:
                session.get_bind(clause=lookup, **READ_INTENT)

            costs.append(min(timeit.repeat(decide, number=100_000, repeat=5)) / 100_000)
    print(
        f"  get_bind per statement: plain {costs[0] * 1e6:.2f} us, routed {costs[1] * 1e6:.2f} us"
    )


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="sublimate-bench-"))
    try:
        primary_path = workdir / "primary.sqlite3"
        engine = create_engine(f"sqlite:///{primary_path}")
        fill(engine)
        for kind in ("memory", "redis"):
            try:
                statements_per_call(engine, kind)
                hit_ratio(engine, kind)
            except Exception as error:  # Redis not running: say so and go on
                print(f"\n({kind} region skipped: {type(error).__name__}: {error})")
        engine.dispose()

        replica_path = workdir / "replica.sqlite3"
        shutil.copy(primary_path, replica_path)
        plain_engine = create_engine(f"sqlite:///{primary_path}")
        router = create_router(f"sqlite:///{primary_path}", [f"sqlite:///{replica_path}"])
        routing_overhead(
            "SQLite files",
            session_factory(plain_engine),
            routing_session_factory(router),  # type: ignore[arg-type]
        )
        get_bind_cost(session_factory(plain_engine), routing_session_factory(router))  # type: ignore[arg-type]
        plain_engine.dispose()
        router.dispose()

        pg_url = os.environ.get(
            "SUBLIMATE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )
        schema = f"sublimate_bench_{uuid.uuid4().hex[:8]}"
        options: dict[str, Any] = {"connect_args": {"options": f"-c search_path={schema}"}}
        try:
            admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f"CREATE SCHEMA {schema}"))
        except Exception as error:
            print(f"\n(PostgreSQL skipped: {type(error).__name__}: {error})")
            return
        pg = create_engine(pg_url, **options)
        router = create_router(pg_url, [pg_url], **options)  # one server twice: routing only
        try:
            fill(pg)
            routing_overhead(
                "PostgreSQL over TCP",
                session_factory(pg),
                routing_session_factory(router),  # type: ignore[arg-type]
            )
        finally:
            pg.dispose()
            router.dispose()
            with admin.connect() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
