"""Run-time cost of the generated repositories: ours vs hand-written SQLAlchemy vs Advanced Alchemy.

    .venv/bin/python bench/runtime.py                 # or: make bench (about 3 minutes)
    .venv/bin/python bench/runtime.py --quick         # 3 small blocks: for iterating
    .venv/bin/python bench/runtime.py --backends sqlite --flavours sync --ops delete,exists
    .venv/bin/python bench/runtime.py --ops insert_many --no-gc  # the GC paused while timing
    .venv/bin/python bench/runtime.py --ops json     # only the service page of 1,000 rows as JSON

Not a test: it prints figures. On SQLite (a file), PostgreSQL (SUBLIMATE_TEST_PG_URL) and MariaDB
(SUBLIMATE_TEST_MYSQL_URL), each with its sync driver (pysqlite, psycopg, pymysql) and its async
one (aiosqlite, asyncpg, aiomysql), the three implementations of bench/runtime_ops.py run
interleaved in one process: every block runs each implementation's batch of the operation, in
an order shuffled per block, each batch in a session of its own, begun before the clock (after a
gc.collect(): the previous batch's garbage is not this one's cost) and committed after it; the
figure is the median over blocks of the time per operation. Statements per operation are
counted with a before_cursor_execute listener (an executemany counts once). 2,000 rows are
seeded first; an unreachable server is skipped with a note.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "generated_example"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from advanced_alchemy.filters import LimitOffset, OrderBy
from advanced_alchemy.service import (
    SQLAlchemyAsyncRepositoryService,
    SQLAlchemySyncRepositoryService,
)
from runtime_ops import OPERATIONS, AAAsyncProducts, AAProducts, Context, D, aw
from shop.db import AsyncProductService, ProductRead, ProductService
from shop.models import Base, Product
from sublimate_runtime import OffsetPage, create_async_engine, create_engine

SERVERS = {
    "postgresql": os.environ.get(
        "SUBLIMATE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
    "mariadb": os.environ.get(
        "SUBLIMATE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test"
    ),
}
ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
ASYNC_DRIVERS["mariadb"] = "mysql+aiomysql"
LABELS = {
    ("postgresql", False): "PostgreSQL psycopg",
    ("postgresql", True): "PostgreSQL asyncpg",
    ("sqlite", False): "SQLite pysqlite",
    ("sqlite", True): "SQLite aiosqlite",
    ("mariadb", False): "MariaDB pymysql",
    ("mariadb", True): "MariaDB aiomysql",
}
IMPLEMENTATIONS = ("ours", "hand", "AA")
SEED = 2000
JSON_OP = "service list 1,000 rows -> JSON"


def hand_read(product: Product) -> ProductRead:
    """The Read DTO of an ORM object, as hand-written code builds it."""
    return ProductRead(
        id=product.id,
        sku=product.sku,
        name=product.name,
        price=product.price,
        status=product.status,
        attributes=product.attributes,
        category_id=product.category_id,
        weight=product.weight,
        is_featured=product.is_featured,
        warranty=product.warranty,
        thumbnail=product.thumbnail,
    )


class AAService(SQLAlchemySyncRepositoryService[Product, AAProducts]):
    repository_type = AAProducts


class AAAsyncService(SQLAlchemyAsyncRepositoryService[Product, AAAsyncProducts]):
    repository_type = AAAsyncProducts


@dataclass
class Figures:
    seconds: list[float] = field(default_factory=list)
    statements: float = 0.0


Results = dict[str, dict[str, Figures]]  # {operation: {implementation: figures}}


@dataclass
class Flavour:
    """One database through one driver: what the harness needs to open sessions on it."""

    backend: str
    is_async: bool
    engine: Any  # Engine or AsyncEngine
    no_gc: bool = False  # pause the garbage collector while timing (as timeit does)
    statements: int = 0

    @property
    def label(self) -> str:
        return LABELS[(self.backend, self.is_async)]

    def session(self) -> Any:
        kind = AsyncSession if self.is_async else Session
        return kind(self.engine, expire_on_commit=False)

    def count(self, *_args: Any) -> None:
        self.statements += 1


def run_sync(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Drive a coroutine whose awaits all complete at once (sync sessions never suspend)."""
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    coroutine.close()
    raise RuntimeError("a sync operation awaited something that suspends")


async def seed(flavour: Flavour, tag: str, count: int, price: Callable[[int], Any]) -> list[int]:
    rows = [{"sku": f"{tag}-{i}", "name": f"Seed {i}", "price": price(i)} for i in range(count)]
    session = flavour.session()
    try:
        statement = sa.insert(Product).returning(Product.id, sort_by_parameter_order=True)
        ids = list(await aw(session.scalars(statement, rows)))
        await aw(session.commit())
    finally:
        await aw(session.close())
    return ids


