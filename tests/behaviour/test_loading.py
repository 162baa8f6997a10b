"""`load=`: related rows loaded with a read, one statement per level; anything else raises.

Runs on every engine kind of the behaviour suite (SQLite, PostgreSQL, MariaDB; sync and async).
Statements are counted with the engine listener of `Db.count_statements`; each read starts from
an empty identity map unless the test is about the identity map.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from shop.db import (
    CategoryLoad,
    CustomerFilter,
    CustomerLoad,
    OrderLineLoad,
    OrderLoad,
    ProductLoad,
)
from shop.models import Category, Customer, Order, OrderLine, Product, Tag
from sublimate_runtime import EqFilter, NotLoadedError, UnknownLoadError

from ._support import Db, aw, new_customer, new_product

D = Decimal
AT = datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.UTC)


async def seed_shop(db: Db) -> dict[str, Any]:
    """Two customers (Ann: two orders of two lines each; Bob: none), three products, tags."""
    tags = [Tag(id=1, name="red"), Tag(id=2, name="blue")]
    root = Category(name="root")
    child = Category(name="child", parent=root)
    products = [new_product(f"P-{i}", category=child, tags=tags[: i + 1]) for i in range(2)]
    ann, bob = new_customer("Ann"), new_customer("Bob")
    orders = [
        Order(customer=ann, placed_at=AT, total=D(n), lines=[
            OrderLine(line_no=i, product=products[i], quantity=i + 1, unit_price=D(1))
            for i in range(2)
        ])
        for n in (10, 20)
    ]  # fmt: skip
    await db.seed(*tags, root, child, *products, ann, bob, *orders)
    await aw(db.session.connection())  # MariaDB's version check, before anything is counted
    ids = {
        "ann": ann.id,
        "bob": bob.id,
        "order": orders[0].id,
        "product": products[0].id,
        "child": child.id,
    }
    db.forget()
    return ids


def _raises_lazy(instance: Any, attr: str, owner: str) -> str:
    """Reading `attr` raises our error naming `Owner.attr` and the load= to pass (before any
    I/O: an AsyncSession never gets to MissingGreenlet); its message, for the exact ones."""
    with pytest.raises(NotLoadedError, match=rf"^{owner}\.{attr} was not loaded: ") as raised:
        getattr(instance, attr)
    assert isinstance(raised.value, sa.exc.InvalidRequestError)  # what SQLAlchemy's raise is
    return str(raised.value)


async def test_get_loads_two_levels_in_three_statements(db: Db) -> None:
    ids = await seed_shop(db)
    with db.count_statements() as statements:
        ann = await aw(db.repo(Customer).get(ids["ann"], load=CustomerLoad.ORDERS__LINES))
    assert len(statements) == 3  # customer, its orders, their lines
    assert sorted(order.total for order in ann.orders) == [D(10), D(20)]
    assert [line.quantity for line in ann.orders[0].lines] == [1, 2]
    with db.count_statements() as statements:
        assert all(order.customer is ann for order in ann.orders)  # from the identity map
        _raises_lazy(ann.orders[0].lines[0], "product", "OrderLine")
    assert statements == []


async def test_a_relationship_not_asked_for_raises_on_access(db: Db) -> None:
    ids = await seed_shop(db)
    ann = await aw(db.repo(Customer).get(ids["ann"]))
    _raises_lazy(ann, "orders", "Customer")
    db.forget()
    (found,) = await aw(db.repo(Customer).list(CustomerFilter(name=EqFilter(eq="Ann"))))
    _raises_lazy(found, "orders", "Customer")
    db.forget()
    line = await aw(db.repo(OrderLine).get(ids["order"], 0))
    _raises_lazy(line, "order", "OrderLine")  # a many-to-one the session does not hold


async def test_the_error_names_the_load_to_pass(db: Db) -> None:
    """From the read that loaded the instance: its own enum's member, the path through the root
    read's enum, or past that enum's depth the related model's own read."""
    ids = await seed_shop(db)
    ann = await aw(db.repo(Customer).get(ids["ann"]))
    assert _raises_lazy(ann, "orders", "Customer") == (
        "Customer.orders was not loaded: pass load=CustomerLoad.ORDERS"
    )
    db.forget()
    order = await aw(db.repo(Order).get(ids["order"], load=OrderLoad.LINES))
    assert _raises_lazy(order.lines[0], "product", "OrderLine") == (
        "OrderLine.product was not loaded: pass load=OrderLoad.LINES__PRODUCT to the Order read"
    )
    db.forget()
    ann = await aw(db.repo(Customer).get(ids["ann"], load=CustomerLoad.ORDERS__LINES))
    assert _raises_lazy(ann.orders[0].lines[0], "product", "OrderLine") == (
        "OrderLine.product was not loaded: 'orders.lines.product' is deeper than a Customer read"
        " loads: read OrderLine with load=OrderLineLoad.PRODUCT"
    )


async def test_list_loads_a_collection_in_one_more_statement(db: Db) -> None:
    await seed_shop(db)
    with db.count_statements() as statements:
        customers = await aw(db.repo(Customer).list(load=CustomerLoad.ORDERS))
    assert len(statements) == 2
    assert {c.name: len(c.orders) for c in customers} == {"Ann": 2, "Bob": 0}
    db.forget()
    with db.count_statements() as statements:
        page, total = await aw(
            db.repo(Customer).list_and_count(limit=1, load=[CustomerLoad.ORDERS])
        )
    assert len(statements) == 2 and total == 2
    assert [len(c.orders) for c in page] == [2 if page[0].name == "Ann" else 0]


