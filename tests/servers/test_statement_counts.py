"""Statement economy: how many statements each repository operation sends, per dialect.

The expected counts are read from the README's "Statement economy" table, so the table cannot
drift from what the code does: every row is measured here on SQLite, PostgreSQL and MariaDB, sync
and async, and a row that no test measures fails `test_the_readme_table_lists_every_operation`.

Counted with a `before_cursor_execute` listener on the engine: every statement the driver
receives counts; an executemany counts once, as does each batch of insertmanyvalues; the driver's
own BEGIN/COMMIT (pysqlite, aiosqlite) never pass through it, and neither does the `SELECT
VERSION()` of a dialect's first connection (made before counting starts). Each measured call
starts with a clean session (committed, nothing pending), so autoflush adds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from behaviour._support import Db, at, aw, new_customer, new_product
from shop.db import (
    CustomerFilter,
    CustomerLoad,
    OrderLineLoad,
    ProductFilter,
    ProductOrder,
    ProductUpdate,
)
from shop.db.dtos.customer import CustomerReadWithOrders
from shop.db.dtos.order import OrderReadWithCustomer, OrderReadWithLines
from shop.db.dtos.order_line import OrderLineRead
from shop.models import Category, Customer, Order, OrderLine, Product, ProductStatus
from sqlalchemy.orm import Session
from sublimate_runtime import (
    EqFilter,
    RangeFilter,
    TextFilter,
    batch_sqlite_inserts,
    dialect_of,
)
from sublimate_runtime import create_engine as runtime_create_engine

D = Decimal
README = Path(__file__).resolve().parents[2] / "README.md"
COLUMNS = {"PostgreSQL": "postgresql", "SQLite": "sqlite", "MariaDB": "mariadb"}


def readme_table() -> dict[str, dict[str, int]]:
    """{operation: {dialect: statements}} from the README section "Statement economy"."""
    text = README.read_text(encoding="utf-8")
    section = text.partition("\n## Statement economy\n")[2].partition("\n## ")[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    assert len(lines) > 2, "README has no Statement economy table"
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    dialects = [COLUMNS[next(name for name in COLUMNS if name in cell)] for cell in header[1:]]
    table: dict[str, dict[str, int]] = {}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        counts = [int(re.match(r"\d+", cell).group()) for cell in cells[1:]]  # type: ignore[union-attr]
        table[cells[0]] = dict(zip(dialects, counts, strict=True))
    return table


TABLE = readme_table()


async def seed_products(db: Db, count: int = 20) -> list[Product]:
    products = [new_product(f"P-{i:03d}", price=D(i)) for i in range(count)]
    await db.seed(*products)
    await connect_first(db)
    return products


async def connect_first(db: Db) -> None:
    """Initialise the dialect (MariaDB's version check) before anything is counted."""
    if db.is_async:
        await db.session.connection()
    else:
        dialect_of(db.session)


Measure = Callable[[Db], Awaitable[int]]
MEASURES: dict[str, Measure] = {}


def measures(operation: str) -> Callable[[Measure], Measure]:
    def register(function: Measure) -> Measure:
        MEASURES[operation] = function
        return function

    return register


@measures("`add`")
async def _add(db: Db) -> int:
    await connect_first(db)
    repo = db.repo(Product)
    with db.count_statements() as statements:
        product = await aw(repo.add(new_product("NEW-1")))
    assert isinstance(product.id, int)
    assert product.status is ProductStatus.ACTIVE
    return len(statements)


@measures("`add` (server default read back)")
async def _add_with_server_default(db: Db) -> int:
    await connect_first(db)
    repo = db.repo(Customer)
    with db.count_statements() as statements:
        customer = await aw(repo.add(new_customer("Ann")))
    assert customer.created_at is not None  # came back in the same statement
    return len(statements)


@measures("`add_many`, 1,000 rows, key from the database")
async def _add_many_autoincrement(db: Db) -> int:
    await connect_first(db)
    repo = db.repo(Product)
    products = [new_product(f"BULK-{i:04d}") for i in range(1000)]
    with db.count_statements() as statements:
        added = await aw(repo.add_many(products))
    assert len({p.id for p in added}) == 1000
    await db.commit()
    stored = dict((await aw(db.session.execute(sa.select(Product.id, Product.sku)))).all())
    assert all(stored[p.id] == p.sku for p in added)  # every object got its own row's key
    return len(statements)


@measures("`add_many`, 1,000 rows, UUID key made in Python")
async def _add_many_uuid(db: Db) -> int:
    await connect_first(db)
    repo = db.repo(Customer)
    customers = [new_customer(f"Bulk {i:04d}") for i in range(1000)]
    with db.count_statements() as statements:
        added = await aw(repo.add_many(customers))
    assert all(c.created_at is not None for c in added)
    return len(statements)


@measures("`get`")
async def _get(db: Db) -> int:
    (product, *_) = await seed_products(db)
    product_id = product.id
    db.forget()
    with db.count_statements() as statements:
        found = await aw(db.repo(Product).get(product_id))
    assert found.sku == "P-000"
    return len(statements)


@measures("`get_by_<unique key>`")
async def _get_by_key(db: Db) -> int:
    await seed_products(db)
    db.forget()
    with db.count_statements() as statements:
        found = await aw(db.repo(Product).get_by_sku("P-003"))
    assert found is not None and found.price == D(3)
    return len(statements)


@measures("`list` (filter, order, limit)")
async def _list(db: Db) -> int:
    await seed_products(db)
    where = ProductFilter(price=RangeFilter(ge=D(5)))
    with db.count_statements() as statements:
        items = await aw(db.repo(Product).list(where, order_by=ProductOrder.PRICE_DESC, limit=3))
    assert [p.sku for p in items] == ["P-019", "P-018", "P-017"]
    return len(statements)


@measures("`list_and_count`")
async def _list_and_count(db: Db) -> int:
    await seed_products(db)
    where = ProductFilter(price=RangeFilter(ge=D(5)))
    with db.count_statements() as statements:
        items, total = await aw(db.repo(Product).list_and_count(where, limit=3, offset=2))
    assert (len(items), total) == (3, 15)
    return len(statements)


@measures("`list_and_count` past the last page")
async def _list_and_count_past_the_end(db: Db) -> int:
    await seed_products(db)
    with db.count_statements() as statements:
        items, total = await aw(db.repo(Product).list_and_count(limit=5, offset=100))
    assert (items, total) == ([], 20)
    return len(statements)


@measures("`count`")
async def _count(db: Db) -> int:
    await seed_products(db)
    with db.count_statements() as statements:
        total = await aw(db.repo(Product).count(ProductFilter(price=RangeFilter(ge=D(10)))))
    assert total == 10
    return len(statements)


@measures("`exists`")
async def _exists(db: Db) -> int:
    await seed_products(db)
    with db.count_statements() as statements:
        found = await aw(db.repo(Product).exists(ProductFilter(sku=TextFilter(eq="P-007"))))
    assert found is True
    assert "EXISTS" in statements[0].upper() and "COUNT" not in statements[0].upper()
    return len(statements)


@measures("`list_after` (a keyset page)")
async def _list_after(db: Db) -> int:
    await seed_products(db)
    repo = db.repo(Product)
    first = await aw(repo.list_after(None, limit=5))
    with db.count_statements() as statements:
        second = await aw(repo.list_after(first.next_cursor, limit=5))
    assert [p.sku for p in second.items] == [f"P-{i:03d}" for i in range(5, 10)]
    return len(statements)


@measures("`list_after` in any order (a nullable column), the next or the previous page")
async def _list_after_ordered(db: Db) -> int:
    weights = [None if i % 3 == 0 else float(i % 4) for i in range(10)]  # NULLs and ties
    await db.seed(*(new_product(f"W-{i}", weight=w) for i, w in enumerate(weights)))
    await connect_first(db)
    repo = db.repo(Product)
    order = ["-weight", "name"]
    first = await aw(repo.list_after(None, limit=3, order_by=order))
    with db.count_statements() as statements:
        second = await aw(repo.list_after(first.next_cursor, limit=3, order_by=order))
    with db.count_statements() as back:
        again = await aw(repo.list_after(second.prev_cursor, limit=3, order_by=order))
    assert again.items == first.items and len(second.items) == 3
    assert len(back) == len(statements)
    return len(statements)


@measures("`update`")
async def _update(db: Db) -> int:
    (product, *_) = await seed_products(db)
    repo = db.repo(Product)
    with db.count_statements() as statements:
        updated = await aw(repo.update(product.id, ProductUpdate(price=D("99.00"), name="New")))
    assert updated is product  # the identity map's object, refreshed
    assert (product.price, product.name) == (D("99.00"), "New")
    assert "SELECT" not in statements[0].upper().partition("RETURNING")[0]  # no SELECT first
    return len(statements)


@measures("`update_many`, 10 rows")
async def _update_many(db: Db) -> int:
    products = await seed_products(db)
    for product in products[:10]:
        product.price = D("1.50")
    db.forget()  # the objects carry their new values; the session holds nothing pending
    with db.count_statements() as statements:
        updated = await aw(db.repo(Product).update_many(products[:10]))
    assert [p.price for p in updated] == [D("1.50")] * 10
    return len(statements)


@measures("`upsert` that inserts")
async def _upsert_insert(db: Db) -> int:
    await seed_products(db)
    with db.count_statements() as statements:
        row = await aw(db.repo(Product).upsert(new_product("P-NEW", price=D("5.00")), on="sku"))
    assert isinstance(row.id, int) and row.price == D("5.00")
    return len(statements)


@measures("`upsert` that updates")
async def _upsert_update(db: Db) -> int:
    products = await seed_products(db)
    with db.count_statements() as statements:
        row = await aw(db.repo(Product).upsert(new_product("P-001", price=D("5.00")), on="sku"))
    assert (row.id, row.price) == (products[1].id, D("5.00"))
    return len(statements)


@measures("`upsert_many`, 1,000 rows")
async def _upsert_many(db: Db) -> int:
    await seed_products(db, 500)  # half of them update, half insert
    rows = [new_product(f"P-{i:03d}", price=D("7.00")) for i in range(250, 1250)]
    with db.count_statements() as statements:
        result = await aw(db.repo(Product).upsert_many(rows, on="sku"))
    assert [p.sku for p in result] == [f"P-{i:03d}" for i in range(250, 1250)]
    assert {p.price for p in result} == {D("7.00")}
    return len(statements)


@measures("`delete`")
async def _delete(db: Db) -> int:
    (product, *_) = await seed_products(db)
    with db.count_statements() as statements:
        deleted = await aw(db.repo(Product).delete(product.id))
    assert deleted.sku == "P-000"
    return len(statements)


@measures("`delete_many`, 10 keys")
async def _delete_many(db: Db) -> int:
    products = await seed_products(db)
    keys = [p.id for p in products[:10]]
    with db.count_statements() as statements:
        deleted = await aw(db.repo(Product).delete_many(keys))
    assert sorted(p.id for p in deleted) == sorted(keys)
    return len(statements)


@measures("`delete_where`")
async def _delete_where(db: Db) -> int:
    await db.seed(*(new_customer(f"C{i}") for i in range(10)))
    await connect_first(db)
    repo = db.repo(Customer)
    with db.count_statements() as statements:
        deleted = await aw(repo.delete_where(CustomerFilter(name=TextFilter(in_=["C1", "C2"]))))
    assert sorted(c.name for c in deleted) == ["C1", "C2"]
    return len(statements)


@measures("service `list` (a page and its total)")
async def _service_list(db: Db) -> int:
    await seed_products(db)
    service = db.service(Product)
    with db.count_statements() as statements:
        page = await aw(service.list(ProductFilter(is_featured=EqFilter(eq=False)), limit=5))
    assert (len(page.items), page.total) == (5, 20)
    return len(statements)


@measures("service `list_after` (a keyset page)")
async def _service_list_after(db: Db) -> int:
    await seed_products(db)
    service = db.service(Product)
    first = await aw(service.list_after(None, limit=5))
    with db.count_statements() as statements:
        second = await aw(service.list_after(first.next_cursor, limit=5))
    assert [p.sku for p in second.items] == [f"P-{i:03d}" for i in range(5, 10)]
    return len(statements)


async def seed_orders(db: Db) -> Customer:
    """Two customers; the first with 2 orders of 3 lines each (`load=` measures)."""
    products = await seed_products(db, 3)
    ann, bob = new_customer("Ann"), new_customer("Bob")
    lines = [(i, p) for i, p in enumerate(products)]
    orders = [
        Order(customer=ann, placed_at=at(2024, 5, 1), total=D(1), lines=[
            OrderLine(line_no=i, product=p, quantity=1, unit_price=D(1)) for i, p in lines
        ])
        for _ in range(2)
    ]  # fmt: skip
    await db.seed(ann, bob, *orders)
    db.forget()
    return ann


@measures("`get` with `load=` a to-one path (joined)")
async def _get_load_to_one(db: Db) -> int:
    ann = await seed_orders(db)
    order_id = ann.orders[0].id
    load = [OrderLineLoad.ORDER, OrderLineLoad.PRODUCT]
    with db.count_statements() as statements:
        line = await aw(db.repo(OrderLine).get(order_id, 2, load=load))
    assert line.order.id == order_id and line.product.sku == "P-002"
    return len(statements)


@measures("`list` with `load=` a to-many path")
async def _list_load_to_many(db: Db) -> int:
    await seed_orders(db)
    with db.count_statements() as statements:
        customers = await aw(db.repo(Customer).list(load=CustomerLoad.ORDERS))
    assert sorted(len(c.orders) for c in customers) == [0, 2]
    return len(statements)


@measures("`get` with `load=` two levels (customer, orders, lines)")
async def _get_load_two_levels(db: Db) -> int:
    ann = await seed_orders(db)
    with db.count_statements() as statements:
        found = await aw(db.repo(Customer).get(ann.id, load=CustomerLoad.ORDERS__LINES))
    assert [len(order.lines) for order in found.orders] == [3, 3]
    return len(statements)


@measures("service `get_with` a nested Read DTO of a to-many (order with its lines)")
async def _service_get_with(db: Db) -> int:
    ann = await seed_orders(db)
    order_id = ann.orders[0].id
    with db.count_statements() as statements:
        order = await aw(db.service(Order).get_with(OrderReadWithLines, order_id))
    assert [line.line_no for line in order.lines] == [0, 1, 2]
    return len(statements)


@measures("service `list_with` a nested Read DTO (a page with its total, customers' orders)")
async def _service_list_with(db: Db) -> int:
    await seed_orders(db)
    with db.count_statements() as statements:
        page = await aw(db.service(Customer).list_with(CustomerReadWithOrders, limit=5))
    assert page.total == 2 and sorted(len(c.orders) for c in page.items) == [0, 2]
    return len(statements)


@measures("service `list_after_with` two relationships (orders, their customer and lines)")
async def _service_list_after_with(db: Db) -> int:
    await seed_orders(db)
    shape = msgspec.defstruct(
        "OrderWithBoth",
        [("lines", list[OrderLineRead])],
        bases=(OrderReadWithCustomer,),
        kw_only=True,
    )
    with db.count_statements() as statements:
        page = await aw(db.service(Order).list_after_with(shape, None, 5))
    assert [len(order.lines) for order in page.items] == [3, 3]
    return len(statements)


def test_the_readme_table_lists_every_operation() -> None:
    assert set(TABLE) == set(MEASURES)


@pytest.mark.parametrize("operation", list(MEASURES))
async def test_statement_count(db: Db, operation: str) -> None:
    measured = await MEASURES[operation](db)
    expected = TABLE[operation][db.dialect]
    assert measured == expected, f"{operation} on {db.kind}: {measured} statements"


def test_a_plain_sqlite_engine_inserts_database_keyed_rows_one_by_one(tmp_path: Path) -> None:
    """Why the runtime's engine calls batch_sqlite_inserts: the README's footnote on SQLite."""
    url = f"sqlite+pysqlite:///{tmp_path / 'plain.sqlite3'}"
    counts = {}
    for name, engine in (
        ("plain", sa.create_engine(url)),
        ("runtime", runtime_create_engine(url)),
        ("batched", batch_sqlite_inserts(sa.create_engine(url))),
    ):
        Category.metadata.create_all(engine)
        statements: list[str] = []

        def record(*args: Any, sink: list[str] = statements) -> None:
            sink.append(args[2])

        sa.event.listen(engine, "before_cursor_execute", record)
        with Session(engine) as session:
            session.add_all([Category(name=f"{name}-{i}") for i in range(100)])
            session.flush()
            session.commit()
        counts[name] = len(statements)
        engine.dispose()
    assert counts == {"plain": 100, "runtime": 1, "batched": 1}
