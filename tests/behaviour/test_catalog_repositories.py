"""Category (self-referential tree, composite unique key) and Tag (many-to-many target)."""

from __future__ import annotations

import msgspec
import pytest
import sqlalchemy as sa
from shop.db import CategoryFilter, CategoryOrder, CategoryUpdate, TagFilter, TagOrder, TagUpdate
from shop.models import Category, Product, Tag, product_tags
from sublimate_runtime import ConflictError, ForeignKeyError, NotFoundError, TextFilter

from ._support import Db, aw, keys, new_product, walk_keyset


def category_where(**fields: object) -> CategoryFilter:
    return msgspec.convert(fields, CategoryFilter)


async def seed_tree(db: Db) -> dict[str, Category]:
    clothing, toys = await db.seed(Category(name="Clothing"), Category(name="Toys"))
    children = await db.seed(
        Category(name="Shirts", parent_id=clothing.id),
        Category(name="Scarves", parent_id=clothing.id),
        Category(name="Puzzles", parent_id=toys.id),
        Category(name="Shirts", parent_id=toys.id),  # same name, other parent: allowed
    )
    tree = {"Clothing": clothing, "Toys": toys}
    tree.update({f"{c.name}@{c.parent_id}": c for c in children})
    return tree


# --- Category -----------------------------------------------------------------------------


async def test_category_add_and_get(db: Db) -> None:
    repo = db.repo(Category)
    root = await aw(repo.add(Category(name="Garden")))
    assert isinstance(root.id, int)
    child = await aw(repo.add(Category(name="Tools", parent_id=root.id)))
    assert child.parent_id == root.id
    await db.commit()
    db.forget()
    assert (await aw(repo.get(child.id))).name == "Tools"
    with pytest.raises(NotFoundError):
        await aw(repo.get(child.id + 100))


async def test_category_get_by_the_composite_unique_key(db: Db) -> None:
    tree = await seed_tree(db)
    repo = db.repo(Category)
    clothing_id, toys_id = tree["Clothing"].id, tree["Toys"].id
    shirts = await aw(repo.get_by_parent_id_and_name(clothing_id, "Shirts"))
    assert shirts is not None and shirts.parent_id == clothing_id
    toy_shirts = await aw(repo.get_by_parent_id_and_name(toys_id, "Shirts"))
    assert toy_shirts is not None and toy_shirts.id != shirts.id
    assert await aw(repo.get_by_parent_id_and_name(toys_id, "Scarves")) is None


async def test_category_duplicate_name_under_one_parent_is_a_conflict(db: Db) -> None:
    tree = await seed_tree(db)
    clothing_id = tree["Clothing"].id
    repo = db.repo(Category)
    with pytest.raises(ConflictError) as caught:
        await aw(repo.add(Category(name="Shirts", parent_id=clothing_id)))
    assert caught.value.columns == ("parent_id", "name")
    assert await db.rows(Category) == 6
    hats = await aw(repo.add(Category(name="Hats", parent_id=clothing_id)))
    assert hats.id is not None


async def test_category_unknown_parent_is_a_foreign_key_error(db: Db) -> None:
    repo = db.repo(Category)
    with pytest.raises(ForeignKeyError):
        await aw(repo.add(Category(name="Orphan", parent_id=4242)))
    (garden,) = await db.seed(Category(name="Garden"))
    garden_id = garden.id
    with pytest.raises(ForeignKeyError):
        await aw(repo.update(garden_id, CategoryUpdate(parent_id=4242)))
    assert await db.column(Category.parent_id, Category.id == garden_id) == [None]


