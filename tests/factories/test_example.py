"""The factories of the example's models (`shop.models`, generated with `factories = true`) on
embedded SQLite, which enforces foreign keys here (the runtime's engine): valid DTOs, no unique
key collision across 10,000 builds, parents created on demand or reused, the pytest fixtures.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sublimate_runtime import UNSET, create_async_engine, create_engine, validated
from sublimate_runtime import factory_values as fv
from sublimate_runtime.factories import (
    FactoryError,
    rolled_back,
    savepoints_on_sqlite,
    start_sequences,
)

from .support import example_project, factory_classes, imported

BUILDS = 10_000


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return example_project(tmp_path_factory.mktemp("factories-example") / "project")


@pytest.fixture
def factories(project: Path) -> Iterator[ModuleType]:
    with imported(project, "shop.db") as module:
        yield module


@pytest.fixture
def session(factories: ModuleType) -> Iterator[Session]:
    models = sys.modules["shop.models"]
    engine = savepoints_on_sqlite(create_engine())
    models.Base.metadata.create_all(engine)
    try:
        with rolled_back(engine) as session:
            yield session
    finally:
        engine.dispose()


def _count(session: Session, model: Any) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def _unique_keys(model: Any) -> list[tuple[str, ...]]:
    """The attribute names of every unique key of the model's table (primary key included)."""
    table = model.__table__
    keys = [tuple(c.key for c in table.primary_key.columns)]
    keys += [
        tuple(c.key for c in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, sa.UniqueConstraint)
    ]
    keys += [tuple(c.key for c in index.columns) for index in table.indexes if index.unique]
    return keys


def test_ten_thousand_builds_are_valid_and_never_collide(
    factories: ModuleType, session: Session
) -> None:
    """Every model: 10,000 DTOs, each valid as decoding would check it (lengths, precision,
    ranges, tz), and each unique key's values distinct. The NOT NULL parents are given as key
    columns (the lines of one order: their key is (order_id, line_no))."""
    classes = factory_classes(factories)
    customer = classes["Customer"](session).create()
    order = classes["Order"](session).create(customer=customer)
    product = classes["Product"](session).create()
    given = {
        "Order": {"customer_id": customer.id},
        "OrderLine": {"order_id": order.id, "product_id": product.id},
    }
    for name, factory_class in classes.items():
        factory = factory_class()  # no session: build only
        built = [validated(factory.build(**given.get(name, {}))) for _ in range(BUILDS)]
        for key in _unique_keys(factory_class._model):
            values = [tuple(getattr(dto, attr, UNSET) for attr in key) for dto in built]
            if any(v is UNSET or v is None for row in values for v in row):
                continue  # left to the database (a generated key): not the factory's to make
            assert len(set(values)) == BUILDS, (name, key)
        checked = {key for key in _unique_keys(factory_class._model)}
        assert checked, name


def test_create_many_makes_the_missing_parents_in_batches(
    factories: ModuleType, session: Session
) -> None:
    classes = factory_classes(factories)
    lines = classes["OrderLine"](session).create_many(1000)
    models = sys.modules["shop.models"]
    assert len(lines) == 1000
    assert len({line.order_id for line in lines}) == 1000  # a parent per row
    assert _count(session, models.Order) == 1000
    assert _count(session, models.Customer) == 1000  # the orders' own parents
    assert _count(session, models.Product) == 1000
    assert _count(session, models.Category) == 0  # nullable: left None


def test_a_given_parent_is_reused(factories: ModuleType, session: Session) -> None:
    classes = factory_classes(factories)
    alice = classes["Customer"](session).create(name="Alice", email="alice@example.com")
    orders = classes["Order"](session).create_many(5, customer=alice)
    assert {order.customer_id for order in orders} == {alice.id}
    assert _count(session, sys.modules["shop.models"].Customer) == 1
    assert (alice.name, alice.email) == ("Alice", "alice@example.com")  # overrides win


def test_nullable_foreign_keys_stay_none_unless_given(
    factories: ModuleType, session: Session
) -> None:
    classes = factory_classes(factories)
    shelf = classes["Category"](session).create()
    assert shelf.parent_id is None
    child = classes["Category"](session).create(parent=shelf)
    product = classes["Product"](session).create()
    assert (child.parent_id, product.category_id) == (shelf.id, None)


