"""Typed errors and identity-map correctness on SQLite, PostgreSQL and MariaDB, sync and async.

After every error the same session must go on working, and nothing written before the error in
that transaction may be committed by a later commit (the write guard rolls the session back).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from behaviour._support import Db, at, aw, new_customer, new_product
from shop.db import CustomerUpdate, ProductUpdate
from shop.models import Category, Customer, Order, OrderLine, Product, Tag
from sublimate_runtime import ConflictError, ForeignKeyError, NotFoundError

D = Decimal


async def add_then_fail(db: Db, failing: Any, error: type[Exception]) -> Exception:
    """Add a row in the open transaction, run `failing`, check the row was not kept."""
    await aw(db.repo(Tag).add(Tag(name="written before the error")))
    with pytest.raises(error) as caught:
        await aw(failing())
    await db.commit()
    assert await db.scalars(sa.select(Tag.name).where(Tag.name.like("written%"))) == []
    # the same session goes on: a write and a commit succeed
    await aw(db.repo(Tag).add(Tag(name="written after the error")))
    await db.commit()
    assert await db.scalars(sa.select(Tag.name)) == ["written after the error"]
    await aw(db.repo(Tag).delete_where(sa.true()))
    await db.commit()
    return caught.value


async def seed(db: Db) -> tuple[Customer, Product, Category]:
    """Three rows, committed. A typed error rolls the session back, which expires every loaded
    object: tests keep the keys they need in local variables before provoking one."""
    customer, product, category = await db.seed(
        new_customer("Ann"), new_product("SKU-1"), Category(name="Toys")
    )
    return customer, product, category


async def test_unique_violation_on_add_names_the_key(db: Db) -> None:
    await seed(db)
    repo = db.repo(Customer)
    error = await add_then_fail(
        db, lambda: repo.add(new_customer("Other", email="ann@example.com")), ConflictError
    )
    assert isinstance(error, ConflictError)
    assert (error.model, error.columns) == ("Customer", ("email",))


async def test_unique_violation_on_a_composite_key(db: Db) -> None:
    _, _, toys = await seed(db)
    repo = db.repo(Category)
    await aw(repo.add(Category(name="Cars", parent_id=toys.id)))
    await db.commit()
    error = await add_then_fail(
        db, lambda: repo.add(Category(name="Cars", parent_id=toys.id)), ConflictError
    )
    assert isinstance(error, ConflictError) and error.columns == ("parent_id", "name")


async def test_primary_key_violation_names_the_primary_key(db: Db) -> None:
    customer, product, _ = await seed(db)
    (order,) = await db.seed(Order(customer_id=customer.id, placed_at=at(2024, 1, 1), total=1))
    line = {"order_id": order.id, "line_no": 1, "product_id": product.id, "quantity": 1}
    await db.seed(OrderLine(**line, unit_price=D(1)))
    repo = db.repo(OrderLine)
    error = await add_then_fail(
        db, lambda: repo.add(OrderLine(**line, unit_price=D(2))), ConflictError
    )
    assert isinstance(error, ConflictError) and error.columns == ("order_id", "line_no")


async def test_unique_violation_on_update_names_the_key(db: Db) -> None:
    customer, _, _ = await seed(db)
    customer_id = customer.id
    await db.seed(new_customer("Bob"))
    repo = db.repo(Customer)
    error = await add_then_fail(
        db,
        lambda: repo.update(customer_id, CustomerUpdate(email="bob@example.com")),
        ConflictError,
    )
    assert isinstance(error, ConflictError) and error.columns == ("email",)
    assert (await aw(repo.get(customer_id))).email == "ann@example.com"


async def test_foreign_key_violations(db: Db) -> None:
    customer, product, _ = await seed(db)
    customer_id, product_id = customer.id, product.id
    orders = db.repo(Order)
    missing_customer = Order(customer_id=uuid.uuid4(), placed_at=at(2024, 1, 1), total=1)
    error = await add_then_fail(db, lambda: orders.add(missing_customer), ForeignKeyError)
    assert isinstance(error, ForeignKeyError) and error.model == "Order"
    await db.seed(Order(customer_id=customer_id, placed_at=at(2024, 1, 1), total=1))
    # deleting a referenced row (orders.customer_id has no ON DELETE)
    await add_then_fail(db, lambda: db.repo(Customer).delete(customer_id), ForeignKeyError)
    assert await db.rows(Customer) == 1
    # updating a reference to a missing row
    await add_then_fail(
        db,
        lambda: db.repo(Product).update(product_id, ProductUpdate(category_id=10**6)),
        ForeignKeyError,
    )


@pytest.mark.parametrize("operation", ["get", "update", "delete"])
async def test_not_found_on_a_missing_key(db: Db, operation: str) -> None:
    await seed(db)
    repo = db.repo(Product)
    calls = {
        "get": lambda: repo.get(424242),
        "update": lambda: repo.update(424242, ProductUpdate(name="x")),
        "delete": lambda: repo.delete(424242),
    }
    with pytest.raises(NotFoundError) as caught:
        await aw(calls[operation]())
    assert (caught.value.model, dict(caught.value.key)) == ("Product", {"id": 424242})
    assert (await aw(repo.add(new_product("SKU-2")))).sku == "SKU-2"  # session still usable
    await db.commit()
    assert await db.rows(Product) == 2


async def test_upsert_on_email_never_touches_the_row_that_owns_the_given_id(db: Db) -> None:
    """MariaDB has no conflict target: ON DUPLICATE KEY fires on the primary key first.

    PostgreSQL and SQLite update the row with that email (ignoring the given id, which an upsert
    never rewrites); on MariaDB the row collides on the id first, which the guarded
    ON DUPLICATE KEY UPDATE leaves unchanged and the repository reports as a ConflictError on
    the primary key. Without the guard it would have renamed Bob.
    """
    ann, _, _ = await seed(db)
    (bob,) = await db.seed(new_customer("Bob"))
    ann_id = ann.id
    repo = db.repo(Customer)
    clash = Customer(id=bob.id, email="ann@example.com", name="Renamed")
    if db.dialect == "mariadb":
        error = await add_then_fail(db, lambda: repo.upsert(clash, on="email"), ConflictError)
        assert isinstance(error, ConflictError) and error.columns == ("id",)
    else:
        upserted = await aw(repo.upsert(clash, on="email"))
        assert (upserted.id, upserted.name) == (ann_id, "Renamed")
        await db.commit()
    db.forget()
    names = await db.scalars(sa.select(Customer.name).order_by(Customer.email))
    assert names == (["Ann", "Bob"] if db.dialect == "mariadb" else ["Renamed", "Bob"])


async def test_upsert_on_id_with_another_rows_email_is_a_conflict_everywhere(db: Db) -> None:
    await seed(db)
    (bob,) = await db.seed(new_customer("Bob"))
    bob_id = bob.id
    repo = db.repo(Customer)
    clash = Customer(id=uuid.uuid4(), email="bob@example.com", name="Intruder")
    error = await add_then_fail(db, lambda: repo.upsert(clash, on="id"), ConflictError)
    assert isinstance(error, ConflictError) and error.columns == ("email",)
    db.forget()
    assert (await aw(repo.get(bob_id))).name == "Bob"


async def test_update_refreshes_the_identity_map_and_relationships(db: Db) -> None:
    _, product, toys = await seed(db)
    (books,) = await db.seed(Category(name="Books"))
    repo = db.repo(Product)
    loaded = await aw(repo.get(product.id))
    assert loaded is product  # the seeded object is the identity map's
    await aw(repo.update(product.id, ProductUpdate(category_id=toys.id)))
    if not db.is_async:
        assert product.category is toys  # lazy load after the first update
    updated = await aw(repo.update(product.id, ProductUpdate(category_id=books.id, name="Novel")))
    assert updated is product
    assert (product.category_id, product.name) == (books.id, "Novel")
    if db.is_async:
        # no stale relationship is kept: it loads again (explicitly, under asyncio)
        assert "category" not in product.__dict__ or product.__dict__["category"] is books
    else:
        assert product.category is books
    again = await aw(repo.get(product.id))
    assert again is product and again.name == "Novel"
    await aw(repo.delete(product.id))
    with pytest.raises(NotFoundError):
        await aw(repo.get(product.id))  # not served from the identity map
