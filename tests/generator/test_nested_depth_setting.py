"""The `nested_depth` setting: how many relationship levels the nested Read DTOs follow.

One scratch copy of the example is generated at the default depth, switched to 2 in its
pyproject.toml (`check` must call that stale: the setting is in the manifest and the cache keys,
else the DTO modules would be served from the last run), regenerated, and its second-level
classes imported and read through a service on SQLite, one statement per level.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sublimate.settings import NESTED_DEPTHS, SettingsError, load
from sublimate.views.loads import MAX_DEPTH

from .helpers import copy_example, run_cli, tree


def _set_depth(project: Path, value: str) -> None:
    pyproject = project / "pyproject.toml"
    lines = [line for line in pyproject.read_text().splitlines() if "nested_depth" not in line]
    text = "\n".join(lines) + "\n"
    pyproject.write_text(
        text.replace('out = "shop/db"\n', f'out = "shop/db"\nnested_depth = {value}\n')
    )


@pytest.mark.parametrize(("value", "shown"), [
    (3, "not 3"),
    (0, "not 0"),
    ("2", "not '2'"),
    (True, "not True"),
    (2.0, "not 2.0"),
])  # fmt: skip
def test_a_bad_depth_names_the_valid_ones(tmp_path: Path, value: object, shown: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load(tmp_path, {"models": "shop.models", "nested_depth": value})
    assert str(raised.value) == (
        "[tool.sublimate] nested_depth must be 1 or 2 (relationship levels of the nested Read"
        f" DTOs), {shown}"
    )


def test_the_depths_are_the_load_enums() -> None:
    """The nested classes follow the Load enum's paths: a deeper setting would print nothing."""
    assert tuple(range(1, MAX_DEPTH + 1)) == NESTED_DEPTHS


def test_a_bad_depth_in_pyproject_is_one_line_and_exit_2(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "example")
    _set_depth(project, "3")
    result = run_cli("generate", cwd=project)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "nested_depth must be 1 or 2" in result.stderr and "Traceback" not in result.stderr
    assert not (project / "shop" / "db").exists()


ROUND_TRIP = """
import datetime
import sqlalchemy as sa
from sqlalchemy.orm import Session
from shop.models import Base, Customer, Order, OrderLine, Product
from shop.db.dtos.order import OrderReadWithLinesProduct, OrderReadWithCustomerOrders
from shop.db.services.order import OrderService

engine = sa.create_engine("sqlite://")
Base.metadata.create_all(engine)
statements = []
sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
with Session(engine) as session:
    ann = Customer(name="Ann", email="ann@example.com")
    product = Product(sku="P-1", name="One", price=1)
    at = datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC)
    session.add(Order(customer=ann, total=3, placed_at=at, lines=[
        OrderLine(line_no=1, product=product, quantity=1, unit_price=1),
        OrderLine(line_no=2, product=product, quantity=2, unit_price=1),
    ]))
    session.commit()
    session.expunge_all()
    statements.clear()
    order = OrderService(session).get_with(OrderReadWithLinesProduct, 1)
    assert len(statements) == 2, statements
    assert [line.product.sku for line in order.lines] == ["P-1", "P-1"], order
    session.expunge_all()
    statements.clear()
    page = OrderService(session).list_with(OrderReadWithCustomerOrders)
    assert len(statements) == 2, statements
    assert [o.id for o in page.items[0].customer.orders] == [1], page
print("ok")
"""


def test_switching_to_depth_two_adds_the_second_level_classes(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "example")
    assert run_cli("generate", cwd=project).returncode == 0
    db = project / "shop" / "db"
    before = tree(db)
    assert "OrderReadWithLinesProduct" not in before["dtos/order.py"].decode()

    _set_depth(project, "2")
    stale = run_cli("check", cwd=project)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "nested_depth: 1 → 2" in stale.stdout

    switched = run_cli("generate", cwd=project)
    assert switched.returncode == 0, switched.stderr
    after = tree(db)
    changed = {path for path in after if after[path] != before.get(path)}
    # The DTO modules of the six models with relationships, and the manifest: nothing else.
    assert changed == {f"dtos/{m}.py" for m in MODELS} | {".sublimate.json"}, changed
    order = after["dtos/order.py"].decode()
    for expected in (
        "class OrderReadWithLinesProduct(OrderRead, kw_only=True):\n"
        "    lines: list[_dtos.order_line.OrderLineReadWithProduct]\n",
        "class OrderReadWithCustomerOrders(OrderRead, kw_only=True):\n"
        "    customer: _dtos.customer.CustomerReadWithOrders\n",
        'LINES__PRODUCT = "lines.product"',
    ):
        assert expected in order, order
    customer = after["dtos/customer.py"].decode()
    assert "class CustomerReadWithOrdersLines(" in customer
    assert "CustomerReadWithOrdersCustomer" not in customer  # the cycle back is cut

    checked = run_cli("check", cwd=project)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    ran = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(ROUND_TRIP)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0 and ran.stdout.strip() == "ok", ran.stdout + ran.stderr


MODELS = ("category", "customer", "order", "order_line", "product", "tag")