async def run_batch(flavour: Flavour, op: Any, ctx: Context, inputs: list[Any]) -> Figures:
    """One implementation's batch of one operation, in a session of its own."""
    session = flavour.session()
    try:
        await aw(session.connection())  # begin outside the timing
        gc.collect()
        if flavour.no_gc:
            gc.disable()
        flavour.statements = 0
        started = time.perf_counter()
        for i, data in enumerate(inputs):
            await op(ctx, session, i, data)
        elapsed = time.perf_counter() - started
        gc.enable()
        statements = flavour.statements
        await aw(session.commit())
    finally:
        await aw(session.close())
    return Figures([elapsed / len(inputs)], statements / len(inputs))


async def measure(
    flavour: Flavour, ids: list[int], ops: list[str], blocks: int, batch: int
) -> Results:
    results: Results = {}
    for name in ops:
        prepare, by_impl = OPERATIONS[name]
        results[name] = {impl: Figures() for impl in IMPLEMENTATIONS}
        size = max(1, batch // 10) if name.startswith("insert_many") else batch
        for block in range(blocks):
            order = list(IMPLEMENTATIONS)
            random.Random(block).shuffle(order)
            for impl in order:
                tag = uuid.uuid4().hex[:8]
                doomed = (
                    await seed(flavour, f"{tag}-doomed", size, lambda i: D(1))
                    if name.startswith("delete")
                    else []
                )
                if name.startswith("upsert"):
                    await seed(flavour, f"{tag}-up", 50, lambda i: D(i))
                ctx = Context(tag, ids, doomed, flavour.backend, flavour.is_async)
                inputs = [prepare(ctx, impl, i) for i in range(size)]
                figures = await run_batch(flavour, by_impl[impl], ctx, inputs)
                results[name][impl].seconds += figures.seconds
                results[name][impl].statements = figures.statements
    return results


async def service_json(flavour: Flavour, blocks: int) -> dict[str, Figures]:
    """A service page of 1,000 rows and their total serialised to JSON bytes with msgspec: ours
    (the service's `list`), hand (the ORM objects of one `count(*) OVER ()` statement made into
    Read DTOs by hand) and AA (its service's `list_and_count` and `to_schema`)."""
    figures = {"ours": Figures(), "hand": Figures(), "AA": Figures()}

    async def ours(session: Any) -> bytes:
        service = AsyncProductService(session) if flavour.is_async else ProductService(session)
        return msgspec.json.encode(await aw(service.list(limit=1000)))

    async def hand(session: Any) -> bytes:
        statement = sa.select(Product, sa.func.count().over()).order_by(Product.id).limit(1000)
        rows = (await aw(session.execute(statement))).all()
        items = [hand_read(row[0]) for row in rows]
        total = rows[0][1] if rows else 0
        return msgspec.json.encode(OffsetPage(items=items, total=total, limit=1000, offset=0))

    async def aa(session: Any) -> bytes:
        service = (AAAsyncService if flavour.is_async else AAService)(session=session)
        page = LimitOffset(limit=1000, offset=0)
        items, total = await aw(service.list_and_count(OrderBy("id", "asc"), page))
        schema = service.to_schema(items, total, filters=[page], schema_type=ProductRead)
        return msgspec.json.encode(schema)

    bodies: dict[str, bytes] = {}
    for block in range(blocks):
        order = [("ours", ours), ("hand", hand), ("AA", aa)]
        random.Random(block).shuffle(order)
        for impl, run in order:
            session = flavour.session()
            try:
                await aw(session.connection())
                flavour.statements = 0
                started = time.perf_counter()
                body = await run(session)
                figures[impl].seconds.append(time.perf_counter() - started)
                figures[impl].statements = flavour.statements
            finally:
                await aw(session.close())
            assert body.count(b'"sku"') == 1000
            bodies[impl] = body
        assert bodies["ours"] == bodies["hand"]  # the same page, byte for byte
    return figures


async def bench_flavour(flavour: Flavour, ops: list[str], blocks: int, batch: int) -> Results:
    """Fresh tables, 2,000 seeded rows, every operation, the JSON page; tables dropped after."""
    engine = flavour.engine
    sync_engine = engine.sync_engine if flavour.is_async else engine
    if flavour.is_async:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
    else:
        Base.metadata.create_all(engine)
    ids = await seed(flavour, "seed", SEED, lambda i: D(i % 20))
    sa.event.listen(sync_engine, "before_cursor_execute", flavour.count)
    try:
        results = await measure(flavour, ids, ops, blocks, batch)
        results[JSON_OP] = await service_json(flavour, blocks)
    finally:
        sa.event.remove(sync_engine, "before_cursor_execute", flavour.count)
    if flavour.is_async:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.drop_all)
        await engine.dispose()
    else:
        Base.metadata.drop_all(engine)
        engine.dispose()
    return results


def median_us(figures: Figures) -> float:
    return statistics.median(figures.seconds) * 1e6 if figures.seconds else float("nan")


