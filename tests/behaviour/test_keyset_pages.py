"""Keyset pages over any order, both directions, on every engine (SQLite, PostgreSQL, MariaDB;
sync and async): the pages concatenate to exactly `list(order_by=...)`, NULLs sort greatest
(last ascending, first descending) everywhere, one statement per page, and a cursor is refused
when reused with another order, filter or model, or tampered with."""

from __future__ import annotations

import base64
import datetime
import itertools
import json
from decimal import Decimal
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from shop.db import CustomerFilter
from shop.models import Customer, Order, OrderLine, Product
from sublimate_runtime import InvalidCursorError

from ._support import Db, at, aw, new_customer, new_product

NAMES = ["Ann", "Bob", "Ann", "Cid", "Bob", "Ann", "Dee", "Cid", "Eve", "Ann", "Bob", "Fay", "Ann"]
DAYS = [None, 3, 3, None, 1, 7, None, 3, 1, None, 7, 3, None]
NOTES = ["x", None, "y", "x", None, None, "y", "x", None, "x", "y", None, None]
LIMIT = 3
# Two columns, each ascending or descending: name/birthday (NULLs in the second), birthday/note
# (NULLs in both), note/name (NULLs in the first).
PAIRS = [("name", "birthday"), ("birthday", "note"), ("note", "name")]
ORDERS = [
    (f"{sa}{a}", f"{sb}{b}")
    for (a, b) in PAIRS
    for sa, sb in itertools.product(("", "-"), repeat=2)
]


def day(n: int | None) -> datetime.date | None:
    return None if n is None else datetime.date(1990, 1, n)


async def seed(db: Db) -> None:
    rows = zip(NAMES, DAYS, NOTES, strict=True)
    customers = [
        new_customer(name, email=f"c{i}@example.com", birthday=day(n), note=note)
        for i, (name, n, note) in enumerate(rows)
    ]
    await db.seed(*customers)


def _greatest_null(value: Any) -> tuple[bool, Any]:
    return (value is None, value if value is not None else 0)


