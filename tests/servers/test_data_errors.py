"""A value the database refuses is a typed ``DataError`` naming the column, on every write path.

SQLite, PostgreSQL and MariaDB, sync and async (the generated example's repositories). Without
the translation PostgreSQL leaves the session needing a rollback (``PendingRollbackError`` on its
next use) and the caller sees a driver exception. After the error the same session must write and
commit, and what was written before the error in that transaction is not committed.

SQLite enforces no length or precision (``sku`` of 300 characters is stored as it is): there the
one data error is an integer beyond 64 bits, which every backend refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from behaviour._support import Db, aw, new_product
from shop.db import ProductUpdate
from shop.models import Product, Tag
from sublimate_runtime import DataError

TOO_LONG = "x" * 300  # sku is String(40), name String(200)
OVERFLOW = Decimal("123456789012.5")  # price is Numeric(10, 2)
HUGE = 10**19  # beyond BIGINT, and beyond what sqlite3 can bind


async def refused(db: Db, failing: Callable[[], Any]) -> DataError:
    """Write a row, run ``failing``: a DataError, the row not kept, the session still usable."""
    await aw(db.repo(Tag).add(Tag(name="written before the error")))
    with pytest.raises(DataError) as caught:
        await aw(failing())
    await db.commit()
    assert await db.scalars(sa.select(Tag.name).where(Tag.name.like("written%"))) == []
    await aw(db.repo(Tag).add(Tag(name="written after the error")))
    await db.commit()
    assert await db.scalars(sa.select(Tag.name)) == ["written after the error"]
    return caught.value


def _product(sku: str, bad: dict[str, Any]) -> Product:
    product = new_product(sku)
    for name, value in bad.items():
        setattr(product, name, value)
    return product


def _writes(db: Db, product_id: int, bad: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    repo = db.repo(Product)

    def changed() -> Product:
        product = _product("SKU-1", bad)
        product.id = product_id
        return product

    return {
        "add": lambda: repo.add(_product("SKU-2", bad)),
        "add_many": lambda: repo.add_many([new_product("SKU-2"), _product("SKU-3", bad)]),
        "update": lambda: repo.update(product_id, ProductUpdate(**bad)),
        "update_many": lambda: repo.update_many([changed()]),
        "upsert": lambda: repo.upsert(_product("SKU-2", bad)),
        "upsert_many": lambda: repo.upsert_many([new_product("SKU-2"), _product("SKU-3", bad)]),
    }


WRITES = ["add", "add_many", "update", "update_many", "upsert", "upsert_many"]
VALUES: dict[str, tuple[str, dict[str, Any]]] = {
    "too_long": ("sku", {"sku": TOO_LONG}),
    "numeric_overflow": ("price", {"price": OVERFLOW}),
}


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("value", list(VALUES))
async def test_a_refused_value_is_a_data_error_naming_the_column(
    db: Db, write: str, value: str
) -> None:
    if db.dialect == "sqlite":
        pytest.skip("SQLite stores any length and precision (see the integer test below)")
    if (write, value) == ("update", "numeric_overflow"):
        pytest.skip("ProductUpdate refuses the decimal itself (check_decimal), before any SQL")
    (product,) = await db.seed(new_product("SKU-1"))
    column, bad = VALUES[value]
    error = await refused(db, _writes(db, product.id, bad)[write])
    assert (error.model, error.column) == ("Product", column)
    assert error.original is not None
    db.forget()
    assert await db.scalars(sa.select(Product.sku)) == ["SKU-1"]


@pytest.mark.parametrize("write", ["add", "add_many", "upsert"])
async def test_an_integer_beyond_64_bits_is_a_data_error_everywhere(db: Db, write: str) -> None:
    repo = db.repo(Tag)
    calls = {
        "add": lambda: repo.add(Tag(id=HUGE, name="huge")),
        "add_many": lambda: repo.add_many([Tag(id=7, name="seven"), Tag(id=HUGE, name="huge")]),
        "upsert": lambda: repo.upsert(Tag(id=HUGE, name="huge")),
    }
    error = await refused(db, calls[write])
    assert (error.model, error.column) == ("Tag", "id")


async def test_delete_with_a_key_out_of_range_is_a_data_error(db: Db) -> None:
    if db.dialect == "mariadb":
        pytest.skip("MariaDB compares an out-of-range key without error: nothing to delete")
    error = await refused(db, lambda: db.repo(Tag).delete_many([HUGE]))
    assert error.model == "Tag"
