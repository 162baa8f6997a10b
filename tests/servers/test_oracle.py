"""A behavioural oracle: Advanced Alchemy's generic repository and ours must agree.

The same sequence of operations (add, add_many, get, list with filters and order, count, update,
upsert, delete, delete_where) runs through `advanced_alchemy.repository.SQLAlchemySyncRepository`
on one database and through the generated repositories on another, on SQLite, PostgreSQL and
MariaDB; every result and the final tables must be equal: same rows, same order, same counts.

Surrogate keys are compared through the natural key (sku): an upsert that updates still uses a
sequence value on PostgreSQL and an AUTO_INCREMENT value on MariaDB, so later ids differ between
the two databases (a deliberate difference, see the README). Advanced Alchemy 1.12 imports fine
on SQLAlchemy 2.1; only its JsonB type is broken there, and these models do not use it.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from shop.db import (
    CustomerRepository,
    ProductFilter,
    ProductOrder,
    ProductRepository,
    ProductUpdate,
)
from shop.models import Base, Customer, Product, ProductStatus
from sqlalchemy.orm import Session
from sublimate_runtime import EqFilter, RangeFilter, TextFilter, create_engine

advanced_alchemy = pytest.importorskip("advanced_alchemy")
from advanced_alchemy.filters import LimitOffset, OrderBy  # noqa: E402
from advanced_alchemy.repository import SQLAlchemySyncRepository  # noqa: E402

D = Decimal
PRODUCT_FIELDS = ("sku", "name", "price", "status", "attributes", "weight", "is_featured")
CUSTOMER_FIELDS = ("id", "email", "name", "birthday", "note")


class AAProducts(SQLAlchemySyncRepository[Product]):
    model_type = Product


class AACustomers(SQLAlchemySyncRepository[Customer]):
    model_type = Customer


def product(sku: str, price: str, **values: Any) -> Product:
    values.setdefault("name", f"Product {sku}")
    return Product(sku=sku, price=D(price), **values)


def seen(item: Any) -> tuple[Any, ...]:
    """What a caller sees of a returned object, surrogate key left out."""
    fields = PRODUCT_FIELDS if isinstance(item, Product) else CUSTOMER_FIELDS
    return tuple(getattr(item, name) for name in fields)


def catalog() -> list[Product]:
    statuses = [ProductStatus.ACTIVE, ProductStatus.DRAFT, ProductStatus.RETIRED]
    return [
        product(
            f"P-{i:02d}",
            f"{(i * 7) % 20}.50",
            status=statuses[i % 3],
            is_featured=i % 4 == 0,
            weight=None if i % 5 == 0 else i / 4,
            attributes={"n": i},
        )
        for i in range(20)
    ]


def run_advanced_alchemy(session: Session) -> list[Any]:
    products, customers = AAProducts(session=session), AACustomers(session=session)
    out: list[Any] = []
    out.append(seen(products.add(product("SOLO", "3.00"))))
    added = products.add_many(catalog())
    out.append([seen(p) for p in added])
    ids = {p.sku: p.id for p in added}
    out.append(seen(products.get(ids["P-07"])))
    where = [Product.price >= D(5), Product.status.in_([ProductStatus.ACTIVE, ProductStatus.DRAFT])]
    order = [OrderBy("price", "desc"), OrderBy("id", "asc")]
    out.append([seen(p) for p in products.get_many(*where, *order)])
    out.append([seen(p) for p in products.get_many(*where, *order, LimitOffset(limit=4, offset=3))])
    out.append([seen(p) for p in products.get_many(Product.name.startswith("Product P-1"), *order)])
    out.append(products.count(*where))
    changed = Product(id=ids["P-03"], name="Renamed", price=D("99.00"), weight=None)
    out.append(seen(products.update(changed)))
    out.append(seen(products.upsert(product("P-04", "1.25", name="Upserted"), match_fields="sku")))
    out.append(seen(products.upsert(product("NEW-1", "2.25"), match_fields="sku")))
    out.append(seen(products.delete(ids["P-05"])))
    gone = products.delete_where(Product.is_featured.is_(True))
    out.append(sorted(seen(p) for p in gone))
    out.append(products.count())
    ann = Customer(id=uuid.UUID(int=1), email="ann@example.com", name="Ann")
    out.append(seen(customers.add(ann)))
    again = Customer(id=uuid.UUID(int=2), email="ann@example.com", name="Ann B.", note="vip")
    out.append(seen(customers.upsert(again, match_fields="email")))
    session.commit()
    return out


def run_ours(session: Session) -> list[Any]:
    products, customers = ProductRepository(session), CustomerRepository(session)
    out: list[Any] = []
    out.append(seen(products.add(product("SOLO", "3.00"))))
    added = products.add_many(catalog())
    out.append([seen(p) for p in added])
    ids = {p.sku: p.id for p in added}
    out.append(seen(products.get(ids["P-07"])))
    where = ProductFilter(
        price=RangeFilter(ge=D(5)),
        status=EqFilter(in_=[ProductStatus.ACTIVE, ProductStatus.DRAFT]),
    )
    order = ProductOrder.PRICE_DESC
    out.append([seen(p) for p in products.list(where, order_by=order)])
    out.append([seen(p) for p in products.list(where, order_by=order, limit=4, offset=3)])
    prefix = ProductFilter(name=TextFilter(startswith="Product P-1"))
    out.append([seen(p) for p in products.list(prefix, order_by=order)])
    out.append(products.count(where))
    changes = ProductUpdate(name="Renamed", price=D("99.00"), weight=None)
    out.append(seen(products.update(ids["P-03"], changes)))
    out.append(seen(products.upsert(product("P-04", "1.25", name="Upserted"), on="sku")))
    out.append(seen(products.upsert(product("NEW-1", "2.25"), on="sku")))
    out.append(seen(products.delete(ids["P-05"])))
    gone = products.delete_where(ProductFilter(is_featured=EqFilter(eq=True)))
    out.append(sorted(seen(p) for p in gone))
    out.append(products.count())
    ann = Customer(id=uuid.UUID(int=1), email="ann@example.com", name="Ann")
    out.append(seen(customers.add(ann)))
    again = Customer(id=uuid.UUID(int=2), email="ann@example.com", name="Ann B.", note="vip")
    out.append(seen(customers.upsert(again, on="email")))
    session.commit()
    return out


def table(session: Session) -> list[tuple[Any, ...]]:
    products = session.scalars(sa.select(Product).order_by(Product.sku)).all()
    customers = session.scalars(sa.select(Customer).order_by(Customer.email)).all()
    return [seen(p) for p in products] + [
        (*seen(c), isinstance(c.created_at, datetime.datetime)) for c in customers
    ]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mysql"])
def test_advanced_alchemy_and_sublimate_agree(backend: str, scratch_database: Any) -> None:
    results = {}
    tables = {}
    for name, run in (("advanced_alchemy", run_advanced_alchemy), ("sublimate", run_ours)):
        database = scratch_database(backend, schema=True)
        engine = create_engine(database.url, connect_args=database.connect_args)
        Base.metadata.create_all(engine)
        with Session(engine, expire_on_commit=False) as session:
            results[name] = run(session)
        with Session(engine) as session:
            tables[name] = table(session)
        engine.dispose()
    ours, theirs = results["sublimate"], results["advanced_alchemy"]
    assert len(ours) == len(theirs)
    for step, (mine, other) in enumerate(zip(ours, theirs, strict=True)):
        assert mine == other, f"step {step}"
    assert tables["sublimate"] == tables["advanced_alchemy"]
    assert len(tables["sublimate"]) == 17  # 22 products - 1 deleted - 5 featured, 1 customer