def expected_projection(rows: list[Any], order: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """The sort columns of `rows`, sorted in Python: NULLs greatest, "-" descending."""
    attrs = [term.removeprefix("-") for term in order]
    projected = [tuple(getattr(row, attr) for attr in attrs) for row in rows]
    for index in reversed(range(len(order))):
        projected.sort(key=lambda p: _greatest_null(p[index]), reverse=order[index][0] == "-")
    return projected


async def walk(repo: Any, order: Any, limit: int = LIMIT, where: Any = None) -> list[Any]:
    """Every page from the first, following next_cursor."""
    pages = [await aw(repo.list_after(None, limit, where=where, order_by=order))]
    while pages[-1].next_cursor is not None:
        assert len(pages) < 50
        cursor = pages[-1].next_cursor
        pages.append(await aw(repo.list_after(cursor, limit, where=where, order_by=order)))
    return pages


async def walk_back(repo: Any, page: Any, order: Any, where: Any = None) -> list[Any]:
    """Every page before `page`, following prev_cursor; nearest first."""
    pages = []
    while page.prev_cursor is not None:
        assert len(pages) < 50
        page = await aw(repo.list_after(page.prev_cursor, LIMIT, where=where, order_by=order))
        pages.append(page)
    return pages


def ids(items: list[Any]) -> list[Any]:
    return [item.id for item in items]


async def test_pages_walk_every_order_both_ways(db: Db) -> None:
    await seed(db)
    repo = db.repo(Customer)
    for order in ORDERS:
        listed = await aw(repo.list(order_by=list(order)))
        projection = [tuple(getattr(c, t.removeprefix("-")) for t in order) for c in listed]
        assert projection == expected_projection(listed, order), order
        forward = await walk(repo, list(order))
        assert ids([c for page in forward for c in page.items]) == ids(listed), order
        assert [len(page.items) for page in forward] == [3, 3, 3, 3, 1]
        assert forward[0].prev_cursor is None
        backward = await walk_back(repo, forward[-1], list(order))
        assert [ids(p.items) for p in reversed(backward)] == [ids(p.items) for p in forward[:-1]]
        for back, ahead in zip(backward, reversed(forward[1:]), strict=True):
            assert back.next_cursor is not None
            following = await aw(repo.list_after(back.next_cursor, LIMIT, order_by=list(order)))
            assert ids(following.items) == ids(ahead.items), order


async def test_list_sorts_nulls_greatest_on_every_database(db: Db) -> None:
    await seed(db)
    repo = db.repo(Customer)
    ascending = [c.birthday for c in await aw(repo.list(order_by="birthday"))]
    descending = [c.birthday for c in await aw(repo.list(order_by="-birthday"))]
    nulls = DAYS.count(None)
    assert ascending[-nulls:] == [None] * nulls and None not in ascending[:-nulls]
    assert descending[:nulls] == [None] * nulls and None not in descending[nulls:]
    assert ascending[:-nulls] == sorted(day(n) for n in DAYS if n is not None)


async def test_one_statement_per_page_either_way(db: Db) -> None:
    await seed(db)
    repo = db.repo(Customer)
    order = ["-note", "birthday"]
    first = await aw(repo.list_after(None, LIMIT, order_by=order))
    for cursor in (first.next_cursor, None):
        with db.count_statements() as statements:
            page = await aw(repo.list_after(cursor, LIMIT, order_by=order))
        assert len(statements) == 1
    with db.count_statements() as statements:
        back = await aw(repo.list_after(page.next_cursor, LIMIT, order_by=order))
        await aw(repo.list_after(back.prev_cursor, LIMIT, order_by=order))
    assert len(statements) == 2


async def test_a_filtered_walk_stays_in_the_filter(db: Db) -> None:
    await seed(db)
    repo = db.repo(Customer)
    where = msgspec.convert({"name": {"in": ["Ann", "Bob"]}}, CustomerFilter)
    pages = await walk(repo, ["-birthday"], where=where)
    items = [c for page in pages for c in page.items]
    assert ids(items) == ids(await aw(repo.list(where, order_by="-birthday")))
    assert {c.name for c in items} == {"Ann", "Bob"} and len(items) == 8
    expression = [Customer.note.is_not(None), Customer.name != "Eve"]
    pages = await walk(repo, "note", where=expression)  # an expression built again each page
    items = [c for page in pages for c in page.items]
    assert ids(items) == ids(await aw(repo.list(expression, order_by="note")))


async def test_a_cursor_is_bound_to_its_order_filter_and_model(db: Db) -> None:
    await seed(db)
    await db.seed(new_product("P1"))
    repo = db.repo(Customer)
    ann = msgspec.convert({"name": {"eq": "Ann"}}, CustomerFilter)
    cursor = (await aw(repo.list_after(None, 2, where=ann, order_by="birthday"))).next_cursor
    assert cursor is not None
    same = msgspec.convert({"name": {"eq": "Ann"}}, CustomerFilter)  # equal, not the same object
    assert len((await aw(repo.list_after(cursor, 2, where=same, order_by="birthday"))).items) == 2
    bob = msgspec.convert({"name": {"eq": "Bob"}}, CustomerFilter)
    for where, order in [(ann, "-birthday"), (ann, ["birthday", "note"]), (bob, "birthday"),
                         (None, "birthday"), (Customer.name == "Ann", "birthday")]:  # fmt: skip
        with pytest.raises(InvalidCursorError, match="another order or filter"):
            await aw(repo.list_after(cursor, 2, where=where, order_by=order))
    expression = (await aw(repo.list_after(None, 2, where=Customer.name == "Ann"))).next_cursor
    assert (await aw(repo.list_after(expression, 2, where=Customer.name == "Ann"))).items
    with pytest.raises(InvalidCursorError, match="another order or filter"):
        await aw(repo.list_after(expression, 2, where=Customer.name == "Bob"))
    with pytest.raises(InvalidCursorError, match="another order or filter"):
        await aw(db.repo(Product).list_after(cursor, 2))
    assert await aw(repo.count()) == len(NAMES)  # nothing rolled back


def forged(cursor: str, change: Any) -> str:
    """`cursor` with its JSON changed by `change` (the fingerprint kept unless changed)."""
    raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw = change(raw)
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).rstrip(b"=").decode()


def values(*new: Any) -> Any:
    return lambda raw: [raw[0], raw[1], list(new)]


