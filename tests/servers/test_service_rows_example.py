"""The generated services' row path (`list`, `list_after`) on the example shop, on SQLite,
PostgreSQL and MariaDB, sync and async: the same pages as through ORM objects.

The repository path is the same service class with `_rows = None`. What the row path may not
take (a cached model, a user `_read`, ...) is tests/runtime/test_service_rows.py's.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from behaviour._support import SERVICES, Db, at, aw, new_customer, new_product
from shop.db import CustomerOrder, ProductFilter, ProductOrder
from shop.models import Customer, Order, OrderLine, Product, ProductStatus
from sublimate_runtime import RangeFilter

D = Decimal


async def seed(db: Db) -> None:
    customers = [
        new_customer(f"C{i}", birthday=None if i % 3 else datetime.date(1990, 1, 1 + i))
        for i in range(6)
    ]
    products = [
        new_product(
            f"P-{i:02d}",
            price=D(i % 4) + D("0.50"),
            status=ProductStatus.RETIRED if i % 5 == 0 else ProductStatus.ACTIVE,
            attributes={"i": i, "tags": ["x"]},
            weight=None if i % 3 == 0 else i / 2,
            is_featured=i % 2 == 0,
            warranty=None if i % 4 else datetime.timedelta(days=i),
            thumbnail=None if i % 2 else bytes([i, 1]),
        )
        for i in range(25)
    ]
    await db.seed(*customers, *products)
    orders = [
        Order(customer_id=customers[i % 6].id, placed_at=at(2024, 1, 1 + i), total=D(i))
        for i in range(4)
    ]
    await db.seed(*orders)
    lines = [
        OrderLine(
            order_id=orders[i % 4].id,
            line_no=i,
            product_id=products[i].id,
            quantity=i + 1,
            unit_price=D("1.25"),
        )
        for i in range(10)
    ]
    await db.seed(*lines)
    db.forget()


def both(db: Db, model: type[Any]) -> tuple[Any, Any]:
    """(row path, repository path) services of ``model`` on the test's session."""
    service = db.service(model)
    orm = type(f"Orm{type(service).__name__}", (type(service),), {"_rows": None})
    return service, orm(db.session)


PAGES: dict[type[Any], list[dict[str, Any]]] = {
    Product: [
        {"limit": 10, "offset": 5},
        {
            "where": ProductFilter(price=RangeFilter(ge=D(1))),
            "order_by": [ProductOrder.WEIGHT_DESC, ProductOrder.NAME],
            "limit": 6,
            "offset": 2,
        },
        {"limit": 5, "offset": 40},
    ],
    Customer: [{"order_by": CustomerOrder.BIRTHDAY, "limit": 4}],
    Order: [{"limit": 10}],
    OrderLine: [{"limit": 3, "offset": 4}],
}


@pytest.mark.parametrize("model", list(PAGES), ids=lambda model: model.__name__)
async def test_generated_services_read_pages_from_rows(db: Db, model: type[Any]) -> None:
    await seed(db)
    service, orm = both(db, model)
    assert service._rows is not None and service._rows.plan is not None
    for page in PAGES[model]:
        found = await aw(service.list(**page))
        assert found == await aw(orm.list(**page)), page
    where, order_by = PAGES[model][-1].get("where"), PAGES[model][-1].get("order_by")
    cursor = None
    for _ in range(20):
        found = await aw(service.list_after(cursor, 4, where=where, order_by=order_by))
        expected = await aw(orm.list_after(cursor, 4, where=where, order_by=order_by))
        assert found == expected
        if found.prev_cursor is not None:  # walking back gives the previous page again
            back = await aw(service.list_after(found.prev_cursor, 4, order_by=order_by))
            assert back == await aw(orm.list_after(found.prev_cursor, 4, order_by=order_by))
        if found.next_cursor is None:
            break
        cursor = found.next_cursor
    else:
        pytest.fail("list_after never reached the end")


def test_every_generated_service_takes_the_row_path() -> None:
    """The example's services, generated and user (custom/), none cached: all on rows."""
    checked = set()
    for sync, asyncio in SERVICES.values():
        for exported in (sync, asyncio):
            # a user module's subclass (Customer's), and the generated class it extends
            generated = exported.__module__.startswith("shop.db.custom.")
            for service in (exported, exported.__mro__[1]) if generated else (exported,):
                assert service._rows is not None, service
                checked.add(service.__module__.split(".")[2])
    assert checked == {"custom", "services"}
