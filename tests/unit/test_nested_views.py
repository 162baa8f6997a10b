"""views.nested: the nested Read DTO classes of a model (names, field types, depth, cycles)."""

from __future__ import annotations

import dataclasses

import pytest

from sublimate.introspect.models import build_schema
from sublimate.ir import Entity, Schema
from sublimate.views.nested import nested_names, nested_reads

SHOP = "fixtures_models.shop"


@pytest.fixture(scope="module")
def shop() -> Schema:
    return build_schema(SHOP)


def fields(entity: Entity, schema: Schema, depth: int = 1) -> dict[str, tuple[str, str]]:
    """{class: (field, annotation)} of the entity's nested Read DTOs."""
    by_name = {e.name: e for e in schema.entities}
    reads = nested_reads(entity, by_name, depth=depth, package="_dtos", renames={})
    assert all(read.base == entity.names.read for read in reads)
    return {read.name: (read.field.attr, read.field.annotation) for read in reads}


def test_one_class_per_relationship_typed_by_its_kind(shop: Schema) -> None:
    assert fields(shop.entity("Order"), shop) == {
        "OrderReadWithCustomer": ("customer", "_dtos.customer.CustomerRead"),  # FK NOT NULL
        "OrderReadWithInvoice": ("invoice", "_dtos.invoice.InvoiceRead | None"),  # one-to-one
        "OrderReadWithLines": ("lines", "list[_dtos.order_line.OrderLineRead]"),
    }
    category = fields(shop.entity("Category"), shop)
    assert category["CategoryReadWithParent"] == ("parent", "CategoryRead | None")  # same module
    assert category["CategoryReadWithChildren"] == ("children", "list[CategoryRead]")
    product = fields(shop.entity("Product"), shop)
    assert product["ProductReadWithTags"][1] == "list[_dtos.tag.TagRead]"  # many-to-many


def test_cycles_stop_at_the_depth(shop: Schema) -> None:
    customer = fields(shop.entity("Customer"), shop)
    assert list(customer) == ["CustomerReadWithOrders"]  # no customer -> orders -> customer
    deeper = fields(shop.entity("Customer"), shop, depth=2)
    # the second level names the first level of the next module, never a way back
    assert deeper["CustomerReadWithOrdersLines"] == (
        "orders",
        "list[_dtos.order.OrderReadWithLines]",
    )
    assert not any("Customer" in name.removeprefix("CustomerRead") for name in deeper)
    assert fields(shop.entity("Customer"), shop, depth=0) == {}


def test_names_are_the_same_seen_from_a_neighbour(shop: Schema) -> None:
    """The module that refers to a neighbour's class computes the name that module prints."""
    by_name = {e.name: e for e in shop.entities}
    order = nested_names(shop.entity("Order"), by_name, 1)
    assert order[("lines",)] == "OrderReadWithLines"
    assert nested_names(shop.entity("Order"), by_name, 1) == order  # deterministic


def test_a_relationship_to_a_model_not_generated_gets_no_class(shop: Schema) -> None:
    by_name = {e.name: e for e in shop.entities if e.name != "OrderLine"}
    reads = nested_reads(shop.entity("Order"), by_name, depth=1, package="_dtos", renames={})
    assert [read.name for read in reads] == ["OrderReadWithCustomer", "OrderReadWithInvoice"]


def test_a_name_taken_by_the_module_is_not_reused(shop: Schema) -> None:
    order = shop.entity("Order")
    names = dataclasses.replace(order.names, filter="OrderReadWithLines")
    taken = dataclasses.replace(order, names=names)
    by_name = {e.name: e for e in shop.entities}
    assert nested_names(taken, by_name, 1)[("lines",)] == "OrderReadWithLines_2"


def test_without_the_package_a_neighbour_is_left_out(shop: Schema) -> None:
    by_name = {e.name: e for e in shop.entities}
    category = nested_reads(shop.entity("Category"), by_name, depth=1, package="", renames={})
    assert {read.name for read in category} == {
        "CategoryReadWithChildren",
        "CategoryReadWithParent",
    }  # products live in another module
