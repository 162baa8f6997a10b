"""The operations bench/runtime.py times: each written three ways, for sync and async sessions.

"ours" calls the generated repository (``ProductRepository`` / ``AsyncProductRepository``).
"hand" is idiomatic SQLAlchemy 2 ORM code written inline with one statement per operation where
the dialect allows it: ``session.get``; a SELECT; ``count(*) OVER ()``; ``SELECT EXISTS``;
``UPDATE ... RETURNING`` (MariaDB: UPDATE, then SELECT); ``INSERT ... ON CONFLICT DO UPDATE
... RETURNING`` (MariaDB: ``ON DUPLICATE KEY UPDATE ... RETURNING``); ``DELETE ... RETURNING``;
for ``insert_many`` one ``insert(Product).returning(Product, sort_by_parameter_order=True)`` with
the rows as parameters; and, as a second delete row, a bare DELETE that returns nothing. "AA"
is Advanced Alchemy's repository with its defaults.

Each operation is written once, as a coroutine that awaits through :func:`aw`: on an
``AsyncSession`` it awaits the coroutine a call returns, on a ``Session`` the value passes
through (the harness drives a sync operation's coroutine by hand; it never suspends).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from advanced_alchemy.filters import LimitOffset, OrderBy
from advanced_alchemy.repository import SQLAlchemyAsyncRepository, SQLAlchemySyncRepository
from shop.db import (
    AsyncProductRepository,
    ProductFilter,
    ProductOrder,
    ProductRepository,
    ProductUpdate,
)
from shop.models import Product
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sublimate_runtime import RangeFilter

D = Decimal
ADD_MANY_ROWS = 1000


class AAProducts(SQLAlchemySyncRepository[Product]):
    model_type = Product


class AAAsyncProducts(SQLAlchemyAsyncRepository[Product]):
    model_type = Product


async def aw(value: Any) -> Any:
    """Await what an async session or repository returns; pass a sync one's value through."""
    return await value if inspect.isawaitable(value) else value


@dataclass(frozen=True)
class Context:
    """What one run of one operation works on."""

    tag: str  # keeps the keys of one run apart
    ids: list[int]  # existing rows (reads, updates)
    doomed: list[int]  # rows this run deletes, one per iteration
    dialect: str  # postgresql, sqlite, mariadb
    is_async: bool

    def ours(self, session: Any) -> Any:
        cls = AsyncProductRepository if self.is_async else ProductRepository
        return cls(session)

    def aa(self, session: Any) -> Any:
        cls = AAAsyncProducts if self.is_async else AAProducts
        return cls(session=session)

    def sku(self, i: int, what: str) -> str:
        return f"{self.tag}-{what}-{i}"

    def row(self, i: int) -> int:
        return self.ids[i % len(self.ids)]


# An operation: (context, session, iteration, prepared input) -> awaitable result.
Op = Callable[[Context, Any, int, Any], Awaitable[object]]
Prepare = Callable[[Context, str, int], Any]  # (context, implementation, iteration) -> input


def new(sku: str) -> Product:
    return Product(sku=sku, name=f"Product {sku}", price=D("10.00"))


def no_input(_ctx: Context, _impl: str, _i: int) -> None:
    return None


def many_input(ctx: Context, impl: str, i: int) -> Any:
    """1,000 new rows, built before the clock starts: objects for ours and AA, dicts for hand."""
    skus = [ctx.sku(i * ADD_MANY_ROWS + j, f"{impl}-many") for j in range(ADD_MANY_ROWS)]
    if impl == "hand":
        return [{"sku": s, "name": f"Product {s}", "price": D("10.00")} for s in skus]
    return [new(s) for s in skus]


PAGE_WHERE = Product.price >= D(5)
OURS_WHERE = ProductFilter(price=RangeFilter(ge=D(5)))
AA_ORDER = [OrderBy("price", "desc"), OrderBy("id", "asc")]
HAND_ORDER = (Product.price.desc(), Product.id.asc())


async def hand_list(_ctx: Context, s: Any, i: int, _: Any) -> object:
    statement = sa.select(Product).where(PAGE_WHERE).order_by(*HAND_ORDER).limit(50)
    return (await aw(s.scalars(statement.offset(i % 100)))).all()


async def hand_list_and_count(_ctx: Context, s: Any, i: int, _: Any) -> object:
    statement = sa.select(Product, sa.func.count().over()).where(PAGE_WHERE)
    statement = statement.order_by(*HAND_ORDER).limit(50).offset(i % 100)
    rows = (await aw(s.execute(statement))).all()
    return [row[0] for row in rows], rows[0][1]


async def hand_exists(_ctx: Context, s: Any, i: int, _: Any) -> object:
    statement = sa.select(sa.exists().where(Product.price >= D(i % 30)))
    return (await aw(s.execute(statement))).scalar_one()


async def hand_update(ctx: Context, s: Any, i: int, _: Any) -> object:
    fresh = {"populate_existing": True}
    update = sa.update(Product).where(Product.id == ctx.row(i)).values(price=D(i % 1000))
    if ctx.dialect != "mariadb":
        return (await aw(s.scalars(update.returning(Product), execution_options=fresh))).one()
    await aw(s.execute(update, execution_options={"synchronize_session": False}))
    select = sa.select(Product).where(Product.id == ctx.row(i))
    return (await aw(s.scalars(select, execution_options=fresh))).one()


