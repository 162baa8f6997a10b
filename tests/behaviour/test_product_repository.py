"""ProductRepository / AsyncProductRepository: BigInteger key, enum, JSON, numeric, binary, tags."""

from __future__ import annotations

import datetime
from decimal import Decimal

import msgspec
import pytest
import sqlalchemy as sa
from shop.db import ProductFilter, ProductOrder, ProductUpdate
from shop.models import (
    Category,
    Customer,
    Order,
    OrderLine,
    Product,
    ProductStatus,
    Tag,
    product_tags,
)
from sublimate_runtime import (
    ConflictError,
    EqFilter,
    ForeignKeyError,
    NotFoundError,
    RangeFilter,
    TextFilter,
)

from ._support import Db, at, aw, keys, new_product, walk_keyset

D = Decimal


def where(**fields: object) -> ProductFilter:
    """A filter built the way an API would from query parameters (covers Nullable* filters)."""
    return msgspec.convert(fields, ProductFilter)


async def seed_catalog(db: Db) -> dict[str, Product]:
    clothing, toys = await db.seed(Category(name="Clothing"), Category(name="Toys"))
    products = await db.seed(
        new_product(
            "TEE-100", name="100% cotton tee", price=D("19.99"), category_id=clothing.id, weight=0.2
        ),
        new_product(
            "PZL-1000",
            name="1000 piece puzzle",
            price=D("24.50"),
            category_id=toys.id,
            is_featured=True,
        ),
        new_product(
            "SCF-100", name="100 pct wool scarf", price=D("35.00"), category_id=clothing.id
        ),
        new_product(
            "MUG-1", name="snake_case mug", price=D("9.99"), status=ProductStatus.DRAFT, weight=0.4
        ),
        new_product("MUG-2", name="snakeXcase mug", price=D("9.99"), status=ProductStatus.RETIRED),
        new_product("CAP-1", name="plain cap", price=D("12.00"), is_featured=True, weight=0.1),
    )
    return {p.sku: p for p in products}


async def test_add_round_trips_every_column_type(db: Db) -> None:
    repo = db.repo(Product)
    added = await aw(
        repo.add(
            Product(
                sku="LAMP-1",
                name="Desk lamp",
                price=D("49.95"),
                status=ProductStatus.DRAFT,
                attributes={"color": "red", "sizes": ["S", "M"], "watt": 40, "dimmable": True},
                weight=1.25,
                is_featured=True,
                warranty=datetime.timedelta(days=730, hours=6),
                thumbnail=b"\x89PNG\r\n\x1a\n\x00\xff",
            )
        )
    )
    assert isinstance(added.id, int) and added.id > 0
    await db.commit()
    db.forget()
    product = await aw(repo.get(added.id))
    assert product.sku == "LAMP-1"
    assert product.price == D("49.95") and isinstance(product.price, Decimal)
    assert product.status is ProductStatus.DRAFT
    assert product.attributes == {"color": "red", "sizes": ["S", "M"], "watt": 40, "dimmable": True}
    assert product.weight == 1.25
    assert product.is_featured is True
    assert product.warranty == datetime.timedelta(days=730, hours=6)
    assert product.thumbnail == b"\x89PNG\r\n\x1a\n\x00\xff"
    assert product.category_id is None


async def test_add_applies_the_model_defaults(db: Db) -> None:
    repo = db.repo(Product)
    product = await aw(repo.add(Product(sku="P-1", name="Plain", price=D("1.00"))))
    assert product.status is ProductStatus.ACTIVE
    assert product.attributes == {}
    assert product.is_featured is False
    await db.commit()
    assert await db.column(Product.status) == [ProductStatus.ACTIVE]


async def test_add_with_tags_writes_the_association(db: Db) -> None:
    cotton, summer, _ = await db.seed(Tag(name="cotton"), Tag(name="summer"), Tag(name="winter"))
    product = await aw(db.repo(Product).add(new_product("TEE-1", tags=[cotton, summer])))
    await db.commit()
    tag_ids = await db.scalars(
        sa.select(product_tags.c.tag_id).where(product_tags.c.product_id == product.id)
    )
    assert sorted(tag_ids) == sorted([cotton.id, summer.id])


async def test_add_many_inserts_a_thousand_rows_in_order_with_defaults(db: Db) -> None:
    repo = db.repo(Product)
    skus = [f"BULK-{i:04d}" for i in range(1000)]
    added = await aw(repo.add_many([Product(sku=s, name=s, price=D("2.50")) for s in skus]))
    assert keys(added, "sku") == skus
    ids = keys(added, "id")
    assert all(isinstance(i, int) for i in ids)
    assert len(set(ids)) == 1000
    assert {p.status for p in added} == {ProductStatus.ACTIVE}
    assert all(p.attributes == {} and p.is_featured is False for p in added)
    await db.commit()
    assert await db.rows(Product) == 1000
    assert await aw(repo.add_many([])) == []