async def test_tampered_cursors_are_invalid_cursor_errors(db: Db) -> None:
    await seed(db)
    repo = db.repo(Customer)
    order = ["name", "birthday"]
    cursor = (await aw(repo.list_after(None, 2, order_by=order))).next_cursor
    assert cursor is not None
    uid = "00000000-0000-0000-0000-000000000000"
    bad = [
        forged(cursor, values("A\x00", None, uid)),  # NUL: PostgreSQL cannot hold it
        forged(cursor, values("A" * 101, None, uid)),  # longer than String(100)
        forged(cursor, values("Ann", "not a date", uid)),
        forged(cursor, values("Ann", None, "not a uuid")),
        forged(cursor, values("Ann", None)),  # a value short
        forged(cursor, values("Ann", None, uid, 1)),
        forged(cursor, lambda raw: [raw[0], "!", raw[2]]),  # no such direction
        forged(cursor, lambda raw: {"a": 1}),
        forged(cursor, lambda raw: [raw[0] * 1000, raw[1], raw[2]]),
        "A" * 9000,
        "not base64!",
        cursor[:-4],
    ]
    for text in bad:
        with pytest.raises(InvalidCursorError):
            await aw(repo.list_after(text, 2, order_by=order))
    ok = await aw(repo.list_after(forged(cursor, values("Bz", None, uid)), 20, order_by=order))
    assert [c.name for c in ok.items] == sorted(n for n in NAMES if n > "Bz")  # placed, no error
    products = db.repo(Product)
    await db.seed(new_product("P1", weight=1.5, category_id=None), new_product("P2"))
    order = ["-price", "category_id"]
    cursor = (await aw(products.list_after(None, 1, order_by=order))).next_cursor
    assert cursor is not None
    for text in [
        forged(cursor, values("NaN", None, 1)),  # a decimal must be finite
        forged(cursor, values("10.00", 2**31, 1)),  # beyond INTEGER
        forged(cursor, values("10.00", None, 2**63)),  # beyond BIGINT
    ]:
        with pytest.raises(InvalidCursorError):
            await aw(products.list_after(text, 1, order_by=order))


async def test_an_emptied_page_points_back(db: Db) -> None:
    await seed(db)
    repo = db.repo(Customer)
    order = ["name"]
    pages = await walk(repo, order)
    after_second = pages[1].next_cursor
    kept = ids(pages[0].items + pages[1].items)
    await aw(db.session.execute(sa.delete(Customer).where(Customer.id.not_in(kept))))
    await db.commit()
    empty = await aw(repo.list_after(after_second, LIMIT, order_by=order))
    assert (empty.items, empty.next_cursor) == ([], None)
    back = await aw(repo.list_after(empty.prev_cursor, LIMIT, order_by=order))
    assert ids(back.items) == ids(pages[1].items)  # the rows up to the cursor's, included
    first = await aw(repo.list_after(back.prev_cursor, LIMIT, order_by=order))
    assert (ids(first.items), first.prev_cursor) == (ids(pages[0].items), None)
    await aw(db.session.execute(sa.delete(Customer)))
    await db.commit()
    nothing = await aw(repo.list_after(back.prev_cursor, LIMIT, order_by=order))
    assert (nothing.items, nothing.prev_cursor) == ([], None) and nothing.next_cursor is not None


async def test_typed_orders_and_a_composite_key(db: Db) -> None:
    customer = new_customer("Oz")
    await db.seed(customer)
    when = [at(2024, 1, 1), at(2024, 1, 2), at(2024, 1, 1), at(2024, 1, 3), at(2024, 1, 2)]
    orders = [
        Order(customer_id=customer.id, placed_at=t, total=Decimal(f"{i % 2}.50"))
        for i, t in enumerate(when)
    ]
    await db.seed(*orders)
    await db.seed(new_product("P1"))
    product_id = (await db.scalars(sa.select(Product.id)))[0]
    lines = [
        OrderLine(order_id=o.id, line_no=n, product_id=product_id, quantity=(n * 7) % 3,
                  unit_price=Decimal("1.00"))
        for o in orders for n in range(1, 4)
    ]  # fmt: skip
    await db.seed(*lines)
    for repo, order in [
        (db.repo(Order), ["-placed_at", "total"]),  # an aware timestamp (naive from SQLite)
        (db.repo(OrderLine), ["-quantity"]),  # a composite key breaks the ties
    ]:
        listed = await aw(repo.list(order_by=order))
        forward = await walk(repo, order, limit=2)
        walked = [item for page in forward for item in page.items]
        assert walked == listed
        backward = await walk_back(repo, forward[-1], order)
        assert [item for page in reversed(backward) for item in page.items] == [
            item for page in forward[:-1] for item in page.items
        ]
