"""sublimate_runtime.loading: `load=` paths compiled to loader options, and what bad ones raise.

The statements they produce are counted on every database in tests/behaviour/test_loading.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "generated_example"
if str(EXAMPLE) not in sys.path:
    sys.path.insert(0, str(EXAMPLE))

from shop.models import Customer, OrderLine  # noqa: E402
from sublimate_runtime import UnknownLoadError  # noqa: E402
from sublimate_runtime.loading import _STRATEGY, RAISE, LoadPlan, load_paths  # noqa: E402


def strategies(options: tuple[object, ...]) -> list[tuple[str, str]]:
    """(path, lazy strategy) of every loader in the options, nested ones included."""
    found = []
    for option in options:
        for context in getattr(option, "context", ()):
            path = "/".join(str(token) for token in context.path.natural_path)
            found.append((path, dict(context.strategy or ()).get("lazy", "")))
    return found


def test_paths_are_normalised() -> None:
    assert load_paths(None) == () and load_paths([]) == ()
    assert load_paths("orders") == ("orders",)
    assert load_paths(["orders.lines", "orders", "orders.lines"]) == ("orders", "orders.lines")


def test_to_one_is_joined_to_many_is_selected_and_the_rest_raises() -> None:
    options = LoadPlan(OrderLine).options(["order", "order.lines"])
    found = strategies(options)
    joined = [path for path, lazy in found if lazy == "joined"]
    selected = [path for path, lazy in found if lazy == "selectin"]
    assert len(joined) == 1 and "OrderLine.order" in joined[0]
    assert len(selected) == 1 and "Order.lines" in selected[0]
    assert sum(lazy == _STRATEGY for _, lazy in found) == 2  # under each level loaded
    assert options[-1] is RAISE  # and at the root
    assert LoadPlan(OrderLine).options(None) == (RAISE,)


def test_one_plan_per_set_of_paths() -> None:
    plan = LoadPlan(Customer)
    first = plan.options(["orders.lines", "orders"])
    assert plan.options(("orders", "orders.lines", "orders")) is first


def test_a_bad_path_names_itself_briefly() -> None:
    plan = LoadPlan(Customer)
    with pytest.raises(UnknownLoadError) as raised:
        plan.options("orders." + "x" * 100_000)
    message = str(raised.value)
    assert len(message) < 400 and message.startswith("cannot load 'orders.xxx")
    assert raised.value.model == "Customer"