async def test_get_and_get_by_sku(db: Db) -> None:
    catalog = await seed_catalog(db)
    repo = db.repo(Product)
    db.forget()
    tee = await aw(repo.get(catalog["TEE-100"].id))
    assert tee.name == "100% cotton tee"
    by_sku = await aw(repo.get_by_sku("PZL-1000"))
    assert by_sku is not None and by_sku.id == catalog["PZL-1000"].id
    assert await aw(repo.get_by_sku("NOPE")) is None
    with pytest.raises(NotFoundError):
        await aw(repo.get(10_000))


async def test_startswith_and_contains_treat_wildcards_as_text(db: Db) -> None:
    await seed_catalog(db)
    repo = db.repo(Product)
    order = ProductOrder.SKU
    percent = await aw(repo.list(ProductFilter(name=TextFilter(startswith="100%")), order_by=order))
    assert keys(percent, "sku") == ["TEE-100"]  # not "1000 piece puzzle", not "100 pct ..."
    underscore = await aw(repo.list(ProductFilter(name=TextFilter(contains="e_c")), order_by=order))
    assert keys(underscore, "sku") == ["MUG-1"]  # not "snakeXcase"
    # `like` is the raw pattern: the caller's wildcards are wildcards.
    raw = await aw(repo.list(ProductFilter(name=TextFilter(like="100%")), order_by=order))
    assert keys(raw, "sku") == ["PZL-1000", "SCF-100", "TEE-100"]


async def test_price_range_filters(db: Db) -> None:
    await seed_catalog(db)
    repo = db.repo(Product)
    order = ProductOrder.SKU
    between = ProductFilter(price=RangeFilter(ge=D("12.00"), lt=D("24.50")))
    assert keys(await aw(repo.list(between, order_by=order)), "sku") == ["CAP-1", "TEE-100"]
    cheap = ProductFilter(price=RangeFilter(le=D("9.99")))
    assert keys(await aw(repo.list(cheap, order_by=order)), "sku") == ["MUG-1", "MUG-2"]
    dear = ProductFilter(price=RangeFilter(gt=D("24.50")))
    assert keys(await aw(repo.list(dear, order_by=order)), "sku") == ["SCF-100"]
    exact = ProductFilter(price=RangeFilter(eq=D("9.99")))
    assert await aw(repo.count(exact)) == 2


async def test_enum_bool_and_nullable_filters(db: Db) -> None:
    catalog = await seed_catalog(db)
    repo = db.repo(Product)
    order = ProductOrder.SKU
    not_active = ProductFilter(status=EqFilter(in_=[ProductStatus.DRAFT, ProductStatus.RETIRED]))
    assert keys(await aw(repo.list(not_active, order_by=order)), "sku") == ["MUG-1", "MUG-2"]
    active = ProductFilter(status=EqFilter(eq=ProductStatus.ACTIVE))
    assert await aw(repo.count(active)) == 4
    featured = ProductFilter(is_featured=EqFilter(eq=True))
    assert keys(await aw(repo.list(featured, order_by=order)), "sku") == ["CAP-1", "PZL-1000"]
    uncategorised = where(category_id={"is_null": True})
    assert keys(await aw(repo.list(uncategorised, order_by=order)), "sku") == [
        "CAP-1",
        "MUG-1",
        "MUG-2",
    ]
    clothing = where(category_id={"eq": catalog["TEE-100"].category_id})
    assert keys(await aw(repo.list(clothing, order_by=order)), "sku") == ["SCF-100", "TEE-100"]
    heavy = where(weight={"gt": 0.15})
    assert keys(await aw(repo.list(heavy, order_by=order)), "sku") == ["MUG-1", "TEE-100"]
    from_query_string = where(status={"eq": "retired"}, price={"lt": "10"})
    assert keys(await aw(repo.list(from_query_string)), "sku") == ["MUG-2"]


