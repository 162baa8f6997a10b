"""views.loads: the paths of a model's `<M>Load` enum (depth, back-references, the bound)."""

from __future__ import annotations

import ast
import dataclasses

import pytest

from sublimate.introspect.models import build_schema
from sublimate.ir import Entity, Relation, RelationKind, Schema
from sublimate.views import loads
from sublimate.views.loads import has_load, load_members

SHOP = "fixtures_models.shop"


@pytest.fixture(scope="module")
def shop() -> Schema:
    return build_schema(SHOP)


def paths(entity: Entity, schema: Schema) -> dict[str, str]:
    """{member: path} of the entity's enum, as printed."""
    by_name = {e.name: e for e in schema.entities}
    return {m.member: ast.literal_eval(m.value) for m in load_members(entity, by_name)}


def relation(attr: str, target: str, kind: RelationKind, back: str | None = None) -> Relation:
    return Relation(
        attr=attr,
        target=target,
        kind=kind,
        local=("id",),
        remote=("id",),
        secondary=None,
        back_populates=back,
        uselist=kind in (RelationKind.ONE_TO_MANY, RelationKind.MANY_TO_MANY),
    )


def test_two_levels_without_the_step_straight_back(shop: Schema) -> None:
    customer = shop.entity("Customer")
    found = paths(customer, shop)
    assert found["ORDERS"] == "orders" and found["ORDERS__LINES"] == "orders.lines"
    assert "orders.customer" not in found.values()  # straight back to the customer itself
    line = paths(shop.entity("OrderLine"), shop)
    # order.lines is the order's other lines, not the line itself: kept
    assert line["ORDER__LINES"] == "order.lines" and "ORDER__CUSTOMER" in line
    assert all(path.count(".") <= loads.MAX_DEPTH - 1 for path in line.values())


def test_self_references_keep_their_cycles_up_to_the_depth(shop: Schema) -> None:
    found = paths(shop.entity("Category"), shop)
    assert {"parent.parent", "children.children", "parent.children"} <= set(found.values())
    assert "children.parent" not in found.values()  # the many-to-one back to the row itself


def test_no_relationships_no_enum(shop: Schema) -> None:
    lonely = dataclasses.replace(shop.entity("Customer"), relations=())
    assert load_members(lonely, {}) == () and not has_load(lonely)


def test_a_hub_keeps_its_first_level_only(shop: Schema, monkeypatch: pytest.MonkeyPatch) -> None:
    """All of a level or none of it: past the bound the enum stops at the level before."""
    customer = shop.entity("Customer")
    full = paths(customer, shop)
    monkeypatch.setattr(loads, "MAX_PATHS", len(full) - 1)
    assert paths(customer, shop) == {"ORDERS": "orders"}


def test_member_names_never_collide_across_levels(shop: Schema) -> None:
    customer = shop.entity("Customer")
    odd = relation("orders_lines", "OrderLine", RelationKind.ONE_TO_MANY)
    dotted = relation("a.b", "Order", RelationKind.ONE_TO_MANY)
    changed = dataclasses.replace(customer, relations=(*customer.relations, odd, dotted))
    schema = dataclasses.replace(
        shop, entities=tuple(changed if e.name == "Customer" else e for e in shop.entities)
    )
    found = paths(changed, schema)
    assert found["ORDERS__LINES"] == "orders.lines"
    assert found["ORDERS_LINES"] == "orders_lines"
    assert "a.b" not in found.values()  # a dotted attribute cannot be a path: left out


def test_the_shop_enums_stay_small(shop: Schema) -> None:
    by_name = {e.name: e for e in shop.entities}
    sizes = {e.name: len(load_members(e, by_name)) for e in shop.entities}
    assert all(0 < size <= loads.MAX_PATHS for size in sizes.values()), sizes