async def test_a_keyset_page_loads_like_list(db: Db) -> None:
    await seed_shop(db)
    with db.count_statements() as statements:
        page = await aw(db.repo(Customer).list_after(None, 5, load=CustomerLoad.ORDERS__LINES))
    assert len(statements) == 3
    assert sorted(sum(len(o.lines) for o in c.orders) for c in page.items) == [0, 4]


async def test_to_one_paths_are_joined_into_the_statement(db: Db) -> None:
    ids = await seed_shop(db)
    load = [OrderLineLoad.ORDER, OrderLineLoad.PRODUCT__CATEGORY]
    with db.count_statements() as statements:
        line = await aw(db.repo(OrderLine).get(ids["order"], 1, load=load))
    assert len(statements) == 1
    assert line.order.total == D(10)
    assert line.product.sku == "P-1" and line.product.category.name == "child"
    _raises_lazy(line.product, "tags", "Product")
    _raises_lazy(line.order, "lines", "Order")


async def test_a_collection_then_a_to_one_is_two_statements(db: Db) -> None:
    ids = await seed_shop(db)
    with db.count_statements() as statements:
        order = await aw(db.repo(Order).get(ids["order"], load=OrderLoad.LINES__PRODUCT))
    assert len(statements) == 2
    assert [line.product.sku for line in order.lines] == ["P-0", "P-1"]


async def test_many_to_many_and_self_references(db: Db) -> None:
    ids = await seed_shop(db)
    with db.count_statements() as statements:
        product = await aw(db.repo(Product).get_by_sku("P-1", load=ProductLoad.TAGS))
    assert product is not None and len(statements) == 2
    assert sorted(tag.name for tag in product.tags) == ["blue", "red"]
    db.forget()
    with db.count_statements() as statements:
        child = await aw(db.repo(Category).get(ids["child"], load=CategoryLoad.PARENT__CHILDREN))
    assert len(statements) == 2  # child joined to its parent, then the parent's children
    assert [c.name for c in child.parent.children] == ["child"]
    _raises_lazy(child.parent, "products", "Category")


async def test_get_one_or_none_and_get_by_take_load(db: Db) -> None:
    await seed_shop(db)
    with db.count_statements() as statements:
        ann = await aw(db.repo(Customer).get_by_email("ann@example.com", load=CustomerLoad.ORDERS))
    assert ann is not None and len(ann.orders) == 2 and len(statements) == 2
    db.forget()
    where = CustomerFilter(name=EqFilter(eq="Bob"))
    bob = await aw(db.repo(Customer).get_one_or_none(where, load=CustomerLoad.ORDERS))
    assert bob is not None and bob.orders == []


async def test_the_identity_map_does_not_hide_a_missing_load(db: Db) -> None:
    """An instance already in the session without its orders: `get(load=...)` still loads them
    (Session.get would return it as it is, without a statement)."""
    ids = await seed_shop(db)
    held = await aw(db.repo(Customer).get(ids["ann"]))
    with db.count_statements() as statements:
        again = await aw(db.repo(Customer).get(ids["ann"]))
    assert again is held and statements == []  # no load: the identity map answers
    with db.count_statements() as statements:
        loaded = await aw(db.repo(Customer).get(ids["ann"], load=CustomerLoad.ORDERS__LINES))
    assert loaded is held and len(statements) == 3
    assert sum(len(order.lines) for order in loaded.orders) == 4


async def test_an_unknown_path_is_a_clear_error(db: Db) -> None:
    await seed_shop(db)
    repo = db.repo(Customer)
    for path, name in (("nope", "nope"), ("orders.__class__", "__class__"), ("orders.", "")):
        with pytest.raises(
            UnknownLoadError, match=re.escape(f"{name!r} is not one of its relationships")
        ):
            await aw(repo.list(load=path))
    with pytest.raises(ValueError, match=r"cannot load 'orders\.lines\.x' of Customer"):
        await aw(repo.get_by_email("ann@example.com", load=["orders.lines.x"]))


async def test_the_unit_of_work_still_writes_relationships(db: Db) -> None:
    """What the raise must not break: assigning a many-to-one on an instance read without
    loads, and a flush that cascades; appending to a collection needs that collection loaded."""
    ids = await seed_shop(db)
    order = await aw(db.repo(Order).get(ids["order"]))
    bob = await aw(db.repo(Customer).get(ids["bob"]))
    order.customer = bob
    await aw(db.session.flush())
    _raises_lazy(order, "lines", "Order")
    await db.commit()
    db.forget()
    bob = await aw(db.repo(Customer).get(ids["bob"], load=CustomerLoad.ORDERS__LINES))
    assert [o.id for o in bob.orders] == [ids["order"]]
    bob.orders[0].lines.append(
        OrderLine(line_no=7, product_id=ids["product"], quantity=1, unit_price=D(1))
    )
    await db.commit()
    assert await db.rows(OrderLine) == 5
    db.forget()
    order = await aw(db.repo(Order).get(ids["order"]))
    await aw(db.session.delete(order))  # lines go by ON DELETE CASCADE (passive_deletes)
    await db.commit()
    assert await db.rows(OrderLine) == 2
