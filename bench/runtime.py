"""Run-time cost of the generated repositories: ours vs hand-written SQLAlchemy vs Advanced Alchemy.

    .venv/bin/python bench/runtime.py            # or: make bench
    .venv/bin/python bench/runtime.py --blocks 9 --backends sqlite

Not a test: it prints figures. For each operation on SQLite (a file) and PostgreSQL (when
reachable at SUBLIMATE_TEST_PG_URL), sync, the three implementations run interleaved in one
process: every block runs each implementation's batch of the operation in a shuffled order, and
the figure is the median over blocks of the time per operation. "hand" is idiomatic SQLAlchemy 2
ORM code written inline, with the same statements ours sends (UPDATE/DELETE ... RETURNING,
INSERT ... ON CONFLICT, count(*) OVER ()), so ours/hand is the cost of the generated layer
itself. "AA" is Advanced Alchemy's SQLAlchemySyncRepository with its defaults. Statements per
operation are counted with a before_cursor_execute listener.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "generated_example"))

from advanced_alchemy.filters import LimitOffset, OrderBy
from advanced_alchemy.repository import SQLAlchemySyncRepository
from advanced_alchemy.service import SQLAlchemySyncRepositoryService
from shop.db import (
    ProductFilter,
    ProductOrder,
    ProductRead,
    ProductRepository,
    ProductService,
    ProductUpdate,
)
from shop.models import Base, Product
from sublimate_runtime import RangeFilter, create_engine

D = Decimal
PG_URL = os.environ.get(
    "SUBLIMATE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SEED = 2000  # rows in the table while reading, updating and deleting
IMPLEMENTATIONS = ("ours", "hand", "AA")


class AAProducts(SQLAlchemySyncRepository[Product]):
    model_type = Product


class AAProductService(SQLAlchemySyncRepositoryService[Product, AAProducts]):
    repository_type = AAProducts


@dataclass
class Counter:
    statements: int = 0

    def __call__(self, *args: Any) -> None:
        self.statements += 1


Op = Callable[[Session, int], object]  # (session, iteration number) -> anything


def new(sku: str) -> Product:
    return Product(sku=sku, name=f"Product {sku}", price=D("10.00"))


def upsert_hand(session: Session, sku: str, price: Decimal) -> Product:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(Product) if dialect == "postgresql" else sqlite.insert(Product)
    row = {"sku": sku, "name": f"Product {sku}", "price": price}
    statement = insert.values(row).on_conflict_do_update(
        index_elements=[Product.sku],
        set_={"name": insert.excluded.name, "price": insert.excluded.price},
    )
    return session.scalars(
        statement.returning(Product), execution_options={"populate_existing": True}
    ).one()


def operations(tag: str, ids: list[int]) -> dict[str, dict[str, Op]]:
    """{operation: {implementation: op}}; `tag` keeps the keys of one run apart."""

    def sku(i: int, what: str) -> str:
        return f"{tag}-{what}-{i}"

    page_where = Product.price >= D(5)
    ours_where = ProductFilter(price=RangeFilter(ge=D(5)))
    aa_order = [OrderBy("price", "desc"), OrderBy("id", "asc")]
    hand_order = (Product.price.desc(), Product.id.asc())

    def hand_list(session: Session, i: int) -> object:
        statement = sa.select(Product).where(page_where).order_by(*hand_order).limit(50)
        return session.scalars(statement.offset(i % 100)).all()

    def hand_list_and_count(session: Session, i: int) -> object:
        statement = sa.select(Product, sa.func.count().over()).where(page_where)
        rows = session.execute(statement.order_by(*hand_order).limit(50).offset(i % 100)).all()
        return [row[0] for row in rows], rows[0][1]

    def hand_update(session: Session, i: int) -> object:
        statement = (
            sa.update(Product)
            .where(Product.id == ids[i % len(ids)])
            .values(price=D(i % 1000))
            .returning(Product)
        )
        return session.scalars(statement, execution_options={"populate_existing": True}).one()

    def hand_delete(session: Session, i: int) -> object:
        statement = sa.delete(Product).where(Product.id == ids[i]).returning(Product)
        found = session.scalars(statement).one()
        session.expunge(found)
        return found

    def hand_add(session: Session, i: int) -> object:
        product = new(sku(i, "hand-add"))
        session.add(product)
        session.flush()
        return product

    def hand_add_many(session: Session, i: int) -> object:
        products = [new(sku(i * 1000 + j, "hand-many")) for j in range(1000)]
        session.add_all(products)
        session.flush()
        return products

    return {
        "add": {
            "ours": lambda s, i: ProductRepository(s).add(new(sku(i, "ours-add"))),
            "hand": hand_add,
            "AA": lambda s, i: AAProducts(session=s).add(new(sku(i, "aa-add"))),
        },
        "add_many(1,000)": {
            "ours": lambda s, i: ProductRepository(s).add_many(
                [new(sku(i * 1000 + j, "ours-many")) for j in range(1000)]
            ),
            "hand": hand_add_many,
            "AA": lambda s, i: AAProducts(session=s).add_many(
                [new(sku(i * 1000 + j, "aa-many")) for j in range(1000)]
            ),
        },
        "get": {
            "ours": lambda s, i: ProductRepository(s).get(ids[i % len(ids)]),
            "hand": lambda s, i: s.get(Product, ids[i % len(ids)]),
            "AA": lambda s, i: AAProducts(session=s).get(ids[i % len(ids)]),
        },
        "list(50)": {
            "ours": lambda s, i: ProductRepository(s).list(
                ours_where, order_by=ProductOrder.PRICE_DESC, limit=50, offset=i % 100
            ),
            "hand": hand_list,
            "AA": lambda s, i: AAProducts(session=s).get_many(
                page_where, *aa_order, LimitOffset(limit=50, offset=i % 100)
            ),
        },
        "list_and_count": {
            "ours": lambda s, i: ProductRepository(s).list_and_count(
                ours_where, order_by=ProductOrder.PRICE_DESC, limit=50, offset=i % 100
            ),
            "hand": hand_list_and_count,
            "AA": lambda s, i: AAProducts(session=s).list_and_count(
                page_where, *aa_order, LimitOffset(limit=50, offset=i % 100)
            ),
        },
        "update": {
            "ours": lambda s, i: ProductRepository(s).update(
                ids[i % len(ids)], ProductUpdate(price=D(i % 1000))
            ),
            "hand": hand_update,
            "AA": lambda s, i: AAProducts(session=s).update(
                Product(id=ids[i % len(ids)], price=D(i % 1000))
            ),
        },
        "upsert": {
            "ours": lambda s, i: ProductRepository(s).upsert(
                Product(sku=sku(i % 50, "up"), name=f"Product {i}", price=D(i % 1000)), on="sku"
            ),
            "hand": lambda s, i: upsert_hand(s, sku(i % 50, "up"), D(i % 1000)),
            "AA": lambda s, i: AAProducts(session=s).upsert(
                Product(sku=sku(i % 50, "up"), name=f"Product {i}", price=D(i % 1000)),
                match_fields="sku",
            ),
        },
        "delete": {
            "ours": lambda s, i: ProductRepository(s).delete(ids[i]),
            "hand": hand_delete,
            "AA": lambda s, i: AAProducts(session=s).delete(ids[i]),
        },
    }


BATCH = {"add_many(1,000)": 2}  # operations per implementation per block; default below
DEFAULT_BATCH = 40


@dataclass
class Figures:
    seconds: list[float]
    statements: float


def seed(engine: sa.Engine, count: int, tag: str) -> list[int]:
    with Session(engine) as session:
        products = [
            Product(sku=f"{tag}-seed-{i}", name=f"Seed {i}", price=D(i % 20)) for i in range(count)
        ]
        session.add_all(products)
        session.commit()
        return [p.id for p in products]


def measure(engine: sa.Engine, blocks: int) -> dict[str, dict[str, Figures]]:
    results: dict[str, dict[str, Figures]] = {}
    counter = Counter()
    sa.event.listen(engine, "before_cursor_execute", counter)
    names = list(operations("x", [1]))
    for name in names:
        results[name] = {impl: Figures([], 0.0) for impl in IMPLEMENTATIONS}
        batch = BATCH.get(name, DEFAULT_BATCH)
        for block in range(blocks):
            order = list(IMPLEMENTATIONS)
            random.Random(block).shuffle(order)
            for impl in order:
                tag = uuid.uuid4().hex[:8]
                ids = seed(engine, max(SEED, batch), tag) if name != "add_many(1,000)" else []
                op = operations(tag, ids)[name][impl]
                with Session(engine, expire_on_commit=False) as session:
                    session.connection()  # begin outside the timing
                    counter.statements = 0
                    started = time.perf_counter()
                    for i in range(batch):
                        op(session, i)
                    elapsed = time.perf_counter() - started
                    statements = counter.statements
                    session.commit()
                results[name][impl].seconds.append(elapsed / batch)
                results[name][impl].statements = statements / batch
                with engine.begin() as connection:  # every run starts on an empty table
                    connection.execute(sa.delete(Product))
    sa.event.remove(engine, "before_cursor_execute", counter)
    return results


def service_json(engine: sa.Engine, blocks: int) -> dict[str, Figures]:
    """A service page of 1,000 rows, serialised to JSON bytes with msgspec."""
    seed(engine, 1000, uuid.uuid4().hex[:8])
    figures = {impl: Figures([], 0.0) for impl in ("ours", "AA")}
    counter = Counter()
    sa.event.listen(engine, "before_cursor_execute", counter)

    def ours(session: Session) -> bytes:
        return msgspec.json.encode(ProductService(session).list(limit=1000))

    def aa(session: Session) -> bytes:
        service = AAProductService(session=session)
        page = LimitOffset(limit=1000, offset=0)
        items, total = service.list_and_count(OrderBy("id", "asc"), page)
        return msgspec.json.encode(
            service.to_schema(items, total, filters=[page], schema_type=ProductRead)
        )

    for block in range(blocks):
        order: list[tuple[str, Callable[[Session], bytes]]] = [("ours", ours), ("AA", aa)]
        random.Random(block).shuffle(order)
        for impl, run in order:
            with Session(engine, expire_on_commit=False) as session:
                session.connection()
                counter.statements = 0
                started = time.perf_counter()
                body = run(session)
                figures[impl].seconds.append(time.perf_counter() - started)
                figures[impl].statements = counter.statements
            assert body.count(b'"sku"') == 1000
    sa.event.remove(engine, "before_cursor_execute", counter)
    with engine.begin() as connection:
        connection.execute(sa.delete(Product))
    return figures


def us(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1e6


def report(backend: str, results: dict[str, dict[str, Figures]], json: dict[str, Figures]) -> None:
    print(f"\n{backend} (median of blocks; µs per operation; statements per operation)")
    print(
        "| operation | ours µs | hand µs | AA µs | ours/hand | ours/AA | statements ours/hand/AA |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, by_impl in results.items():
        ours, hand, aa = (us(by_impl[impl].seconds) for impl in IMPLEMENTATIONS)
        counts = "/".join(f"{by_impl[impl].statements:g}" for impl in IMPLEMENTATIONS)
        print(
            f"| {name} | {ours:,.0f} | {hand:,.0f} | {aa:,.0f} | {ours / hand:.2f} "
            f"| {ours / aa:.2f} | {counts} |"
        )
    ours_json, aa_json = us(json["ours"].seconds), us(json["AA"].seconds)
    print(
        f"| service list 1,000 rows -> JSON | {ours_json:,.0f} | - | {aa_json:,.0f} | - "
        f"| {ours_json / aa_json:.2f} | {json['ours'].statements:g}/-/{json['AA'].statements:g} |"
    )


@contextmanager
def engines(backends: list[str]) -> Iterator[list[tuple[str, sa.Engine]]]:
    found: list[tuple[str, sa.Engine]] = []
    cleanups: list[Callable[[], None]] = []
    with tempfile.TemporaryDirectory() as folder:
        if "sqlite" in backends:
            found.append(("SQLite (pysqlite, file)", create_engine(f"sqlite:///{folder}/b.db")))
        if "postgresql" in backends:
            admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            name = f"sublimate_bench_{uuid.uuid4().hex[:8]}"
            try:
                with admin.connect() as connection:
                    connection.execute(sa.text(f"CREATE DATABASE {name}"))
            except sa.exc.OperationalError as error:
                print(f"PostgreSQL skipped: {str(error).splitlines()[0]}")
            else:
                found.append(("PostgreSQL (psycopg)", create_engine(admin.url.set(database=name))))

                def drop(name: str = name) -> None:
                    with admin.connect() as connection:
                        connection.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))
                    admin.dispose()

                cleanups.append(drop)
        try:
            yield found
        finally:
            for _, engine in found:
                engine.dispose()
            for cleanup in cleanups:
                cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=7)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    with engines(args.backends.split(",")) as found:
        for backend, engine in found:
            Base.metadata.create_all(engine)
            results = measure(engine, args.blocks)
            json = service_json(engine, args.blocks)
            report(backend, results, json)


if __name__ == "__main__":
    main()
