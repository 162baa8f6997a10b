"""A tour of the generated data access for the shop, on an in-memory SQLite database.

Run it from this directory: `python demo.py`. It prints one line per step.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from sqlalchemy.orm import Session
from sublimate_runtime import RangeFilter, TextFilter, create_engine

from shop.db import (
    CategoryRepository,
    CustomerCreate,
    CustomerService,
    OrderLineRepository,
    OrderRepository,
    ProductCreate,
    ProductFilter,
    ProductOrder,
    ProductRepository,
    ProductService,
    ProductUpdate,
    TagRepository,
)
from shop.models import Base, Category, Order, OrderLine, Product, ProductStatus, Tag


def main() -> None:
    engine = create_engine()  # embedded default: SQLite in memory
    Base.metadata.create_all(engine)

    with Session(engine, expire_on_commit=False) as session:
        customers = CustomerService(session)
        products = ProductService(session)
        product_repository = ProductRepository(session)

        ann = customers.create(CustomerCreate(email="ann@example.com", name="Ann Lee"))
        print(f"created customer {ann.name} <{ann.email}> id={ann.id}")

        categories = CategoryRepository(session)
        clothing = categories.add(Category(name="Clothing"))
        shirts = categories.add(Category(name="Shirts", parent_id=clothing.id))
        print(f"created categories {clothing.name} > {shirts.name}")

        cotton, summer = TagRepository(session).add_many([Tag(name="cotton"), Tag(name="summer")])
        tee = product_repository.add(
            Product(
                sku="TEE-001",
                name="Cotton tee",
                price=Decimal("19.99"),
                category_id=shirts.id,
                attributes={"sizes": ["S", "M", "L"]},
                tags=[cotton, summer],
            )
        )
        polo = product_repository.add(
            Product(sku="POLO-001", name="Polo shirt", price=Decimal("29.50"), tags=[cotton])
        )
        more = product_repository.add_many(
            [
                Product(sku="MUG-001", name="Mug", price=Decimal("9.99")),
                Product(sku="CAP-001", name="Cap", price=Decimal("14.00"), is_featured=True),
                Product(
                    sku="SCARF-001",
                    name="Scarf",
                    price=Decimal("35.00"),
                    status=ProductStatus.DRAFT,
                ),
            ]
        )
        print(f"created {2 + len(more)} products, {tee.sku} tagged {[t.name for t in tee.tags]}")

        order = OrderRepository(session).add(
            Order(
                customer_id=ann.id,
                placed_at=datetime.datetime(2024, 5, 1, 10, 30, tzinfo=datetime.UTC),
                total=Decimal("69.48"),
            )
        )
        lines = OrderLineRepository(session).add_many(
            [
                OrderLine(
                    order_id=order.id,
                    line_no=1,
                    product_id=tee.id,
                    quantity=2,
                    unit_price=tee.price,
                ),
                OrderLine(
                    order_id=order.id,
                    line_no=2,
                    product_id=polo.id,
                    quantity=1,
                    unit_price=polo.price,
                ),
            ]
        )
        print(
            f"placed order {order.id} ({order.status}) with {len(lines)} lines, total {order.total}"
        )
        session.commit()

        page = products.list(
            ProductFilter(price=RangeFilter(lt=Decimal("30")), name=TextFilter(ilike="%o%")),
            order_by=ProductOrder.PRICE_DESC,
        )
        listed = ", ".join(f"{p.name} {p.price}" for p in page.items)
        print(f"listed {page.total} products under 30 with an 'o', dearest first: {listed}")

        cheaper = products.update(tee.id, ProductUpdate(price=Decimal("17.99")))
        print(f"updated {cheaper.sku}: price {cheaper.price}, name still {cheaper.name!r}")

        upserted = products.upsert(
            ProductCreate(sku="MUG-001", name="Large mug", price=Decimal("11.50")), on="sku"
        )
        print(f"upserted {upserted.sku}: now {upserted.name!r} at {upserted.price}")

        keyset = product_repository.list_after(None, limit=2)
        pages = [[p.sku for p in keyset.items]]
        while keyset.next_cursor is not None:
            keyset = product_repository.list_after(keyset.next_cursor, limit=2)
            pages.append([p.sku for p in keyset.items])
        print(f"paginated with list_after, 2 per page: {pages}")

        deleted = products.delete(more[2].id)
        print(f"deleted {deleted.sku} ({deleted.status.value}); {products.count()} products left")
        session.commit()


if __name__ == "__main__":
    main()
