"""Composable filters (and/or/not, relationship fields) on SQLite, PostgreSQL and MariaDB, sync and
async: each filtered list equals a hand-written query (joins and subqueries written out, not the
filter compiler's EXISTS), is one statement however deep the filter, and the same tree decoded
from JSON selects the same rows.

The data set makes every case select some rows and leave others out (checked), so a compiler that
ignored a condition, or matched everything, fails.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from behaviour._support import Db, aw
from shop.db import CategoryFilter, CustomerFilter, OrderFilter, ProductFilter, TagFilter
from shop.db.dtos.order_line import OrderLineFilter
from shop.models import Category, Customer, Order, OrderLine, Product, Tag, product_tags
from sublimate_runtime import EqFilter, NullableRangeFilter, NullableTextFilter, TextFilter
from sublimate_runtime import RangeFilter as Range

D = Decimal
T0 = datetime.datetime(2026, 1, 5, 12, tzinfo=datetime.UTC)


def shop() -> list[Any]:
    """Categories three levels deep, tagged products, customers with and without a note, orders
    with lines (and one without)."""
    home = Category(id=1, name="Home")
    kitchen = Category(id=2, name="Kitchen", parent=home)
    knives = Category(id=3, name="Knives", parent=kitchen)
    garden = Category(id=4, name="Garden")
    red, blue, green = Tag(id=1, name="red"), Tag(id=2, name="blue"), Tag(id=3, name="green")
    pan = Product(id=1, sku="PAN", name="Pan", price=D("30.00"), category=kitchen, tags=[red])
    knife = Product(
        id=2, sku="KNIFE", name="Knife", price=D("12.50"), category=knives, tags=[red, blue]
    )
    hose = Product(id=3, sku="HOSE", name="Hose", price=D("20.00"), category=garden, tags=[green])
    gift = Product(id=4, sku="GIFT", name="Gift card", price=D("50.00"), weight=None)
    ann = Customer(id=uuid.UUID(int=1), email="ann@x.com", name="Ann", note="vip")
    bob = Customer(id=uuid.UUID(int=2), email="bob@y.com", name="Bob", note=None)
    cy = Customer(id=uuid.UUID(int=3), email="cy@x.com", name="Cy", note="slow payer")
    orders = [
        Order(id=1, customer=ann, placed_at=T0, status="paid", total=D("42.50"),
              lines=[OrderLine(line_no=1, product=pan, quantity=1, unit_price=D("30.00")),
                     OrderLine(line_no=2, product=knife, quantity=1, unit_price=D("12.50"))]),
        Order(id=2, customer=bob, placed_at=T0, status="new", total=D("20.00"),
              delivery_window=datetime.time(9), lines=[
                  OrderLine(line_no=1, product=hose, quantity=1, unit_price=D("20.00"))]),
        Order(id=3, customer=bob, placed_at=T0, status="paid", total=D("50.00"),
              lines=[OrderLine(line_no=1, product=gift, quantity=1, unit_price=D("50.00"))]),
        Order(id=4, customer=cy, placed_at=T0, status="new", total=D("0.00"), lines=[]),
        Order(id=5, customer=ann, placed_at=T0, status="cancelled", total=D("25.00"),
              delivery_window=datetime.time(14), lines=[
                  OrderLine(line_no=1, product=knife, quantity=2, unit_price=D("12.50"))]),
    ]  # fmt: skip
    return [home, kitchen, knives, garden, red, blue, green, pan, knife, hose, gift, *orders]


# (model, filter, hand-written query of the expected primary keys)
Case = tuple[type[Any], Any, Callable[[], sa.Select[Any]]]
X_COM = TextFilter(endswith="@x.com")
parent = sa.orm.aliased(Category)
grandparent = sa.orm.aliased(Category)
child = sa.orm.aliased(Category)
CASES: dict[str, Case] = {
    "to-one": (
        Order,
        OrderFilter(customer=CustomerFilter(email=X_COM)),
        lambda: sa.select(Order.id).join(Customer).where(Customer.email.endswith("@x.com")),
    ),
    "to-many": (
        Customer,
        CustomerFilter(orders=OrderFilter(status=TextFilter(eq="new"))),
        lambda: sa.select(Customer.id).where(
            Customer.id.in_(sa.select(Order.customer_id).where(Order.status == "new"))
        ),
    ),
    "to-many, nothing set: has a related row": (
        Order,
        OrderFilter(lines=OrderLineFilter()),
        lambda: sa.select(Order.id).where(Order.id.in_(sa.select(OrderLine.order_id))),
    ),
    "many-to-many": (
        Product,
        ProductFilter(tags=TagFilter(name=TextFilter(eq="blue"))),
        lambda: (
            sa.select(Product.id)
            .join(product_tags, product_tags.c.product_id == Product.id)
            .join(Tag, Tag.id == product_tags.c.tag_id)
            .where(Tag.name == "blue")
        ),
    ),
    "many-to-many, back": (
        Tag,
        TagFilter(products=ProductFilter(price=Range(gt=D("25")))),
        lambda: (
            sa.select(Tag.id)
            .join(product_tags, product_tags.c.tag_id == Tag.id)
            .join(Product, Product.id == product_tags.c.product_id)
            .where(Product.price > D("25"))
        ),
    ),
    "self-referencing, two levels up": (
        Category,
        CategoryFilter(parent=CategoryFilter(parent=CategoryFilter(name=TextFilter(eq="Home")))),
        lambda: (
            sa.select(Category.id)
            .join(parent, Category.parent_id == parent.id)
            .join(grandparent, parent.parent_id == grandparent.id)
            .where(grandparent.name == "Home")
        ),
    ),
    "self-referencing, down and up": (
        Category,
        CategoryFilter(children=CategoryFilter(parent=CategoryFilter(name=TextFilter(eq="Home")))),
        lambda: (
            sa.select(Category.id)
            .join(child, child.parent_id == Category.id)
            .join(parent, child.parent_id == parent.id)
            .where(parent.name == "Home")
        ),
    ),
    "nested three levels, many-to-many last": (
        Order,
        OrderFilter(
            lines=OrderLineFilter(product=ProductFilter(tags=TagFilter(name=TextFilter(eq="blue"))))
        ),
        lambda: (
            sa.select(Order.id)
            .join(OrderLine)
            .join(Product)
            .join(product_tags, product_tags.c.product_id == Product.id)
            .join(Tag, Tag.id == product_tags.c.tag_id)
            .where(Tag.name == "blue")
        ),
    ),
    "nested three levels, back to the root's table": (
        Customer,
        CustomerFilter(
            orders=OrderFilter(
                lines=OrderLineFilter(product=ProductFilter(sku=TextFilter(eq="HOSE")))
            )
        ),
        lambda: (
            sa.select(Customer.id)
            .join(Order)
            .join(OrderLine)
            .join(Product)
            .where(Product.sku == "HOSE")
        ),
    ),
    "or of relationships": (
        Order,
        OrderFilter(
            or_=[
                OrderFilter(customer=CustomerFilter(name=TextFilter(eq="Cy"))),
                OrderFilter(lines=OrderLineFilter(quantity=Range(ge=2))),
            ]
        ),
        lambda: sa.select(Order.id).where(
            sa.or_(
                Order.customer_id.in_(sa.select(Customer.id).where(Customer.name == "Cy")),
                Order.id.in_(sa.select(OrderLine.order_id).where(OrderLine.quantity >= 2)),
            )
        ),
    ),
    "and + or + columns": (
        Order,
        OrderFilter(
            total=Range(gt=D("1")),
            and_=[OrderFilter(status=TextFilter(ne="cancelled"))],
            or_=[OrderFilter(customer=CustomerFilter(email=X_COM)), OrderFilter(id=Range(eq=3))],
        ),
        lambda: (
            sa.select(Order.id)
            .join(Customer)
            .where(Order.total > 1, Order.status != "cancelled")
            .where(sa.or_(Customer.email.endswith("@x.com"), Order.id == 3))
        ),
    ),
    "or empty matches nothing": (
        Order,
        OrderFilter(or_=[]),
        lambda: sa.select(Order.id).where(sa.false()),
    ),
    "and empty matches everything": (
        Order,
        OrderFilter(and_=[], status=TextFilter(eq="paid")),
        lambda: sa.select(Order.id).where(Order.status == "paid"),
    ),
    "not of a relationship: no related row": (
        Order,
        OrderFilter(not_=OrderFilter(lines=OrderLineFilter())),
        lambda: sa.select(Order.id).where(~Order.id.in_(sa.select(OrderLine.order_id))),
    ),
    "not of a nullable comparison keeps the NULL rows": (
        Customer,
        CustomerFilter(not_=CustomerFilter(note=NullableTextFilter(eq="vip"))),
        lambda: sa.select(Customer.id).where(
            sa.or_(Customer.note.is_(None), Customer.note != "vip")
        ),
    ),
    "not of a nullable range in an or": (
        Order,
        OrderFilter(
            or_=[
                OrderFilter(
                    not_=OrderFilter(delivery_window=NullableRangeFilter(ge=datetime.time(12))),
                    customer=CustomerFilter(name=TextFilter(eq="Ann")),
                ),
                OrderFilter(status=TextFilter(eq="new"), total=Range(eq=D("0"))),
            ]
        ),
        lambda: (
            sa.select(Order.id)
            .join(Customer)
            .where(
                sa.or_(
                    sa.and_(
                        sa.or_(
                            Order.delivery_window.is_(None),
                            Order.delivery_window < datetime.time(12),
                        ),
                        Customer.name == "Ann",
                    ),
                    sa.and_(Order.status == "new", Order.total == 0),
                )
            )
        ),
    ),
    "not not": (
        Product,
        ProductFilter(not_=ProductFilter(not_=ProductFilter(category=CategoryFilter()))),
        lambda: sa.select(Product.id).where(Product.category_id.is_not(None)),
    ),
    "not of an or": (
        Product,
        ProductFilter(
            not_=ProductFilter(
                or_=[
                    ProductFilter(tags=TagFilter(name=TextFilter(eq="red"))),
                    ProductFilter(
                        weight=NullableRangeFilter(is_null=True), price=Range(gt=D("40"))
                    ),
                ]
            )
        ),
        lambda: sa.select(Product.id).where(
            Product.id.not_in(
                sa.select(product_tags.c.product_id)
                .join(Tag, Tag.id == product_tags.c.tag_id)
                .where(Tag.name == "red")
            ),
            sa.not_(sa.and_(Product.weight.is_(None), Product.price > 40)),
        ),
    ),
}


async def ids(db: Db, model: type[Any], where: Any) -> list[Any]:
    return [row.id for row in await aw(db.repo(model).list(where))]


@pytest.mark.parametrize("case", list(CASES))
async def test_a_filter_tree_selects_what_the_hand_written_query_does(db: Db, case: str) -> None:
    await db.seed(*shop())
    model, where, query = CASES[case]
    expected = sorted(set(await db.scalars(query())))
    every = await db.scalars(sa.select(model.id))
    db.forget()
    with db.count_statements() as statements:
        found = await ids(db, model, where)
    assert len(statements) == 1  # one statement, however nested: EXISTS, no per-row queries
    assert "JOIN" not in statements[0].upper()
    assert found == expected
    if case != "or empty matches nothing":
        assert 0 < len(expected) < len(every), "the case should select some rows, not all"


async def test_the_same_tree_decoded_from_json_selects_the_same_rows(db: Db) -> None:
    await db.seed(*shop())
    text = b"""{"or": [
        {"customer": {"email": {"endswith": "@x.com"}}, "not": {"lines": {}}},
        {"lines": {"product": {"category": {"parent": {"name": {"eq": "Kitchen"}}}}}}
    ]}"""
    decoded = msgspec.json.decode(text, type=OrderFilter)
    built = OrderFilter(
        or_=[
            OrderFilter(
                customer=CustomerFilter(email=X_COM), not_=OrderFilter(lines=OrderLineFilter())
            ),
            OrderFilter(
                lines=OrderLineFilter(
                    product=ProductFilter(
                        category=CategoryFilter(
                            parent=CategoryFilter(name=TextFilter(eq="Kitchen"))
                        )
                    )
                )
            ),
        ]
    )
    assert decoded == built
    assert msgspec.json.decode(msgspec.json.encode(built), type=OrderFilter) == built
    assert await ids(db, Order, decoded) == [1, 4, 5]  # Cy's empty order; the knife's orders


async def test_count_and_exists_take_the_tree_too(db: Db) -> None:
    await db.seed(*shop())
    where = CustomerFilter(orders=OrderFilter(lines=OrderLineFilter(quantity=Range(ge=2))))
    repo = db.repo(Customer)
    assert await aw(repo.count(where)) == 1
    assert await aw(repo.exists(where)) is True
    page = await aw(repo.list_and_count(where))
    assert [c.name for c in page[0]] == ["Ann"] and page[1] == 1
    assert await aw(repo.exists(CustomerFilter(orders=OrderFilter(id=EqFilter(eq=99))))) is False