def ratio(results: dict[str, Figures], other: str) -> str:
    ours, theirs = median_us(results["ours"]), median_us(results[other])
    return "-" if theirs != theirs else f"{ours / theirs:.2f}"  # NaN: not measured


def counts(results: dict[str, Figures]) -> str:
    return "/".join(
        f"{results[impl].statements:g}" if results[impl].seconds else "-"
        for impl in IMPLEMENTATIONS
    )


def report_flavour(label: str, results: Results) -> None:
    print(f"\n{label} (median of blocks; µs per operation)")
    print(
        "| operation | ours µs | hand µs | AA µs | ours/hand | ours/AA | statements ours/hand/AA |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, by_impl in results.items():
        ours, hand, aa = (median_us(by_impl[impl]) for impl in IMPLEMENTATIONS)
        shown = ["-" if value != value else f"{value:,.0f}" for value in (ours, hand, aa)]
        print(
            f"| {name} | {' | '.join(shown)} | {ratio(by_impl, 'hand')} | {ratio(by_impl, 'AA')} "
            f"| {counts(by_impl)} |"
        )


def report_summary(all_results: dict[str, Results]) -> None:
    """One table: per operation and driver, ours/hand, ours/AA and statements ours/hand/AA."""
    labels = list(all_results)
    print("\nours/hand · ours/AA (statements ours/hand/AA), median of blocks, one run")
    print("| operation | " + " | ".join(labels) + " |")
    print("|---|" + "---|" * len(labels))
    names = list(next(iter(all_results.values())))
    for name in names:
        cells = [
            f"{ratio(r[name], 'hand')} · {ratio(r[name], 'AA')} ({counts(r[name])})"
            for r in all_results.values()
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")


@contextmanager
def databases(backends: list[str]) -> Iterator[dict[str, tuple[sa.URL, sa.URL]]]:
    """{backend: (sync URL, async URL)} of a fresh database on each reachable backend."""
    found: dict[str, tuple[sa.URL, sa.URL]] = {}
    cleanups: list[Callable[[], None]] = []
    with tempfile.TemporaryDirectory() as folder:
        if "sqlite" in backends:
            path = f"{folder}/bench.db"
            found["sqlite"] = (
                sa.make_url(f"sqlite:///{path}"),
                sa.make_url(f"sqlite+aiosqlite:///{path}"),
            )
        for backend in (b for b in backends if b in SERVERS):
            admin = sa.create_engine(SERVERS[backend], isolation_level="AUTOCOMMIT")
            name = f"sublimate_bench_{uuid.uuid4().hex[:8]}"
            try:
                with admin.connect() as connection:
                    connection.execute(sa.text(f"CREATE DATABASE {name}"))
            except sa.exc.OperationalError as error:
                print(f"{backend} skipped: {str(error).splitlines()[0]}")
                admin.dispose()
                continue
            url = admin.url.set(database=name)
            found[backend] = (url, url.set(drivername=ASYNC_DRIVERS[backend]))
            force = " WITH (FORCE)" if backend == "postgresql" else ""

            def drop(admin: sa.Engine = admin, name: str = name, force: str = force) -> None:
                with admin.connect() as connection:
                    connection.execute(sa.text(f"DROP DATABASE {name}{force}"))
                admin.dispose()

            cleanups.append(drop)
        try:
            yield found
        finally:
            for cleanup in cleanups:
                cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=7)
    parser.add_argument(
        "--batch", type=int, default=40, help="operations per batch (insert_many: 1/10)"
    )
    parser.add_argument("--quick", action="store_true", help="3 blocks of 10: for iterating")
    parser.add_argument("--backends", default="postgresql,sqlite,mariadb")
    parser.add_argument("--flavours", default="sync,async")
    parser.add_argument("--ops", default=",".join(OPERATIONS), help="comma-separated operations")
    parser.add_argument("--no-gc", action="store_true", help="pause the GC while timing")
    args = parser.parse_args()
    blocks, batch = (3, 10) if args.quick else (args.blocks, args.batch)
    ops = [name for name in OPERATIONS if any(name.startswith(o) for o in args.ops.split(","))]
    print(f"{blocks} blocks of {batch} per implementation; load average {os.getloadavg()[0]:.2f}")
    all_results: dict[str, Results] = {}
    with databases(args.backends.split(",")) as found:
        for backend, (sync_url, async_url) in found.items():
            for is_async in (False, True):
                if ("async" if is_async else "sync") not in args.flavours.split(","):
                    continue
                engine = create_async_engine(async_url) if is_async else create_engine(sync_url)
                flavour = Flavour(backend, is_async, engine, no_gc=args.no_gc)
                run = bench_flavour(flavour, ops, blocks, batch)
                results = asyncio.run(run) if is_async else run_sync(run)
                report_flavour(flavour.label, results)
                all_results[flavour.label] = results
    report_summary(all_results)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