async def test_order_by_price_both_ways_and_by_several_columns(db: Db) -> None:
    await seed_catalog(db)
    repo = db.repo(Product)
    ascending = await aw(repo.list(order_by=ProductOrder.PRICE))
    # equal prices (the two mugs) come out in key order: the key is appended to every ordering
    assert keys(ascending, "sku") == ["MUG-1", "MUG-2", "CAP-1", "TEE-100", "PZL-1000", "SCF-100"]
    descending = await aw(
        repo.list(ProductFilter(price=RangeFilter(gt=D("10"))), order_by=ProductOrder.PRICE_DESC)
    )
    assert keys(descending, "sku") == ["SCF-100", "PZL-1000", "TEE-100", "CAP-1"]
    prices = keys(descending, "price")
    assert prices == sorted(prices, reverse=True)
    featured_first = await aw(
        repo.list(order_by=[ProductOrder.IS_FEATURED_DESC, ProductOrder.SKU_DESC])
    )
    assert keys(featured_first, "sku") == [
        "PZL-1000",
        "CAP-1",
        "TEE-100",
        "SCF-100",
        "MUG-2",
        "MUG-1",
    ]


async def test_list_and_count_with_filter_and_page(db: Db) -> None:
    await seed_catalog(db)
    repo = db.repo(Product)
    items, total = await aw(
        repo.list_and_count(
            ProductFilter(price=RangeFilter(ge=D("10"))),
            order_by=ProductOrder.PRICE_DESC,
            limit=2,
            offset=1,
        )
    )
    assert total == 4
    assert keys(items, "sku") == ["PZL-1000", "TEE-100"]
    items, total = await aw(repo.list_and_count(where(status={"eq": "draft"})))
    assert (keys(items, "sku"), total) == (["MUG-1"], 1)


async def test_update_only_touches_the_set_fields(db: Db) -> None:
    catalog = await seed_catalog(db)
    tee_id = catalog["TEE-100"].id
    repo = db.repo(Product)
    updated = await aw(
        repo.update(tee_id, ProductUpdate(price=D("17.50"), attributes={"fit": "slim"}))
    )
    assert updated.price == D("17.50")
    assert updated.attributes == {"fit": "slim"}
    assert (updated.name, updated.weight, updated.is_featured) == ("100% cotton tee", 0.2, False)
    await db.commit()
    assert await db.column(Product.price, Product.id == tee_id) == [D("17.50")]
    assert await db.column(Product.name, Product.id == tee_id) == ["100% cotton tee"]
    cleared = await aw(repo.update(tee_id, ProductUpdate(category_id=None, weight=None)))
    assert (cleared.category_id, cleared.weight, cleared.price) == (None, None, D("17.50"))


async def test_update_to_an_unknown_category_raises_foreign_key_error(db: Db) -> None:
    catalog = await seed_catalog(db)
    tee_id = catalog["TEE-100"].id
    repo = db.repo(Product)
    with pytest.raises(ForeignKeyError):
        await aw(repo.update(tee_id, ProductUpdate(category_id=999_999)))
    assert (await aw(repo.get(tee_id))).name == "100% cotton tee"


async def test_update_sku_to_a_taken_one_raises_conflict(db: Db) -> None:
    catalog = await seed_catalog(db)
    with pytest.raises(ConflictError) as caught:
        await aw(db.repo(Product).update(catalog["MUG-1"].id, ProductUpdate(sku="MUG-2")))
    assert caught.value.columns == ("sku",)


async def test_update_many_changes_several_rows(db: Db) -> None:
    catalog = await seed_catalog(db)
    repo = db.repo(Product)
    mugs = await aw(repo.list(ProductFilter(sku=TextFilter(startswith="MUG-"))))
    db.forget()
    for mug in mugs:
        mug.price = D("8.00")
        mug.status = ProductStatus.ACTIVE
    updated = await aw(repo.update_many(mugs))
    assert sorted(keys(updated, "sku")) == ["MUG-1", "MUG-2"]
    assert {p.price for p in updated} == {D("8.00")}
    await db.commit()
    assert await db.column(Product.price, Product.sku.startswith("MUG-")) == [D("8.00")] * 2
    untouched = catalog["CAP-1"].id
    assert await db.column(Product.price, Product.id == untouched) == [D("12.00")]


async def test_upsert_on_sku_inserts_then_updates(db: Db) -> None:
    repo = db.repo(Product)
    inserted = await aw(repo.upsert(new_product("SKU-UP", name="First", price=D("5.00")), on="sku"))
    assert isinstance(inserted.id, int)
    assert inserted.status is ProductStatus.ACTIVE
    await db.commit()
    assert await db.rows(Product) == 1
    db.forget()
    updated = await aw(
        repo.upsert(
            new_product("SKU-UP", name="Second", price=D("6.00"), status=ProductStatus.RETIRED),
            on="sku",
        )
    )
    assert updated.id == inserted.id
    assert (updated.name, updated.price, updated.status) == (
        "Second",
        D("6.00"),
        ProductStatus.RETIRED,
    )
    await db.commit()
    assert await db.rows(Product) == 1
    assert await db.column(Product.name) == ["Second"]