async def test_category_list_roots_and_children(db: Db) -> None:
    tree = await seed_tree(db)
    repo = db.repo(Category)
    roots = await aw(repo.list(category_where(parent_id={"is_null": True})))
    assert keys(roots, "name") == ["Clothing", "Toys"]
    clothing_children = await aw(
        repo.list(
            category_where(parent_id={"eq": tree["Clothing"].id}), order_by=CategoryOrder.NAME
        )
    )
    assert keys(clothing_children, "name") == ["Scarves", "Shirts"]
    items, total = await aw(
        repo.list_and_count(
            CategoryFilter(name=TextFilter(eq="Shirts")), order_by=CategoryOrder.PARENT_ID_DESC
        )
    )
    assert total == 2
    assert keys(items, "parent_id") == [tree["Toys"].id, tree["Clothing"].id]


async def test_category_update_renames_only(db: Db) -> None:
    tree = await seed_tree(db)
    scarves = tree[f"Scarves@{tree['Clothing'].id}"]
    renamed = await aw(db.repo(Category).update(scarves.id, CategoryUpdate(name="Scarves & wraps")))
    assert (renamed.name, renamed.parent_id) == ("Scarves & wraps", tree["Clothing"].id)


async def test_category_delete_cascades_to_children_in_the_database(db: Db) -> None:
    tree = await seed_tree(db)
    repo = db.repo(Category)
    deleted = await aw(repo.delete(tree["Clothing"].id))
    assert deleted.name == "Clothing"
    await db.commit()
    assert sorted(await db.column(Category.name)) == ["Puzzles", "Shirts", "Toys"]


async def test_category_delete_sets_products_category_to_null(db: Db) -> None:
    (garden,) = await db.seed(Category(name="Garden"))
    (rake,) = await db.seed(new_product("RAKE", category_id=garden.id))
    await aw(db.repo(Category).delete(garden.id))
    await db.commit()
    assert await db.column(Product.category_id, Product.id == rake.id) == [None]


async def test_category_delete_many_delete_where_count_exists(db: Db) -> None:
    tree = await seed_tree(db)
    repo = db.repo(Category)
    puzzles = tree[f"Puzzles@{tree['Toys'].id}"]
    toy_shirts = tree[f"Shirts@{tree['Toys'].id}"]
    gone = await aw(repo.delete_many([puzzles.id, toy_shirts.id]))
    assert sorted(keys(gone, "name")) == ["Puzzles", "Shirts"]
    assert await aw(repo.exists(category_where(parent_id={"eq": tree["Toys"].id}))) is False
    shirts = await aw(repo.delete_where(CategoryFilter(name=TextFilter(startswith="Sh"))))
    assert keys(shirts, "parent_id") == [tree["Clothing"].id]
    assert await aw(repo.count()) == 3


async def test_category_update_many_and_list_after(db: Db) -> None:
    await seed_tree(db)
    repo = db.repo(Category)
    roots = await aw(repo.list(category_where(parent_id={"is_null": True})))
    db.forget()
    for root in roots:
        root.name = root.name.upper()
    await aw(repo.update_many(roots))
    await db.commit()
    items, _ = await walk_keyset(repo, limit=4)
    assert keys(items, "name") == ["CLOTHING", "TOYS", "Shirts", "Scarves", "Puzzles", "Shirts"]


# --- Tag ----------------------------------------------------------------------------------


async def test_tag_add_get_and_get_by_name(db: Db) -> None:
    repo = db.repo(Tag)
    cotton = await aw(repo.add(Tag(name="cotton")))
    assert isinstance(cotton.id, int)
    await db.commit()
    db.forget()
    assert (await aw(repo.get(cotton.id))).name == "cotton"
    found = await aw(repo.get_by_name("cotton"))
    assert found is not None and found.id == cotton.id
    assert await aw(repo.get_by_name("wool")) is None


async def test_tag_duplicate_name_is_a_conflict(db: Db) -> None:
    await db.seed(Tag(name="cotton"))
    repo = db.repo(Tag)
    with pytest.raises(ConflictError) as caught:
        await aw(repo.add(Tag(name="cotton")))
    assert caught.value.columns == ("name",)
    assert await aw(repo.count()) == 1


