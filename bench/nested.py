"""A page of 50 orders with their lines as JSON bytes: ours vs hand-written vs Advanced Alchemy.

    .venv/bin/python bench/nested.py                       # SQLite, PostgreSQL, MariaDB; sync+async
    .venv/bin/python bench/nested.py --backends sqlite --blocks 5

Not a test: it prints figures. Ours is the service's `list_with(OrderReadWithLines, limit=50)`
(the row path of `sublimate_runtime.nested_rows`: the page's columns with `count(*) OVER ()`,
then the lines' columns `WHERE order_id IN (...)`, no ORM objects); AA is its service's
`list_and_count(LimitOffset, OrderBy, load=[Order.lines])` and `to_schema(...,
schema_type=OrderReadWithLines)`; hand is `select(Order, count() OVER ()).options(
selectinload(Order.lines))` converted by the same msgspec call. All three encode with
`msgspec.json.encode`; their items are checked equal. 200 orders of 5 lines are seeded; each
block runs the three in a shuffled order, each in a session of its own (begun before the clock,
after a gc.collect()); the figure is the median over blocks of the time per page. The last
column is the median over blocks of each block's own ours/AA: on a machine shared with other
jobs, load that drifts between blocks moves both sides of one block alike.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, selectinload

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "generated_example"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from advanced_alchemy.filters import LimitOffset, OrderBy
from advanced_alchemy.repository import SQLAlchemyAsyncRepository, SQLAlchemySyncRepository
from advanced_alchemy.service import (
    SQLAlchemyAsyncRepositoryService,
    SQLAlchemySyncRepositoryService,
)
from runtime_ops import aw
from shop.db import AsyncOrderService, OrderOrder, OrderService
from shop.db.dtos.order import OrderReadWithLines
from shop.models import Base, Customer, Order, OrderLine, Product
from sublimate_runtime import OffsetPage, create_async_engine, create_engine

from runtime import LABELS, databases, run_sync

PAGE = 50
ORDERS, LINES = 200, 5


class AAOrders(SQLAlchemySyncRepository[Order]):
    model_type = Order


class AAAsyncOrders(SQLAlchemyAsyncRepository[Order]):
    model_type = Order


class AAService(SQLAlchemySyncRepositoryService[Order, AAOrders]):
    repository_type = AAOrders


class AAAsyncService(SQLAlchemyAsyncRepositoryService[Order, AAAsyncOrders]):
    repository_type = AAAsyncOrders


async def ours(session: Any, is_async: bool) -> bytes:
    service = AsyncOrderService(session) if is_async else OrderService(session)
    page = await aw(service.list_with(OrderReadWithLines, order_by=OrderOrder.ID, limit=PAGE))
    return msgspec.json.encode(page)


async def hand(session: Any, is_async: bool) -> bytes:
    statement = (
        sa.select(Order, sa.func.count().over())
        .options(selectinload(Order.lines))
        .order_by(Order.id)
        .limit(PAGE)
    )
    rows = (await aw(session.execute(statement))).all()
    items = msgspec.convert(
        [row[0] for row in rows], list[OrderReadWithLines], from_attributes=True
    )
    total = rows[0][1] if rows else 0
    return msgspec.json.encode(OffsetPage(items=items, total=total, limit=PAGE, offset=0))


async def aa(session: Any, is_async: bool) -> bytes:
    service = (AAAsyncService if is_async else AAService)(session=session)
    page = LimitOffset(limit=PAGE, offset=0)
    items, total = await aw(service.list_and_count(OrderBy("id", "asc"), page, load=[Order.lines]))
    schema = service.to_schema(items, total, filters=[page], schema_type=OrderReadWithLines)
    return msgspec.json.encode(schema)


async def seed(engine: Any, is_async: bool) -> None:
    at = datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.UTC)
    customer = Customer(email="bench@example.com", name="Bench")
    products = [Product(sku=f"N-{i}", name=f"P {i}", price=Decimal(i + 1)) for i in range(20)]
    orders = [
        Order(customer=customer, placed_at=at, total=Decimal(n), lines=[
            OrderLine(line_no=i, product=products[(n + i) % 20], quantity=i + 1,
                      unit_price=Decimal(i + 1))
            for i in range(LINES)
        ])
        for n in range(ORDERS)
    ]  # fmt: skip
    session = (AsyncSession if is_async else Session)(engine)
    try:
        session.add_all([customer, *products, *orders])
        await aw(session.commit())
    finally:
        await aw(session.close())


async def bench(engine: Any, is_async: bool, blocks: int) -> dict[str, tuple[float, float]]:
    sync_engine = engine.sync_engine if is_async else engine
    if is_async:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
    else:
        Base.metadata.create_all(engine)
    await seed(engine, is_async)
    statements = [0]

    def count(*_args: Any) -> None:
        statements[0] += 1

    sa.event.listen(sync_engine, "before_cursor_execute", count)
    seconds: dict[str, list[float]] = {"ours": [], "hand": [], "AA": []}
    counts: dict[str, int] = {}
    for block in range(blocks):
        order = [("ours", ours), ("hand", hand), ("AA", aa)]
        random.Random(block).shuffle(order)
        items = {}
        for name, run in order:
            session = (AsyncSession if is_async else Session)(engine, expire_on_commit=False)
            try:
                await aw(session.connection())
                gc.collect()
                statements[0] = 0
                started = time.perf_counter()
                body = await run(session, is_async)
                seconds[name].append(time.perf_counter() - started)
                counts[name] = statements[0]
            finally:
                await aw(session.close())
            items[name] = msgspec.json.decode(body)["items"]
        assert items["ours"] == items["hand"] == items["AA"] and len(items["ours"]) == PAGE
        assert all(len(order["lines"]) == LINES for order in items["ours"])
    sa.event.remove(sync_engine, "before_cursor_execute", count)
    if is_async:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.drop_all)
        await engine.dispose()
    else:
        Base.metadata.drop_all(engine)
        engine.dispose()
    figures = {name: (statistics.median(s) * 1e6, counts[name]) for name, s in seconds.items()}
    paired = [o / a for o, a in zip(seconds["ours"], seconds["AA"], strict=True)]
    return {**figures, "paired": (statistics.median(paired), 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=15)
    parser.add_argument("--backends", default="postgresql,sqlite,mariadb")
    args = parser.parse_args()
    print(
        "| driver | ours µs | hand µs | AA µs | ours/AA | statements ours/hand/AA "
        "| ours/AA per block |"
    )
    print("|---|---:|---:|---:|---:|---|---:|")
    with databases(args.backends.split(",")) as found:
        for backend, (sync_url, async_url) in found.items():
            for is_async in (False, True):
                engine = create_async_engine(async_url) if is_async else create_engine(sync_url)
                run = bench(engine, is_async, args.blocks)
                figures = asyncio.run(run) if is_async else run_sync(run)
                (o, on), (h, hn), (a, an) = (figures[k] for k in ("ours", "hand", "AA"))
                print(
                    f"| {LABELS[(backend, is_async)]} | {o:,.0f} | {h:,.0f} | {a:,.0f} "
                    f"| {o / a:.2f} | {on:.0f}/{hn:.0f}/{an:.0f} | {figures['paired'][0]:.2f} |"
                )


if __name__ == "__main__":
    main()
