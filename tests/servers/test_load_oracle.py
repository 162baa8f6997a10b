"""Advanced Alchemy as the oracle of `load=`: the same related rows, in as many statements.

Its repositories take `load=[Order.lines]` (a to-many: `selectinload`; a to-one: `joinedload`)
and nested lists for a chain (`[[Customer.orders, Order.lines]]`); ours take the `<M>Load`
members. On SQLite, PostgreSQL and MariaDB, each case reads through both from an empty identity
map: the loaded graphs (walked without SQL afterwards) and the statement counts must be equal.
Where the two differ on purpose, the difference itself is asserted, so the README's list of
differences cannot go stale.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from shop.db import CustomerLoad, OrderLineLoad, OrderLoad, ProductLoad
from shop.db.repositories.customer import CustomerRepository
from shop.db.repositories.order import OrderRepository
from shop.db.repositories.order_line import OrderLineRepository
from shop.db.repositories.product import ProductRepository
from shop.models import Base, Customer, Order, OrderLine, Product
from sqlalchemy.orm import Session
from sublimate_runtime import NotLoadedError, UnknownLoadError, create_engine

from .test_filter_trees import shop

pytest.importorskip("advanced_alchemy")
from advanced_alchemy.repository import SQLAlchemySyncRepository

OURS: dict[type[Any], Any] = {
    Customer: CustomerRepository,
    Order: OrderRepository,
    OrderLine: OrderLineRepository,
    Product: ProductRepository,
}

# name -> (model, Advanced Alchemy's load, ours, the paths to walk, statements each)
CASES: dict[str, tuple[type[Any], list[Any], Any, tuple[str, ...], int]] = {
    "to-one, joined": (OrderLine, [OrderLine.product], OrderLineLoad.PRODUCT, ("product",), 1),
    "to-many": (Customer, [Customer.orders], CustomerLoad.ORDERS, ("orders",), 2),
    "many-to-many": (Product, [Product.tags], ProductLoad.TAGS, ("tags",), 2),
    "two to-one levels": (
        OrderLine,
        [[OrderLine.order, Order.customer]],
        OrderLineLoad.ORDER__CUSTOMER,
        ("order", "order.customer"),
        1,
    ),
    "two to-many levels": (
        Customer,
        [[Customer.orders, Order.lines]],
        CustomerLoad.ORDERS__LINES,
        ("orders", "orders.lines"),
        3,
    ),
    "to-many, then to-one": (
        Order,
        [[Order.lines, OrderLine.product]],
        OrderLoad.LINES__PRODUCT,
        ("lines", "lines.product"),
        2,
    ),
    "two paths at once": (
        Order,
        [Order.customer, Order.lines],
        [OrderLoad.CUSTOMER, OrderLoad.LINES],
        ("customer", "lines"),
        2,
    ),
}


def theirs(model: type[Any]) -> type[SQLAlchemySyncRepository[Any]]:
    return type(f"AA{model.__name__}", (SQLAlchemySyncRepository,), {"model_type": model})


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def session(request: pytest.FixtureRequest, scratch_database: Any) -> Iterator[Session]:
    database = scratch_database(request.param, schema=True)
    engine = create_engine(database.url, connect_args=database.connect_args)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(shop())
        session.commit()
        session.connection()  # MariaDB's version check, before anything is counted
        yield session
    engine.dispose()


class Counted:
    """The statements the session's engine receives, while `counting` is on."""

    def __init__(self, session: Session) -> None:
        self.statements: list[str] = []
        self.on = False
        sa.event.listen(session.get_bind(), "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        if self.on:
            self.statements.append(args[2])

    def read(self, session: Session, call: Any, *args: Any, **kwargs: Any) -> tuple[Any, int]:
        """`call(...)` from an empty identity map, and how many statements it ran."""
        session.expunge_all()
        return self.run(call, *args, **kwargs)

    def run(self, call: Any, *args: Any, **kwargs: Any) -> tuple[Any, int]:
        self.statements.clear()
        self.on = True
        try:
            return call(*args, **kwargs), len(self.statements)
        finally:
            self.on = False

    def graphs(self, items: list[Any], paths: tuple[str, ...]) -> list[Any]:
        """The items' graphs, sorted; walking them must run no SQL (all was loaded)."""
        found, ran = self.run(lambda: sorted((graph(i, paths) for i in items), key=repr))
        assert ran == 0, self.statements
        return found  # type: ignore[no-any-return]


def graph(instance: Any, paths: tuple[str, ...]) -> Any:
    """The instance's key and, per loaded relationship, its rows' graphs (collections sorted)."""
    state = sa.inspect(instance)
    node: dict[str, Any] = {"key": [str(part) for part in state.identity]}
    for attr in sorted({path.split(".")[0] for path in paths}):
        deeper = tuple(p.split(".", 1)[1] for p in paths if p.startswith(f"{attr}."))
        value = getattr(instance, attr)
        if isinstance(value, list):
            node[attr] = sorted((graph(v, deeper) for v in value), key=repr)
        else:
            node[attr] = None if value is None else graph(value, deeper)
    return node


def test_advanced_alchemy_and_our_loads_agree(session: Session) -> None:
    counted = Counted(session)
    for name, (model, aa_load, our_load, paths, statements) in CASES.items():
        items, ours_ran = counted.read(session, OURS[model](session).list, load=our_load)
        ours_graph = counted.graphs(items, paths)
        aa = theirs(model)(session=session)
        expected, theirs_ran = counted.read(session, aa.get_many, load=aa_load)
        assert ours_graph == counted.graphs(expected, paths), name
        assert ours_ran == theirs_ran == statements, name
        loaded = [node for node in ours_graph if any(node[attr] for attr in node if attr != "key")]
        assert loaded, name  # a case that tells something


def test_get_with_load_agrees(session: Session) -> None:
    counted = Counted(session)
    paths = ("lines", "lines.product")
    ours, ours_ran = counted.read(
        session, OrderRepository(session).get, 1, load=OrderLoad.LINES__PRODUCT
    )
    (ours_graph,) = counted.graphs([ours], paths)
    aa = theirs(Order)(session=session)
    expected, theirs_ran = counted.read(session, aa.get, 1, load=[[Order.lines, OrderLine.product]])
    assert [ours_graph] == counted.graphs([expected], paths) and len(ours_graph["lines"]) == 2
    assert ours_ran == theirs_ran == 2


def test_the_deliberate_differences(session: Session) -> None:
    counted = Counted(session)
    # A relationship not asked for raises here, naming the load= to pass; Advanced Alchemy
    # loads it on access, one more statement per instance (the N+1 that nobody sees).
    ours, _ = counted.read(session, OrderRepository(session).get, 1)
    with pytest.raises(NotLoadedError, match=r"pass load=OrderLoad\.LINES$"):
        ours.lines  # noqa: B018
    expected, _ = counted.read(session, theirs(Order)(session=session).get, 1)
    lines, ran = counted.run(getattr, expected, "lines")
    assert len(lines) == 2 and ran == 1
    # A path that names no relationship is refused before any SQL here; Advanced Alchemy drops
    # a column attribute given as `load` silently.
    with pytest.raises(UnknownLoadError):
        counted.read(session, OrderRepository(session).list, load="total")
    assert counted.statements == []
    aa = theirs(Order)(session=session)
    rows, ran = counted.read(session, aa.get_many, load=[Order.total])
    assert len(rows) == 5 and ran == 1
    # No wildcard here (the enum is the whitelist); Advanced Alchemy's "*" joins every
    # relationship, collections included, into the one statement.
    with pytest.raises(UnknownLoadError):
        OrderRepository(session).list(load="*")
    rows, ran = counted.read(session, aa.get_many, load="*")
    assert ran == 1 and "JOIN order_lines" in counted.statements[0]
    assert sorted(len(row.lines) for row in rows) == [0, 1, 1, 1, 2]