async def hand_upsert(ctx: Context, s: Any, i: int, _: Any) -> object:
    row = {"sku": ctx.sku(i % 50, "up"), "name": f"Product {i}", "price": D(i % 1000)}
    statement: Any
    if ctx.dialect == "mariadb":
        insert = mysql.insert(Product).values(row)
        statement = insert.on_duplicate_key_update(
            name=insert.inserted.name, price=insert.inserted.price
        )
    else:
        dialect = postgresql if ctx.dialect == "postgresql" else sqlite
        insert = dialect.insert(Product).values(row)
        statement = insert.on_conflict_do_update(
            index_elements=[Product.sku],
            set_={"name": insert.excluded.name, "price": insert.excluded.price},
        )
    fresh = {"populate_existing": True}
    return (await aw(s.scalars(statement.returning(Product), execution_options=fresh))).one()


async def hand_delete(ctx: Context, s: Any, i: int, _: Any) -> object:
    statement = sa.delete(Product).where(Product.id == ctx.doomed[i]).returning(Product)
    found = (await aw(s.scalars(statement))).one()
    s.expunge(found)
    return found


async def hand_bare_delete(ctx: Context, s: Any, i: int, _: Any) -> object:
    """The issue's A: a DELETE that returns nothing (ours still returns the row)."""
    statement = sa.delete(Product).where(Product.id == ctx.doomed[i])
    return await aw(s.execute(statement, execution_options={"synchronize_session": False}))


async def hand_add(ctx: Context, s: Any, i: int, _: Any) -> object:
    product = new(ctx.sku(i, "hand-add"))
    s.add(product)
    await aw(s.flush())
    return product


async def hand_add_many(_ctx: Context, s: Any, _i: int, rows: Any) -> object:
    statement = sa.insert(Product).returning(Product, sort_by_parameter_order=True)
    return (await aw(s.scalars(statement, rows))).all()


def upsert_product(ctx: Context, i: int) -> Product:
    return Product(sku=ctx.sku(i % 50, "up"), name=f"Product {i}", price=D(i % 1000))


OPERATIONS: dict[str, tuple[Prepare, dict[str, Op]]] = {
    "get": (
        no_input,
        {
            "ours": lambda c, s, i, _: aw(c.ours(s).get(c.row(i))),
            "hand": lambda c, s, i, _: aw(s.get(Product, c.row(i))),
            "AA": lambda c, s, i, _: aw(c.aa(s).get(c.row(i))),
        },
    ),
    "list(50)": (
        no_input,
        {
            "ours": lambda c, s, i, _: aw(
                c.ours(s).list(
                    OURS_WHERE, order_by=ProductOrder.PRICE_DESC, limit=50, offset=i % 100
                )
            ),
            "hand": hand_list,
            "AA": lambda c, s, i, _: aw(
                c.aa(s).get_many(PAGE_WHERE, *AA_ORDER, LimitOffset(limit=50, offset=i % 100))
            ),
        },
    ),
    "list_and_count": (
        no_input,
        {
            "ours": lambda c, s, i, _: aw(
                c.ours(s).list_and_count(
                    OURS_WHERE, order_by=ProductOrder.PRICE_DESC, limit=50, offset=i % 100
                )
            ),
            "hand": hand_list_and_count,
            "AA": lambda c, s, i, _: aw(
                c.aa(s).list_and_count(PAGE_WHERE, *AA_ORDER, LimitOffset(limit=50, offset=i % 100))
            ),
        },
    ),
    "exists": (
        no_input,
        {
            "ours": lambda c, s, i, _: aw(
                c.ours(s).exists(ProductFilter(price=RangeFilter(ge=D(i % 30))))
            ),
            "hand": hand_exists,
            "AA": lambda c, s, i, _: aw(c.aa(s).exists(Product.price >= D(i % 30))),
        },
    ),
    "update": (
        no_input,
        {
            "ours": lambda c, s, i, _: aw(
                c.ours(s).update(c.row(i), ProductUpdate(price=D(i % 1000)))
            ),
            "hand": hand_update,
            "AA": lambda c, s, i, _: aw(c.aa(s).update(Product(id=c.row(i), price=D(i % 1000)))),
        },
    ),
    "upsert (existing key)": (
        no_input,
        {
            "ours": lambda c, s, i, _: aw(c.ours(s).upsert(upsert_product(c, i), on="sku")),
            "hand": hand_upsert,
            "AA": lambda c, s, i, _: aw(c.aa(s).upsert(upsert_product(c, i), match_fields="sku")),
        },
    ),
    "delete": (
        no_input,
        {
            "ours": lambda c, s, i, _: aw(c.ours(s).delete(c.doomed[i])),
            "hand": hand_delete,
            "AA": lambda c, s, i, _: aw(c.aa(s).delete(c.doomed[i])),
        },
    ),
    "delete (hand: bare DELETE)": (
        no_input,
        {
            "ours": lambda c, s, i, _: aw(c.ours(s).delete(c.doomed[i])),
            "hand": hand_bare_delete,
            "AA": lambda c, s, i, _: aw(c.aa(s).delete(c.doomed[i])),
        },
    ),
    "add": (
        no_input,
        {
            "ours": lambda c, s, i, _: aw(c.ours(s).add(new(c.sku(i, "ours-add")))),
            "hand": hand_add,
            "AA": lambda c, s, i, _: aw(c.aa(s).add(new(c.sku(i, "aa-add")))),
        },
    ),
    "insert_many (1,000 rows)": (
        many_input,
        {
            "ours": lambda c, s, _i, rows: aw(c.ours(s).insert_many(rows)),
            "hand": hand_add_many,
            "AA": lambda c, s, _i, rows: aw(c.aa(s).add_many(rows)),
        },
    ),
}
