"""The services: DTO in, DTO out, and who commits (auto_commit vs unit of work)."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import msgspec
import pytest
from msgspec import UNSET
from shop.db import (
    CategoryCreate,
    CategoryRead,
    CategoryUpdate,
    CustomerCreate,
    CustomerFilter,
    CustomerOrder,
    CustomerRead,
    CustomerUpdate,
    OrderCreate,
    OrderLineCreate,
    OrderLineRead,
    OrderLineUpdate,
    OrderRead,
    OrderUpdate,
    ProductCreate,
    ProductFilter,
    ProductOrder,
    ProductRead,
    ProductUpdate,
    TagCreate,
    TagRead,
    TagUpdate,
)
from shop.models import Category, Customer, Order, OrderLine, Product, ProductStatus, Tag
from sublimate_runtime import ConflictError, ForeignKeyError, NotFoundError, RangeFilter, TextFilter

from ._support import Db, at, aw, utc

D = Decimal


def customer_in(name: str, **values: object) -> CustomerCreate:
    return CustomerCreate(email=f"{name.lower()}@example.com", name=name, **values)


# --- Customer: every method ---------------------------------------------------------------


async def test_create_returns_a_read_dto_with_defaults(db: Db) -> None:
    service = db.service(Customer)
    read = await aw(service.create(customer_in("Ann", birthday=datetime.date(1990, 5, 17))))
    assert isinstance(read, CustomerRead)
    assert isinstance(read.id, uuid.UUID)
    assert isinstance(read.created_at, datetime.datetime)
    assert (read.email, read.name, read.birthday, read.note) == (
        "ann@example.com",
        "Ann",
        datetime.date(1990, 5, 17),
        None,
    )
    # a Read DTO is plain data: it encodes without the session
    assert msgspec.json.decode(msgspec.json.encode(read), type=CustomerRead) == read


async def test_create_keeps_a_caller_chosen_key_and_timestamp(db: Db) -> None:
    chosen = uuid.uuid4()
    read = await aw(
        db.service(Customer).create(customer_in("Ann", id=chosen, created_at=at(2020, 2, 2)))
    )
    assert read.id == chosen
    assert utc(read.created_at) == at(2020, 2, 2)


async def test_create_many_get_count(db: Db) -> None:
    service = db.service(Customer)
    created = await aw(service.create_many([customer_in("Ann"), customer_in("Bob")]))
    assert [c.name for c in created] == ["Ann", "Bob"]
    assert all(isinstance(c, CustomerRead) for c in created)
    got = await aw(service.get(created[1].id))
    assert got == created[1]
    assert await aw(service.count()) == 2
    assert await aw(service.count(CustomerFilter(name=TextFilter(eq="Ann")))) == 1
    with pytest.raises(NotFoundError):
        await aw(service.get(uuid.uuid4()))


async def test_list_returns_an_offset_page(db: Db) -> None:
    service = db.service(Customer)
    await aw(service.create_many([customer_in(n) for n in ["Dora", "Ann", "Carl", "Bob", "Eve"]]))
    page = await aw(service.list(order_by=CustomerOrder.NAME, limit=2, offset=1))
    assert [c.name for c in page.items] == ["Bob", "Carl"]
    assert all(isinstance(c, CustomerRead) for c in page.items)
    assert (page.total, page.limit, page.offset) == (5, 2, 1)
    default = await aw(service.list(CustomerFilter(name=TextFilter(ne="Eve"))))
    assert (len(default.items), default.total, default.limit, default.offset) == (4, 4, 50, 0)
    desc = await aw(service.list(order_by=[CustomerOrder.NAME_DESC], limit=1))
    assert [c.name for c in desc.items] == ["Eve"]


async def test_update_sets_only_what_the_dto_sets(db: Db) -> None:
    service = db.service(Customer)
    ann = await aw(service.create(customer_in("Ann", note="vip")))
    renamed = await aw(service.update(ann.id, CustomerUpdate(name="Ann B.")))
    assert isinstance(renamed, CustomerRead)
    assert (renamed.name, renamed.email, renamed.note) == ("Ann B.", "ann@example.com", "vip")
    patch = msgspec.json.decode(b'{"note": null}', type=CustomerUpdate)
    assert patch.name is UNSET
    cleared = await aw(service.update(ann.id, patch))
    assert (cleared.name, cleared.note) == ("Ann B.", None)
    with pytest.raises(NotFoundError):
        await aw(service.update(uuid.uuid4(), CustomerUpdate(name="x")))


async def test_upsert_inserts_then_updates(db: Db) -> None:
    service = db.service(Customer)
    first = await aw(service.upsert(customer_in("Ann"), on="email"))
    second = await aw(
        service.upsert(CustomerCreate(email="ann@example.com", name="Ann B."), on="email")
    )
    assert isinstance(second, CustomerRead)
    assert second.id == first.id
    assert second.name == "Ann B."
    assert await aw(service.count()) == 1


async def test_delete_returns_the_deleted_dto(db: Db) -> None:
    service = db.service(Customer)
    ann = await aw(service.create(customer_in("Ann")))
    deleted = await aw(service.delete(ann.id))
    assert isinstance(deleted, CustomerRead)
    assert deleted.id == ann.id
    with pytest.raises(NotFoundError):
        await aw(service.get(ann.id))
    with pytest.raises(NotFoundError):
        await aw(service.delete(ann.id))


async def test_conflict_through_the_service_leaves_the_session_usable(db: Db) -> None:
    service = db.service(Customer, auto_commit=True)
    await aw(service.create(customer_in("Ann")))
    with pytest.raises(ConflictError) as caught:
        await aw(service.create(CustomerCreate(email="ann@example.com", name="Other")))
    assert caught.value.columns == ("email",)
    await aw(service.create(customer_in("Bob")))
    assert await aw(service.count()) == 2


# --- unit of work vs auto_commit ----------------------------------------------------------


async def test_without_auto_commit_the_caller_owns_the_transaction(db: Db) -> None:
    service = db.service(Customer)
    await aw(service.create(customer_in("Ann")))
    await aw(service.create_many([customer_in("Bob"), customer_in("Carl")]))
    assert await aw(service.count()) == 3  # visible inside the transaction
    await db.rollback()
    assert await db.rows(Customer) == 0  # a rollback after a non-auto-commit create: nothing

    kept = await aw(service.create(customer_in("Dora")))
    await db.commit()
    await aw(service.update(kept.id, CustomerUpdate(name="Changed")))
    await aw(service.delete(kept.id))
    await db.rollback()
    assert await db.column(Customer.name) == ["Dora"]  # update and delete rolled back too


async def test_auto_commit_commits_every_write(db: Db) -> None:
    service = db.service(Customer, auto_commit=True)
    ann = await aw(service.create(customer_in("Ann")))
    await aw(service.create_many([customer_in("Bob"), customer_in("Carl")]))
    await db.rollback()
    assert await db.rows(Customer) == 3

    await aw(service.update(ann.id, CustomerUpdate(name="Ann B.")))
    await aw(service.upsert(CustomerCreate(email="bob@example.com", name="Bobby"), on="email"))
    await db.rollback()
    assert sorted(await db.column(Customer.name)) == ["Ann B.", "Bobby", "Carl"]

    await aw(service.delete(ann.id))
    await db.rollback()
    assert sorted(await db.column(Customer.name)) == ["Bobby", "Carl"]


# --- the other models ---------------------------------------------------------------------


async def test_product_service_round_trip(db: Db) -> None:
    service = db.service(Product, auto_commit=True)
    created = await aw(
        service.create(
            ProductCreate(
                sku="LAMP-1",
                name="Desk lamp",
                price=D("49.95"),
                warranty=datetime.timedelta(days=365),
                thumbnail=b"\x00\x01",
            )
        )
    )
    assert isinstance(created, ProductRead)
    assert isinstance(created.id, int)
    assert created.price == D("49.95") and isinstance(created.price, Decimal)
    assert created.status is ProductStatus.ACTIVE  # model default applied
    assert (created.attributes, created.is_featured) == ({}, False)
    assert (created.warranty, created.thumbnail) == (datetime.timedelta(days=365), b"\x00\x01")

    many = await aw(
        service.create_many(
            [
                ProductCreate(sku="MUG-1", name="Mug", price=D("9.99"), is_featured=True),
                ProductCreate(sku="MUG-2", name="Mug", price=D("8.99"), status=ProductStatus.DRAFT),
            ]
        )
    )
    assert [p.sku for p in many] == ["MUG-1", "MUG-2"]
    page = await aw(
        service.list(
            ProductFilter(price=RangeFilter(lt=D("10"))), order_by=ProductOrder.PRICE, limit=10
        )
    )
    assert ([p.sku for p in page.items], page.total) == (["MUG-2", "MUG-1"], 2)

    updated = await aw(
        service.update(created.id, ProductUpdate(price=D("39.95"), attributes={"watt": 40}))
    )
    assert (updated.price, updated.attributes, updated.name) == (
        D("39.95"),
        {"watt": 40},
        "Desk lamp",
    )
    upserted = await aw(
        service.upsert(ProductCreate(sku="MUG-1", name="Big mug", price=D("11.00")), on="sku")
    )
    assert (upserted.id, upserted.name) == (many[0].id, "Big mug")
    assert (await aw(service.get(many[1].id))).status is ProductStatus.DRAFT
    deleted = await aw(service.delete(many[1].id))
    assert deleted.sku == "MUG-2"
    assert await aw(service.count()) == 2
    await db.rollback()
    assert sorted(await db.column(Product.sku)) == ["LAMP-1", "MUG-1"]


async def test_category_and_tag_services(db: Db) -> None:
    categories = db.service(Category)
    root = await aw(categories.create(CategoryCreate(name="Clothing")))
    assert isinstance(root, CategoryRead) and root.parent_id is None
    child = await aw(categories.create(CategoryCreate(name="Shirts", parent_id=root.id)))
    assert child.parent_id == root.id
    assert [c.name for c in (await aw(categories.list())).items] == ["Clothing", "Shirts"]
    renamed = await aw(categories.update(child.id, CategoryUpdate(name="T-shirts")))
    assert (renamed.name, renamed.parent_id) == ("T-shirts", root.id)
    with pytest.raises(ConflictError):
        await aw(categories.create(CategoryCreate(name="T-shirts", parent_id=root.id)))
    with pytest.raises(ForeignKeyError):
        await aw(categories.create(CategoryCreate(name="Lost", parent_id=987)))

    tags = db.service(Tag)
    cotton = await aw(tags.create(TagCreate(name="cotton")))
    assert isinstance(cotton, TagRead)
    more = await aw(tags.create_many([TagCreate(name="wool"), TagCreate(name="linen")]))
    assert [t.name for t in more] == ["wool", "linen"]
    again = await aw(tags.upsert(TagCreate(name="cotton"), on="name"))
    assert again.id == cotton.id
    assert (await aw(tags.update(more[1].id, TagUpdate(name="flax")))).name == "flax"
    assert (await aw(tags.delete(more[0].id))).name == "wool"
    assert await aw(tags.count()) == 2
    assert (await aw(tags.get(cotton.id))).name == "cotton"


async def test_order_and_order_line_services(db: Db) -> None:
    (ann,) = await db.seed(Customer(email="ann@example.com", name="Ann"))
    (tee,) = await db.seed(Product(sku="TEE", name="Tee", price=D("19.99")))
    ann_id, tee_id = ann.id, tee.id
    orders = db.service(Order, auto_commit=True)
    order = await aw(
        orders.create(
            OrderCreate(
                customer_id=ann_id,
                placed_at=at(2024, 3, 1),
                total=D("39.98"),
                delivery_window=datetime.time(18, 0),
            )
        )
    )
    assert isinstance(order, OrderRead)
    assert (order.status, order.customer_id, order.delivery_window) == (
        "new",
        ann_id,
        datetime.time(18, 0),
    )
    with pytest.raises(ForeignKeyError):
        await aw(
            orders.create(OrderCreate(customer_id=uuid.uuid4(), placed_at=at(2024, 3, 1), total=1))
        )

    lines = db.service(OrderLine, auto_commit=True)
    created = await aw(
        lines.create_many(
            [
                OrderLineCreate(
                    order_id=order.id,
                    line_no=n,
                    product_id=tee_id,
                    quantity=n,
                    unit_price=D("19.99"),
                )
                for n in (1, 2)
            ]
        )
    )
    assert all(isinstance(line, OrderLineRead) for line in created)
    assert [(line.order_id, line.line_no) for line in created] == [(order.id, 1), (order.id, 2)]
    second = await aw(lines.get(order.id, 2))
    assert second.quantity == 2
    bumped = await aw(lines.update(order.id, 2, OrderLineUpdate(quantity=3)))
    assert (bumped.quantity, bumped.unit_price) == (3, D("19.99"))
    replaced = await aw(
        lines.upsert(
            OrderLineCreate(
                order_id=order.id, line_no=1, product_id=tee_id, quantity=7, unit_price=D("18.00")
            )
        )
    )
    assert (replaced.quantity, replaced.unit_price) == (7, D("18.00"))
    page = await aw(lines.list(limit=1))
    assert ([(x.order_id, x.line_no) for x in page.items], page.total) == ([(order.id, 1)], 2)
    removed = await aw(lines.delete(order.id, 1))
    assert removed.line_no == 1
    with pytest.raises(NotFoundError):
        await aw(lines.get(order.id, 1))
    assert await aw(lines.count()) == 1

    paid = await aw(orders.update(order.id, OrderUpdate(status="paid")))
    assert (paid.status, paid.total) == ("paid", D("39.98"))
    assert (await aw(orders.list())).total == 1
    assert (await aw(orders.get(order.id))).status == "paid"
    gone = await aw(orders.delete(order.id))
    assert gone.id == order.id
    await db.rollback()
    assert await db.rows(Order) == 0
    assert await db.rows(OrderLine) == 0