def test_defaults_are_left_to_the_database(factories: ModuleType, session: Session) -> None:
    order = factory_classes(factories)["Order"](session).create()
    assert order.status == "new"  # the model's default: the factory left it UNSET
    customer = session.get(sys.modules["shop.models"].Customer, order.customer_id)
    assert customer is not None and customer.created_at is not None  # server default


def test_a_missing_parent_without_a_session_is_a_clear_error(factories: ModuleType) -> None:
    order_factory = factory_classes(factories)["Order"]
    with pytest.raises(FactoryError, match=r"no session.*customer= \(a row\) or customer_id="):
        order_factory().build()
    customer_id = order_factory().build(customer_id=msgspec.convert(f"{'0' * 31}7", type=Any))
    assert customer_id.customer_id == "0" * 31 + "7"  # given key columns are taken as they are


def test_sequences_are_shared_by_the_factories_of_a_model(
    factories: ModuleType, session: Session
) -> None:
    sync = factory_classes(factories)["Tag"]
    first, second = sync(session).create(), sync(session).create()
    assert first.name != second.name  # two factory objects, one sequence


def test_sequences_can_start_past_the_rows_a_database_holds(
    factories: ModuleType, session: Session
) -> None:
    tag = factory_classes(factories)["Tag"]
    try:
        start_sequences(500_000)
        assert tag().build().name == f"name-{fv.base36(500_000)}"
    finally:
        start_sequences(1)
    assert tag().build().name == "name-1"


async def test_async_factories_create_parents_on_demand(factories: ModuleType) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession

    models = sys.modules["shop.models"]
    engine = create_async_engine()
    try:
        async with engine.begin() as connection:
            await connection.run_sync(models.Base.metadata.create_all)
        async with AsyncSession(engine, expire_on_commit=False) as session:
            classes = factory_classes(factories, "Async")
            lines = await classes["OrderLine"](session).create_many(50)
            line = await classes["OrderLine"](session).create(order_id=lines[0].order_id)
            counted = await session.execute(sa.select(sa.func.count()).select_from(models.Order))
            assert (len(lines), counted.scalar_one(), line.order_id) == (
                50,
                50,
                lines[0].order_id,
            )
    finally:
        await engine.dispose()


_USER_TESTS = """
from shop.db.testing import *  # noqa: F403
"""

_USER_TEST_MODULE = """
import pytest
import sqlalchemy as sa
from sublimate_runtime import ConflictError, EqFilter

from shop.db import OrderFilter, OrderService
from shop.models import Order, Tag


def test_writes_and_commits(order_factory, db_session):
    order_factory.create_many(3)
    db_session.commit()  # a SAVEPOINT: the test's transaction is still rolled back
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 3


def test_sees_nothing_of_the_previous_test(db_session):
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_a_customer_sees_only_their_orders(customer_factory, order_factory, db_session):
    # The README's example ("Test data factories"), as written there.
    alice = customer_factory.create(email="alice@example.com")
    order_factory.create_many(3, customer=alice)  # reuses alice
    order_factory.create()  # somebody else's: a customer is made for it
    db_session.commit()  # a SAVEPOINT: the test's transaction is rolled back at the end

    mine = OrderService(db_session).list(OrderFilter(customer_id=EqFilter(eq=alice.id)))
    assert len(mine.items) == 3


def test_a_conflict_leaves_the_session_usable(tag_factory, db_session):
    tag_factory.create(name="same")
    db_session.commit()  # what the conflict's rollback goes back to
    with pytest.raises(ConflictError):
        tag_factory.create(name="same")
    tag_factory.create(name="other")
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Tag)) == 2
"""


def test_the_generated_fixtures_roll_each_test_back(project: Path) -> None:
    """A user's tests on the generated `testing` module: pytest in a subprocess."""
    tests = project / "user_tests"
    tests.mkdir(exist_ok=True)
    (tests / "conftest.py").write_text(textwrap.dedent(_USER_TESTS))
    (tests / "test_shop.py").write_text(textwrap.dedent(_USER_TEST_MODULE))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "user_tests"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout
