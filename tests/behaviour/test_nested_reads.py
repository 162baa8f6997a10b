"""Nested Read DTOs through the services: `get_with`, `list_with`, `list_after_with`.

Runs on every engine kind of the behaviour suite (SQLite, PostgreSQL, MariaDB; sync and async).
The shape (`OrderReadWithLines`) says what is loaded, one statement per level of it, and the
DTOs are built before the service returns: encoding them runs no SQL, and a relationship the
shape does not hold was never loaded (the repository's raiseload). `get_with` reads through the
ORM (a to-one joined into its parent's statement); the lists read column rows where they can
(one statement per relationship), and give what the ORM path gives (compared here).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from shop.db.dtos.category import (
    CategoryRead,
    CategoryReadWithChildren,
    CategoryReadWithParent,
    CategoryReadWithProducts,
)
from shop.db.dtos.customer import CustomerRead, CustomerReadWithOrders
from shop.db.dtos.order import OrderRead, OrderReadWithCustomer, OrderReadWithLines
from shop.db.dtos.order_line import OrderLineRead, OrderLineReadWithProduct
from shop.db.dtos.product import ProductRead, ProductReadWithCategory, ProductReadWithTags
from shop.models import Category, Customer, Order, OrderLine, Product
from sqlalchemy.orm import with_loader_criteria
from sublimate_runtime import (
    NotFoundError,
    NotLoadedError,
    UnknownLoadError,
    read_shape,
    shape_paths,
    to_shape,
    to_shapes,
)
from sublimate_runtime.nested_rows import _JsonRows, nested_rows

from ._support import Db, aw, new_customer, new_product
from .test_loading import AT, seed_shop

D = Decimal


class OrderWithLinesAndCustomer(OrderReadWithLines, kw_only=True):
    """A shape written by hand: two relationships at once."""

    customer: CustomerRead


class CustomerWithOrdersLines(CustomerRead, kw_only=True):
    """A shape written by hand: two levels (customer -> orders -> lines)."""

    orders: list[OrderReadWithLines]


class OrderReadWithLinesProduct(OrderRead, kw_only=True):
    """What `nested_depth = 2` generates for the path lines.product (the generator's test
    checks that this is its text): the lines' own first-level class, one module over."""

    lines: list[OrderLineReadWithProduct]


class OrderReadWithCustomerOrders(OrderRead, kw_only=True):
    """`nested_depth = 2`'s customer.orders: the cycle order -> customer -> orders, cut there."""

    customer: CustomerReadWithOrders


class NotARelationship(OrderRead, kw_only=True):
    """A Struct-typed field that names no relationship of Order."""

    shipment: CustomerRead | None = None


def _json(value: Any) -> Any:
    return msgspec.json.decode(msgspec.json.encode(value))


def test_the_shape_names_its_paths() -> None:
    assert shape_paths(OrderReadWithLines) == ("lines",)
    assert shape_paths(CustomerWithOrdersLines) == ("orders", "orders.lines")
    assert shape_paths(OrderWithLinesAndCustomer) == ("customer", "lines")
    assert shape_paths(OrderRead) == ()


def test_load_values_on_one_relationship_merge() -> None:
    """The controllers' `load=lines&load=lines.product` (nested_depth = 2): one `lines` field
    with the deeper class; two second levels under one relationship give both."""
    shapes = {"lines": OrderReadWithLines, "lines.product": OrderReadWithLinesProduct}
    both = read_shape(
        OrderRead, {**shapes, "customer": OrderReadWithCustomer}, [*shapes, "customer"]
    )
    assert shape_paths(both) == ("customer", "lines", "lines.product")

    class ParentParent(CategoryRead, kw_only=True):
        parent: CategoryReadWithParent | None

    class ParentProducts(CategoryRead, kw_only=True):
        parent: CategoryReadWithProducts | None

    merged = read_shape(CategoryRead, {"a": ParentParent, "b": ParentProducts}, ["a", "b"])
    assert shape_paths(merged) == ("parent", "parent.parent", "parent.products")
    parent = msgspec.structs.fields(merged)[-1].type
    assert type(None) in getattr(parent, "__args__", ())  # still optional


async def test_get_with_is_one_statement_per_level(db: Db) -> None:
    ids = await seed_shop(db)
    service = db.service(Order)
    with db.count_statements() as statements:
        order = await aw(service.get_with(OrderReadWithLines, ids["order"]))
        encoded = _json(order)
    assert len(statements) == 2  # the order, its lines; encoding ran nothing
    assert isinstance(order, OrderReadWithLines) and order.total == D(10)
    assert [(line.line_no, line.quantity) for line in order.lines] == [(0, 1), (1, 2)]
    assert [line["quantity"] for line in encoded["lines"]] == [1, 2]
    db.forget()
    with db.count_statements() as statements:
        ann = await aw(db.service(Customer).get_with(CustomerWithOrdersLines, ids["ann"]))
    assert len(statements) == 3  # customer, orders, lines
    assert sorted(len(o.lines) for o in ann.orders) == [2, 2]
    assert all(line.order_id == o.id for o in ann.orders for line in o.lines)


async def test_to_one_shapes_are_joined(db: Db) -> None:
    ids = await seed_shop(db)
    with db.count_statements() as statements:
        line = await aw(db.service(OrderLine).get_with(OrderLineReadWithProduct, ids["order"], 1))
    assert len(statements) == 1  # composite key; the product joined
    assert line.product.sku == "P-1" and line.product.id == line.product_id
    db.forget()
    with db.count_statements() as statements:
        both = await aw(db.service(Order).get_with(OrderWithLinesAndCustomer, ids["order"]))
    assert len(statements) == 2  # order joined to its customer, then the lines
    assert both.customer.name == "Ann" and len(both.lines) == 2
    db.forget()
    root = await aw(db.service(Category).list_with(CategoryReadWithParent))
    assert {c.name: (c.parent.name if c.parent else None) for c in root.items} == {
        "root": None,
        "child": "root",
    }
    assert all(isinstance(c.parent, CategoryRead | None) for c in root.items)


async def test_depth_two_shapes_read_one_statement_per_level(db: Db) -> None:
    """The second-level classes of `nested_depth = 2`, through get_with, list_with and
    list_after_with: a to-many level is a statement, a to-one joins the level that loads it."""
    ids = await seed_shop(db)
    service = db.service(Order)
    with db.count_statements() as statements:
        order = await aw(service.get_with(OrderReadWithLinesProduct, ids["order"]))
        _json(order)
    assert len(statements) == 2  # the order; its lines with their products joined
    assert [(line.line_no, line.product.sku) for line in order.lines] == [(0, "P-0"), (1, "P-1")]
    db.forget()
    with db.count_statements() as statements:
        page = await aw(service.list_with(OrderReadWithLinesProduct))
        keyset = await aw(service.list_after_with(OrderReadWithLinesProduct, None, 10))
    assert len(statements) == 4  # each page (the first with its total), then its lines
    assert page.total == 2 and _json(keyset.items) == _json(page.items)
    assert all(line.product.id == line.product_id for o in page.items for line in o.lines)
    db.forget()
    with db.count_statements() as statements:
        cycle = await aw(service.list_with(OrderReadWithCustomerOrders))
    assert len(statements) == 2  # the orders joined to their customer, then its orders
    assert [sorted(o.total for o in item.customer.orders) for item in cycle.items] == [
        [D(10), D(20)],
        [D(10), D(20)],
    ]


async def test_list_with_pages_and_counts(db: Db) -> None:
    await seed_shop(db)
    service = db.service(Customer)
    with db.count_statements() as statements:
        page = await aw(service.list_with(CustomerReadWithOrders, limit=1))
    assert len(statements) == 2  # the page with its total, then the orders
    assert page.total == 2 and page.limit == 1 and len(page.items) == 1
    db.forget()
    whole = await aw(service.list_with(CustomerReadWithOrders))
    assert {c.name: sorted(o.total for o in c.orders) for c in whole.items} == {
        "Ann": [D(10), D(20)],
        "Bob": [],
    }
    db.forget()
    products = await aw(db.service(Product).list_with(ProductReadWithTags))
    assert {p.sku: sorted(t.name for t in p.tags) for p in products.items} == {
        "P-0": ["red"],
        "P-1": ["blue", "red"],
    }
    db.forget()
    with_category = await aw(db.service(Product).list_with(ProductReadWithCategory))
    assert {p.category.name for p in with_category.items if p.category} == {"child"}


async def test_list_after_with_walks_keyset_pages(db: Db) -> None:
    await seed_shop(db)
    service = db.service(Order)
    with db.count_statements() as statements:
        first = await aw(service.list_after_with(OrderReadWithCustomer, None, 1))
    assert len(statements) == 2  # the page's rows, then its customers (column rows)
    assert first.next_cursor is not None and first.items[0].customer.name == "Ann"
    db.forget()
    with db.count_statements() as statements:
        second = await aw(service.list_after_with(OrderReadWithLines, None, 1))
        rest = await aw(service.list_after_with(OrderReadWithLines, second.next_cursor, 5))
    assert len(statements) == 4  # two pages, each with its lines
    assert [o.id for o in second.items + rest.items] == sorted(
        o.id for o in second.items + rest.items
    )
    assert rest.next_cursor is None and [len(o.lines) for o in rest.items] == [2]


SHAPES = (
    (Customer, CustomerReadWithOrders, "orders"),
    (Order, OrderReadWithLines, "lines"),
    (Order, OrderWithLinesAndCustomer, "lines"),
    (Order, OrderReadWithCustomer, None),
    (Category, CategoryReadWithParent, None),  # self-referencing, nullable
    (Product, ProductReadWithCategory, None),  # nullable many-to-one
    (Product, ProductReadWithTags, "tags"),  # many-to-many: the ORM path
    (Customer, CustomerWithOrdersLines, "orders"),  # two levels: the ORM path
    (Order, OrderReadWithLinesProduct, "lines"),  # nested_depth = 2's classes
    (Order, OrderReadWithCustomerOrders, None),
)


def _sorted(items: list[Any], many: str | None) -> list[Any]:
    """Items as plain data, a collection sorted (neither path orders one without order_by)."""
    plain = _json(items)
    for item in plain if many else ():
        item[many].sort(key=lambda related: sorted(related.items()))
    return plain


def test_which_shapes_read_column_rows() -> None:
    assert nested_rows(OrderReadWithLines, OrderRead, Order) is not None
    assert nested_rows(OrderWithLinesAndCustomer, OrderRead, Order) is not None
    assert nested_rows(CategoryReadWithParent, CategoryRead, Category) is not None
    assert nested_rows(ProductReadWithTags, ProductRead, Product) is None  # association table
    assert nested_rows(CustomerWithOrdersLines, CustomerRead, Customer) is None  # two levels
    assert nested_rows(NotARelationship, OrderRead, Order) is None
    assert nested_rows(OrderRead, OrderRead, Order) is None  # nothing nested


async def test_list_with_gives_what_the_orm_path_gives(db: Db) -> None:
    await seed_shop(db)
    for model, shape, many in SHAPES:
        db.forget()
        page = await aw(db.service(model).list_with(shape, limit=10))
        keyset = await aw(db.service(model).list_after_with(shape, None, 10))
        db.forget()
        instances = await aw(db.repo(model).list(limit=10, load=shape_paths(shape)))
        expected = _sorted(to_shapes(shape, instances), many)
        assert expected and _sorted(page.items, many) == expected, shape.__name__
        assert _sorted(keyset.items, many) == expected, shape.__name__
        assert all(type(item) is shape for item in page.items + keyset.items)


async def test_bad_shapes_and_missing_rows(db: Db) -> None:
    ids = await seed_shop(db)
    service = db.service(Order)
    with db.count_statements() as statements, pytest.raises(UnknownLoadError, match="shipment"):
        await aw(service.get_with(NotARelationship, ids["order"]))
    assert statements == []  # refused before any SQL
    with pytest.raises(NotFoundError):
        await aw(service.get_with(OrderReadWithLines, 10**6))
    with pytest.raises(TypeError, match="not a msgspec Struct"):
        shape_paths(int)  # type: ignore[type-var]


async def test_converting_never_queries(db: Db) -> None:
    """The conversion reads attributes only: on an instance read without the shape's loads it
    raises (the repository's raiseload), it never runs the lazy load an encoder would hide."""
    ids = await seed_shop(db)
    order = await aw(db.repo(Order).get(ids["order"]))
    with db.count_statements() as statements:
        with pytest.raises(NotLoadedError, match=r"^Order\.lines was not loaded: pass load="):
            to_shape(OrderReadWithLines, order)
        assert to_shape(OrderRead, order).id == ids["order"]
    assert statements == []


# Values the related rows must carry exactly, whatever form they are read in (on MariaDB a
# relationship whose DTO is ints, decimals and bounded strings is read as JSON_OBJECT rows).
HOSTILE_NAMES = [
    "root",
    "naïve é ß Ω 漢字",
    "😀 emoji outside the BMP",
    'quote " back \\ slash \\u0041 /',
    "tab\tnew\nline\rcr",
    "'; DROP TABLE categories; --",
    '{"json": [1, null]}',
    "\u2028\u2029 separators",
    "\x01\x1f\x7f controls",
    "  padded",
]
HOSTILE_PRICES = [D("-99999999.99"), D("0.00"), D("0.01"), D("12345678.90"), D("-0.50")]
HOSTILE_QUANTITIES = [-(2**31), 2**31 - 1, 0, -1, 1]
BIG_ID = 2**53 + 1  # not a double: a JSON reader that goes through float loses it


async def _seed_hostile(db: Db) -> None:
    names = HOSTILE_NAMES + ([] if db.dialect == "postgresql" else ["nul \x00 inside"])
    root = Category(name=names[0])
    children = [Category(name=name, parent=root) for name in names[1:]]
    product = new_product("BIG", id=BIG_ID)
    customer = new_customer("Hostile")
    order = Order(customer=customer, placed_at=AT, total=D("0.00"), lines=[
        OrderLine(line_no=i, product=product, quantity=q, unit_price=p)
        for i, (q, p) in enumerate(zip(HOSTILE_QUANTITIES, HOSTILE_PRICES, strict=True))
    ])  # fmt: skip
    await db.seed(root, *children, product, customer, order)
    await aw(db.session.connection())
    db.forget()


async def test_hostile_values_read_the_same_on_every_path(db: Db) -> None:
    await _seed_hostile(db)
    cases = (
        (Category, CategoryReadWithChildren, "children"),
        (Category, CategoryReadWithParent, None),
        (Order, OrderReadWithLines, "lines"),
    )
    for model, shape, many in cases:
        db.forget()
        with db.count_statements() as statements:
            page = await aw(db.service(model).list_with(shape, limit=50))
        as_json = any("json_object" in statement.lower() for statement in statements)
        assert as_json == (db.dialect == "mariadb"), (shape.__name__, statements)
        keyset = await aw(db.service(model).list_after_with(shape, None, 50))
        db.forget()
        instances = await aw(db.repo(model).list(limit=50, load=shape_paths(shape)))
        expected = _sorted(to_shapes(shape, instances), many)
        assert _sorted(page.items, many) == expected, shape.__name__
        assert _sorted(keyset.items, many) == expected, shape.__name__
    db.forget()
    orders = await aw(db.service(Order).list_with(OrderReadWithLines))
    lines = orders.items[0].lines
    assert [line.unit_price for line in lines] == HOSTILE_PRICES
    assert [str(line.unit_price) for line in lines] == [str(p) for p in HOSTILE_PRICES]  # scale
    assert [line.quantity for line in lines] == HOSTILE_QUANTITIES
    assert {line.product_id for line in lines} == {BIG_ID}
    db.forget()
    categories = await aw(db.service(Category).list_with(CategoryReadWithChildren))
    root = next(c for c in categories.items if c.parent_id is None)
    names = HOSTILE_NAMES[1:] + ([] if db.dialect == "postgresql" else ["nul \x00 inside"])
    assert sorted(child.name for child in root.children) == sorted(names)


async def test_a_hooks_criteria_reach_the_related_rows(db: Db) -> None:
    """A ``do_orm_execute`` hook's ``with_loader_criteria`` (multi-tenancy's way) applies to the
    related rows' statement: not read as JSON, which would drop the option's entities."""
    await _seed_hostile(db)
    sync_session = db.session.sync_session if db.is_async else db.session

    def hide_negative_lines(state: Any) -> None:
        if state.is_select:
            state.statement = state.statement.options(
                with_loader_criteria(OrderLine, OrderLine.quantity >= 0)
            )

    sa.event.listen(sync_session, "do_orm_execute", hide_negative_lines)
    try:
        with db.count_statements() as statements:
            page = await aw(db.service(Order).list_with(OrderReadWithLines))
    finally:
        sa.event.remove(sync_session, "do_orm_execute", hide_negative_lines)
    assert sorted(line.quantity for line in page.items[0].lines) == [0, 1, 2**31 - 1]
    assert not any("json_object" in statement.lower() for statement in statements)
    seen: list[Any] = []  # a hook that changes nothing: the rows go through Session.execute
    record = seen.append
    sa.event.listen(sync_session, "do_orm_execute", record)
    try:
        db.forget()
        with db.count_statements() as statements:
            page = await aw(db.service(Order).list_with(OrderReadWithLines))
    finally:
        sa.event.remove(sync_session, "do_orm_execute", record)
    assert len(seen) == 2 and [line.quantity for line in page.items[0].lines] == HOSTILE_QUANTITIES
    as_json = any("json_object" in statement.lower() for statement in statements)
    assert as_json == (db.dialect == "mariadb")


def test_which_related_dtos_read_as_json() -> None:
    """Ints, Decimals and bounded strings over plain columns: the rest keeps its columns."""
    lines = sa.inspect(OrderLine)
    assert _JsonRows.of(OrderLineRead, [lines.attrs[n].class_attribute for n in (
        "order_id", "line_no", "product_id", "quantity", "unit_price")], "order_id")  # fmt: skip
    customers = sa.inspect(Customer)
    columns = [customers.attrs[n].class_attribute for n in CustomerRead.__struct_fields__]
    assert _JsonRows.of(CustomerRead, columns, "id") is None  # a UUID, a date, a Text
    products = sa.inspect(Product)
    columns = [products.attrs[n].class_attribute for n in ProductRead.__struct_fields__]
    assert _JsonRows.of(ProductRead, columns, "id") is None  # a float, a JSON, a bool, bytes