async def test_upsert_many_on_sku(db: Db) -> None:
    catalog = await seed_catalog(db)
    repo = db.repo(Product)
    result = await aw(
        repo.upsert_many(
            [
                new_product("CAP-1", name="Plain cap v2", price=D("13.00")),
                new_product("NEW-1", name="Brand new", price=D("3.00")),
            ],
            on="sku",
        )
    )
    by_sku = {p.sku: p for p in result}
    assert set(by_sku) == {"CAP-1", "NEW-1"}
    assert by_sku["CAP-1"].id == catalog["CAP-1"].id
    assert (by_sku["CAP-1"].name, by_sku["CAP-1"].price) == ("Plain cap v2", D("13.00"))
    await db.commit()
    assert await db.rows(Product) == 7


async def test_add_many_with_a_taken_sku_raises_conflict(db: Db) -> None:
    await seed_catalog(db)
    repo = db.repo(Product)
    with pytest.raises(ConflictError) as caught:
        await aw(repo.add_many([new_product("FRESH-1"), new_product("CAP-1")]))
    assert caught.value.columns == ("sku",)
    assert await db.rows(Product) == 6
    assert (await aw(repo.add(new_product("FRESH-1")))).sku == "FRESH-1"


async def test_add_with_an_unknown_category_raises_foreign_key_error(db: Db) -> None:
    repo = db.repo(Product)
    with pytest.raises(ForeignKeyError):
        await aw(repo.add(new_product("ORPHAN", category_id=424242)))
    assert await aw(repo.count()) == 0


async def test_delete_removes_the_tag_links_but_not_the_tags(db: Db) -> None:
    cotton, summer = await db.seed(Tag(name="cotton"), Tag(name="summer"))
    (tee,) = await db.seed(new_product("TEE-1", tags=[cotton, summer]))
    deleted = await aw(db.repo(Product).delete(tee.id))
    assert (deleted.id, deleted.sku) == (tee.id, "TEE-1")
    await db.commit()
    assert await db.rows(Product) == 0
    assert await db.scalar(sa.select(sa.func.count()).select_from(product_tags)) == 0
    assert await db.rows(Tag) == 2


async def test_deleting_an_ordered_product_raises_foreign_key_error(db: Db) -> None:
    (customer,) = await db.seed(Customer(email="ann@example.com", name="Ann"))
    (product,) = await db.seed(new_product("TEE-1"))
    product_id = product.id
    (order,) = await db.seed(
        Order(customer_id=customer.id, placed_at=at(2024, 1, 2), total=D("10.00"))
    )
    await db.seed(
        OrderLine(
            order_id=order.id, line_no=1, product_id=product_id, quantity=1, unit_price=D("10")
        )
    )
    repo = db.repo(Product)
    with pytest.raises(ForeignKeyError):
        await aw(repo.delete(product_id))
    assert await aw(repo.exists(Product.id == product_id)) is True


async def test_delete_many_and_delete_where(db: Db) -> None:
    catalog = await seed_catalog(db)
    repo = db.repo(Product)
    gone = await aw(repo.delete_many([catalog["MUG-1"].id, catalog["MUG-2"].id]))
    assert sorted(keys(gone, "sku")) == ["MUG-1", "MUG-2"]
    featured = await aw(repo.delete_where(ProductFilter(is_featured=EqFilter(eq=True))))
    assert sorted(keys(featured, "sku")) == ["CAP-1", "PZL-1000"]
    assert all(isinstance(p, Product) for p in featured)
    await db.commit()
    assert sorted(await db.column(Product.sku)) == ["SCF-100", "TEE-100"]
    with pytest.raises(NotFoundError):
        await aw(repo.delete(catalog["MUG-1"].id))


async def test_list_after_walks_every_product_exactly_once(db: Db) -> None:
    repo = db.repo(Product)
    await aw(repo.add_many([new_product(f"K-{i:03d}") for i in range(101)]))
    await db.commit()
    items, pages = await walk_keyset(repo, limit=10)
    ids = keys(items, "id")
    assert len(ids) == 101 == len(set(ids))
    assert ids == sorted(ids)
    assert pages in (11, 12)
    # the same walk with a filter: every third product
    every_third = [p for i, p in enumerate(items) if i % 3 == 0]
    await aw(repo.delete_where(Product.id.not_in(keys(every_third, "id"))))
    await db.commit()
    remaining, _ = await walk_keyset(
        repo, limit=4, where=ProductFilter(sku=TextFilter(startswith="K-"))
    )
    assert keys(remaining, "id") == keys(every_third, "id")
