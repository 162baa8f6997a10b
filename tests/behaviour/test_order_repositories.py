"""Order (UUID foreign key, Time column) and OrderLine (composite primary key)."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from shop.db import (
    OrderFilter,
    OrderLineFilter,
    OrderLineOrder,
    OrderLineUpdate,
    OrderOrder,
    OrderUpdate,
)
from shop.models import Customer, Order, OrderLine, Product
from sublimate_runtime import (
    ConflictError,
    EqFilter,
    ForeignKeyError,
    NotFoundError,
    RangeFilter,
    TextFilter,
)

from ._support import Db, at, aw, keys, new_customer, new_product, utc, walk_keyset

D = Decimal


async def seed_shop(db: Db) -> tuple[Customer, Customer, list[Product]]:
    ann, bob = await db.seed(new_customer("Ann"), new_customer("Bob"))
    products = await db.seed(
        new_product("TEE", price=D("19.99")),
        new_product("MUG", price=D("9.99")),
        new_product("CAP", price=D("12.00")),
    )
    return ann, bob, products


async def seed_orders(db: Db) -> tuple[Customer, Customer, list[Product], list[Order]]:
    ann, bob, products = await seed_shop(db)
    orders = await db.seed(
        Order(customer_id=ann.id, placed_at=at(2024, 1, 5), total=D("29.98")),
        Order(customer_id=ann.id, placed_at=at(2024, 2, 5), total=D("12.00"), status="paid"),
        Order(customer_id=bob.id, placed_at=at(2024, 3, 5), total=D("59.97"), status="shipped"),
    )
    return ann, bob, products, orders


def line(order: Order, line_no: int, product: Product, quantity: int = 1) -> OrderLine:
    return OrderLine(
        order_id=order.id,
        line_no=line_no,
        product_id=product.id,
        quantity=quantity,
        unit_price=product.price,
    )


# --- Order --------------------------------------------------------------------------------


async def test_order_add_round_trips_and_defaults(db: Db) -> None:
    ann, _, _ = await seed_shop(db)
    repo = db.repo(Order)
    order = await aw(
        repo.add(
            Order(
                customer_id=ann.id,
                placed_at=at(2024, 6, 1, 15),
                total=D("123.45"),
                delivery_window=datetime.time(9, 30),
            )
        )
    )
    assert isinstance(order.id, int)
    assert order.status == "new"  # model default
    await db.commit()
    db.forget()
    loaded = await aw(repo.get(order.id))
    assert loaded.customer_id == ann.id and isinstance(loaded.customer_id, uuid.UUID)
    assert utc(loaded.placed_at) == at(2024, 6, 1, 15)
    assert loaded.total == D("123.45")
    assert loaded.delivery_window == datetime.time(9, 30)


async def test_order_for_an_unknown_customer_is_a_foreign_key_error(db: Db) -> None:
    ann, _, _ = await seed_shop(db)
    ann_id = ann.id
    repo = db.repo(Order)
    with pytest.raises(ForeignKeyError):
        await aw(repo.add(Order(customer_id=uuid.uuid4(), placed_at=at(2024, 1, 1), total=1)))
    assert await aw(repo.count()) == 0
    ok = await aw(repo.add(Order(customer_id=ann_id, placed_at=at(2024, 1, 1), total=1)))
    await db.commit()
    assert await db.column(Order.id) == [ok.id]


async def test_order_filters_and_ordering(db: Db) -> None:
    ann, bob, _, orders = await seed_orders(db)
    repo = db.repo(Order)
    newest_first = await aw(repo.list(order_by=OrderOrder.PLACED_AT_DESC))
    assert keys(newest_first, "id") == [o.id for o in reversed(orders)]
    of_ann = await aw(repo.list(OrderFilter(customer_id=EqFilter(eq=ann.id))))
    assert keys(of_ann, "id") == [orders[0].id, orders[1].id]
    new = await aw(repo.list(OrderFilter(status=TextFilter(eq="new"))))
    assert keys(new, "id") == [orders[0].id]
    big = OrderFilter(total=RangeFilter(gt=D("20")))
    assert keys(await aw(repo.list(big, order_by=OrderOrder.TOTAL_DESC)), "id") == [
        orders[2].id,
        orders[0].id,
    ]
    february_on = OrderFilter(placed_at=RangeFilter(ge=at(2024, 2, 1)), status=TextFilter(ne="x"))
    items, total = await aw(repo.list_and_count(february_on, order_by=OrderOrder.PLACED_AT))
    assert (keys(items, "id"), total) == ([orders[1].id, orders[2].id], 2)
    assert await aw(repo.exists(OrderFilter(customer_id=EqFilter(in_=[bob.id])))) is True
    assert await aw(repo.get_one_or_none(Order.total == D("12.00"))) is not None


async def test_order_update_changes_only_the_status(db: Db) -> None:
    _, _, _, orders = await seed_orders(db)
    first = orders[0]
    updated = await aw(db.repo(Order).update(first.id, OrderUpdate(status="paid")))
    assert (updated.status, updated.total) == ("paid", D("29.98"))
    assert utc(updated.placed_at) == at(2024, 1, 5)
    with pytest.raises(NotFoundError):
        await aw(db.repo(Order).update(999, OrderUpdate(status="paid")))


async def test_order_upsert_on_the_primary_key(db: Db) -> None:
    ann, _, _, orders = await seed_orders(db)
    repo = db.repo(Order)
    replaced = await aw(
        repo.upsert(
            Order(
                id=orders[0].id,
                customer_id=ann.id,
                placed_at=at(2024, 1, 5),
                total=D("30.00"),
                status="paid",
            )
        )
    )
    assert (replaced.id, replaced.total, replaced.status) == (orders[0].id, D("30.00"), "paid")
    fresh = await aw(
        repo.upsert(Order(id=500, customer_id=ann.id, placed_at=at(2024, 5, 5), total=D("1.00")))
    )
    assert fresh.id == 500
    await db.commit()
    assert await db.rows(Order) == 4
    many = await aw(
        repo.upsert_many(
            [
                Order(id=500, customer_id=ann.id, placed_at=at(2024, 5, 5), total=D("2.00")),
                Order(id=501, customer_id=ann.id, placed_at=at(2024, 5, 6), total=D("3.00")),
            ]
        )
    )
    assert sorted(keys(many, "id", "total")) == [(500, D("2.00")), (501, D("3.00"))]


async def test_order_delete_cascades_to_its_lines(db: Db) -> None:
    _, _, products, orders = await seed_orders(db)
    await db.seed(line(orders[0], 1, products[0]), line(orders[0], 2, products[1]))
    await db.seed(line(orders[1], 1, products[2]))
    repo = db.repo(Order)
    deleted = await aw(repo.delete(orders[0].id))
    assert deleted.total == D("29.98")
    await db.commit()
    assert await db.column(OrderLine.order_id) == [orders[1].id]
    gone = await aw(repo.delete_many([orders[1].id, orders[2].id]))
    assert sorted(keys(gone, "id")) == [orders[1].id, orders[2].id]
    assert await aw(repo.delete_where(Order.id > 0)) == []
    assert await db.rows(OrderLine) == 0


async def test_order_update_many_and_list_after(db: Db) -> None:
    _, _, _, orders = await seed_orders(db)
    repo = db.repo(Order)
    db.forget()
    for order in orders:
        order.status = "archived"
    updated = await aw(repo.update_many(orders))
    assert {o.status for o in updated} == {"archived"}
    await db.commit()
    assert await db.column(Order.status) == ["archived"] * 3
    items, _ = await walk_keyset(repo, limit=2, where=OrderFilter(status=TextFilter(eq="archived")))
    assert keys(items, "id") == [o.id for o in orders]


# --- OrderLine (composite key) ------------------------------------------------------------


async def test_order_line_get_by_composite_key(db: Db) -> None:
    _, _, (tee, mug, _), orders = await seed_orders(db)
    repo = db.repo(OrderLine)
    added = await aw(repo.add_many([line(orders[0], 1, tee, 2), line(orders[0], 2, mug)]))
    assert keys(added, "order_id", "line_no") == [(orders[0].id, 1), (orders[0].id, 2)]
    first_id, second_id, mug_id = orders[0].id, orders[1].id, mug.id
    await db.commit()
    db.forget()
    second = await aw(repo.get(first_id, 2))
    assert (second.product_id, second.quantity, second.unit_price) == (mug_id, 1, D("9.99"))
    with pytest.raises(NotFoundError):
        await aw(repo.get(first_id, 3))
    with pytest.raises(NotFoundError):
        await aw(repo.get(second_id, 1))


async def test_order_line_duplicate_key_and_unknown_product(db: Db) -> None:
    _, _, (tee, _, _), orders = await seed_orders(db)
    order_id, tee_id = orders[0].id, tee.id
    await db.seed(line(orders[0], 1, tee))
    db.forget()  # a new request: the identity map does not know the existing line
    repo = db.repo(OrderLine)
    with pytest.raises(ConflictError) as caught:
        await aw(
            repo.add(
                OrderLine(order_id=order_id, line_no=1, product_id=tee_id, quantity=1, unit_price=1)
            )
        )
    assert caught.value.columns == ("order_id", "line_no")
    with pytest.raises(ForeignKeyError):
        await aw(
            repo.add(
                OrderLine(order_id=order_id, line_no=2, product_id=9999, quantity=1, unit_price=1)
            )
        )
    with pytest.raises(ForeignKeyError):
        await aw(
            repo.add(
                OrderLine(order_id=9999, line_no=1, product_id=tee_id, quantity=1, unit_price=1)
            )
        )
    assert await db.rows(OrderLine) == 1


async def test_order_line_update_touches_one_row_and_one_field(db: Db) -> None:
    _, _, (tee, mug, _), orders = await seed_orders(db)
    await db.seed(line(orders[0], 1, tee), line(orders[0], 2, mug), line(orders[1], 1, tee))
    repo = db.repo(OrderLine)
    updated = await aw(repo.update(orders[0].id, 1, OrderLineUpdate(quantity=5)))
    assert (updated.order_id, updated.line_no, updated.quantity) == (orders[0].id, 1, 5)
    assert updated.unit_price == D("19.99")
    await db.commit()
    assert await db.column(OrderLine.quantity) == [5, 1, 1]
    with pytest.raises(NotFoundError):
        await aw(repo.update(orders[2].id, 1, OrderLineUpdate(quantity=1)))


async def test_order_line_delete_and_delete_many_by_composite_key(db: Db) -> None:
    _, _, (tee, mug, cap), orders = await seed_orders(db)
    await db.seed(*(line(orders[0], n, p) for n, p in enumerate([tee, mug, cap, tee], start=1)))
    first_id, tee_id, mug_id = orders[0].id, tee.id, mug.id
    repo = db.repo(OrderLine)
    deleted = await aw(repo.delete(first_id, 2))
    assert (deleted.order_id, deleted.line_no, deleted.product_id) == (first_id, 2, mug_id)
    with pytest.raises(NotFoundError):
        await aw(repo.delete(first_id, 2))
    gone = await aw(repo.delete_many([(first_id, 1), (first_id, 3)]))
    assert sorted(keys(gone, "order_id", "line_no")) == [(first_id, 1), (first_id, 3)]
    await db.commit()
    assert await db.column(OrderLine.line_no) == [4]
    left = await aw(repo.delete_where(OrderLineFilter(product_id=RangeFilter(eq=tee_id))))
    assert keys(left, "line_no") == [4]


async def test_order_line_list_count_and_order(db: Db) -> None:
    _, _, (tee, mug, cap), orders = await seed_orders(db)
    await db.seed(
        line(orders[0], 1, tee, 3),
        line(orders[0], 2, mug, 1),
        line(orders[0], 3, cap, 2),
        line(orders[1], 1, cap, 1),
    )
    repo = db.repo(OrderLine)
    of_first = OrderLineFilter(order_id=RangeFilter(eq=orders[0].id))
    assert keys(await aw(repo.list(of_first, order_by=OrderLineOrder.LINE_NO_DESC)), "line_no") == [
        3,
        2,
        1,
    ]
    by_quantity = await aw(repo.list(order_by=[OrderLineOrder.QUANTITY_DESC]))
    assert keys(by_quantity, "order_id", "line_no") == [
        (orders[0].id, 1),
        (orders[0].id, 3),
        (orders[0].id, 2),  # quantity 1: key order breaks the tie
        (orders[1].id, 1),
    ]
    items, total = await aw(repo.list_and_count(of_first, limit=1))
    assert (keys(items, "line_no"), total) == ([1], 3)
    assert await aw(repo.count(OrderLineFilter(quantity=RangeFilter(ge=2)))) == 2
    assert await aw(repo.exists(OrderLineFilter(order_id=RangeFilter(eq=orders[2].id)))) is False
    one = await aw(repo.get_one_or_none(OrderLine.quantity == 3))
    assert one is not None and (one.order_id, one.line_no) == (orders[0].id, 1)


async def test_order_line_upsert_update_many_and_list_after(db: Db) -> None:
    _, _, (tee, mug, cap), orders = await seed_orders(db)
    repo = db.repo(OrderLine)
    inserted = await aw(repo.upsert(line(orders[0], 1, tee, 1)))
    assert inserted.quantity == 1
    await db.commit()
    db.forget()
    replaced = await aw(repo.upsert(line(orders[0], 1, mug, 4)))
    assert (replaced.product_id, replaced.quantity) == (mug.id, 4)
    batch = [line(order, n, cap) for order in orders for n in range(1, 8)]
    upserted = await aw(repo.upsert_many(batch))
    assert len(upserted) == 21
    await db.commit()
    assert await db.rows(OrderLine) == 21
    db.forget()
    some = batch[:3]
    for item in some:
        item.quantity = 9
    assert len(await aw(repo.update_many(some))) == 3
    await db.commit()
    assert await db.column(OrderLine.quantity, OrderLine.quantity == 9) == [9, 9, 9]
    items, pages = await walk_keyset(repo, limit=4)
    pairs = keys(items, "order_id", "line_no")
    assert pairs == sorted(pairs)
    assert len(pairs) == 21 == len(set(pairs))
    assert pages in (6, 7)
