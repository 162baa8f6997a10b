"""dto = "pydantic": the controllers' several `load=` values merge into one shape without dropping
a path (issue 17, point 4), as test_nested_reads.test_load_values_on_one_relationship_merge
checks for msgspec: `load=lines&load=lines.product` (nested_depth = 2) keeps `lines.product`,
and two second levels under one relationship keep both. No database: shapes only."""

from __future__ import annotations

import sys
import types
from pathlib import Path

CASE = Path(__file__).resolve().parents[1] / "golden" / "pydantic_on"
if str(CASE) not in sys.path:
    sys.path.insert(0, str(CASE))

from pyshop.db.dtos.category import (  # noqa: E402
    CategoryRead,
    CategoryReadWithChildren,
    CategoryReadWithParent,
    CategoryReadWithProducts,
)
from pyshop.db.dtos.order import OrderRead, OrderReadWithCustomer, OrderReadWithLines  # noqa: E402
from pyshop.db.dtos.order_line import OrderLineReadWithProduct  # noqa: E402
from sublimate_runtime import read_shape, shape_paths  # noqa: E402


class OrderReadWithLinesProduct(OrderRead):
    """What nested_depth = 2 generates for lines.product."""

    lines: list[OrderLineReadWithProduct]


class ParentParent(CategoryRead):
    parent: CategoryReadWithParent | None


class ParentProducts(CategoryRead):
    parent: CategoryReadWithProducts | None


class ParentChildren(CategoryRead):
    parent: CategoryReadWithChildren | None


def test_a_deeper_path_of_one_relationship_is_kept_whatever_the_order() -> None:
    shapes = {"lines": OrderReadWithLines, "lines.product": OrderReadWithLinesProduct}
    both = read_shape(
        OrderRead, {**shapes, "customer": OrderReadWithCustomer}, [*shapes, "customer"]
    )
    assert both is not None
    assert shape_paths(both) == ("customer", "lines", "lines.product")


def test_two_second_levels_under_one_relationship_are_both_kept() -> None:
    """Products sort before Parent and Children: the last shape used to win, the other lost."""
    chosen = {"a": ParentParent, "b": ParentProducts, "c": ParentChildren}
    merged = read_shape(CategoryRead, chosen, ["a", "b", "c"])
    assert merged is not None
    assert shape_paths(merged) == (
        "parent",
        "parent.children",
        "parent.parent",
        "parent.products",
    )
    parent = merged.model_fields["parent"].annotation
    assert isinstance(parent, types.UnionType) and type(None) in parent.__args__  # optional
    pair = read_shape(CategoryRead, chosen, ["a", "b"])
    assert pair is not None
    assert shape_paths(pair) == ("parent", "parent.parent", "parent.products")