async def test_tag_upsert_on_name_returns_the_existing_row(db: Db) -> None:
    """A table whose only other column is the conflict key: the upsert is a "get or create"."""
    (cotton,) = await db.seed(Tag(name="cotton"))
    repo = db.repo(Tag)
    again = await aw(repo.upsert(Tag(name="cotton"), on="name"))
    assert again.id == cotton.id
    wool = await aw(repo.upsert(Tag(name="wool"), on="name"))
    assert wool.id != cotton.id
    both = await aw(repo.upsert_many([Tag(name="wool"), Tag(name="linen")], on="name"))
    assert sorted(keys(both, "name")) == ["linen", "wool"]
    assert {t.id for t in both if t.name == "wool"} == {wool.id}
    await db.commit()
    assert sorted(await db.column(Tag.name)) == ["cotton", "linen", "wool"]


async def test_tag_list_orders_and_filters(db: Db) -> None:
    repo = db.repo(Tag)
    await aw(repo.add_many([Tag(name=n) for n in ["summer", "cotton", "sale", "wool"]]))
    await db.commit()
    assert keys(await aw(repo.list(order_by=TagOrder.NAME_DESC)), "name") == [
        "wool",
        "summer",
        "sale",
        "cotton",
    ]
    s_tags = await aw(repo.list(TagFilter(name=TextFilter(startswith="s")), order_by=TagOrder.NAME))
    assert keys(s_tags, "name") == ["sale", "summer"]
    assert await aw(repo.get_one_or_none(TagFilter(name=TextFilter(eq="wool")))) is not None
    items, total = await aw(repo.list_and_count(order_by=TagOrder.NAME, limit=1, offset=1))
    assert (keys(items, "name"), total) == (["sale"], 4)


async def test_tag_update_and_update_many(db: Db) -> None:
    cotton, wool = await db.seed(Tag(name="cotton"), Tag(name="wool"))
    cotton_id, wool_id = cotton.id, wool.id  # a failed write rolls back: loaded objects expire
    repo = db.repo(Tag)
    renamed = await aw(repo.update(cotton_id, TagUpdate(name="organic cotton")))
    assert (renamed.id, renamed.name) == (cotton_id, "organic cotton")
    await db.commit()
    with pytest.raises(ConflictError) as caught:
        await aw(repo.update(wool_id, TagUpdate(name="organic cotton")))
    assert caught.value.columns == ("name",)
    tags = await aw(repo.list(order_by=TagOrder.NAME))
    db.forget()
    for tag in tags:
        tag.name = f"#{tag.name}"
    await aw(repo.update_many(tags))
    await db.commit()
    assert sorted(await db.column(Tag.name)) == ["#organic cotton", "#wool"]


async def test_tag_delete_unlinks_products(db: Db) -> None:
    cotton, wool = await db.seed(Tag(name="cotton"), Tag(name="wool"))
    (tee,) = await db.seed(new_product("TEE", tags=[cotton, wool]))
    tee_id = tee.id
    repo = db.repo(Tag)
    deleted = await aw(repo.delete(cotton.id))
    assert deleted.name == "cotton"
    await db.commit()
    links = await db.scalars(sa.select(product_tags.c.tag_id))
    assert links == [wool.id]
    assert await db.rows(Product) == 1
    gone = await aw(repo.delete_many([wool.id]))
    assert keys(gone, "name") == ["wool"]
    assert await aw(repo.delete_where(TagFilter(name=TextFilter(eq="none")))) == []
    with pytest.raises(NotFoundError):
        await aw(repo.delete(cotton.id))
    assert await db.column(Product.sku, Product.id == tee_id) == ["TEE"]


async def test_tag_list_after(db: Db) -> None:
    repo = db.repo(Tag)
    await aw(repo.add_many([Tag(name=f"t{i:02d}") for i in range(12)]))
    await db.commit()
    items, pages = await walk_keyset(repo, limit=12)
    assert keys(items, "name") == [f"t{i:02d}" for i in range(12)]
    assert pages in (1, 2)
    items, pages = await walk_keyset(repo, limit=1)
    assert len(items) == 12 and pages in (12, 13)
