"""Services check a DTO's ``Meta`` constraints before writing it (msgspec checks them only when it
decodes: ``ProductCreate(sku="x" * 300)`` is accepted by the constructor).

Each write method of a service raises ``msgspec.ValidationError`` naming the field, and no
statement reaches the driver. The generated example must be regenerated (``make example``) for
these to pass after a template change.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from shop.db import ProductCreate, ProductUpdate
from shop.models import Product

from ._support import Db, aw, new_product

TOO_LONG = "x" * 41  # sku is String(40): Meta(max_length=40)


def _calls(db: Db, product_id: int) -> dict[str, Callable[[], Any]]:
    service = db.service(Product)
    bad = ProductCreate(sku=TOO_LONG, name="n", price=Decimal("1.00"))
    good = ProductCreate(sku="SKU-9", name="n", price=Decimal("1.00"))
    return {
        "create": lambda: service.create(bad),
        "create_many": lambda: service.create_many([good, bad]),
        "update": lambda: service.update(product_id, ProductUpdate(sku=TOO_LONG)),
        "upsert": lambda: service.upsert(bad, on="sku"),
    }


@pytest.mark.parametrize("write", ["create", "create_many", "update", "upsert"])
async def test_a_dto_that_breaks_a_constraint_is_refused_before_any_sql(
    db: Db, write: str, count_statements: Any
) -> None:
    (product,) = await db.seed(new_product("SKU-1"))
    call = _calls(db, product.id)[write]
    with count_statements() as statements, pytest.raises(msgspec.ValidationError) as caught:
        await aw(call())
    assert "$.sku" in str(caught.value)
    assert statements == []
    # nothing was written and the session goes on
    good = ProductCreate(sku="SKU-2", name="n", price=Decimal("1.00"))
    created = await aw(db.service(Product).create(good))
    assert created.sku == "SKU-2"
