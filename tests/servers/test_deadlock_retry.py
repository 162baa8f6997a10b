"""An upsert that InnoDB picks as a deadlock's victim is retried when it opened its transaction.

A real deadlock on MariaDB, made on purpose: another transaction holds row K-2 and has modified
many rows (so that InnoDB, which rolls back the lighter transaction, picks the upsert); the
upsert locks K-1 and waits for K-2; the other transaction then asks for K-1. The upsert is rolled
back by the database and, having opened its transaction, runs again once the other commits.
Inside a longer transaction the same deadlock is the caller's error (their earlier work is gone).
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from shop.db import ProductRepository
from shop.models import Base, Product
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sublimate_runtime import create_engine


def _deadlock(engine: sa.Engine, upsert: Any) -> tuple[list[Any], list[BaseException]]:
    """Run `upsert` in a thread while another transaction makes it a deadlock's victim."""
    with engine.begin() as connection:
        connection.execute(
            sa.insert(Product.__table__),
            [
                {"sku": f"K-{i}", "name": "old", "price": Decimal(1), "status": "active"}
                for i in range(1, 60)
            ],
        )
    results: list[Any] = []
    errors: list[BaseException] = []
    other = engine.connect()
    transaction = other.begin()
    other.execute(sa.text("UPDATE products SET name = 'other' WHERE id BETWEEN 3 AND 50"))  # heavy
    other.execute(sa.text("UPDATE products SET name = 'other' WHERE id = 2"))

    def run() -> None:
        try:
            results.append(upsert())
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.5)  # the upsert holds K-1 and waits for K-2
    other.execute(sa.text("UPDATE products SET name = 'other' WHERE id = 1"))
    transaction.commit()
    other.close()
    thread.join(timeout=60)
    return results, errors


def _products() -> list[Product]:
    return [Product(sku=sku, name="mine", price=Decimal(2)) for sku in ("K-1", "K-2")]


def test_an_upsert_that_opened_its_transaction_is_retried(scratch_database: Any) -> None:
    database = scratch_database("mysql")
    engine = create_engine(database.url, connect_args=database.connect_args)
    Base.metadata.create_all(engine)
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    def upsert() -> list[str]:
        with Session(engine) as session:
            found = ProductRepository(session).upsert_many(_products(), on="sku")
            session.commit()
            return [p.name for p in found]

    results, errors = _deadlock(engine, upsert)
    assert errors == [] and results == [["mine", "mine"]]
    assert sum(s.startswith("INSERT INTO products") for s in statements) >= 3  # seed, twice
    with engine.connect() as connection:
        names = connection.execute(
            sa.select(Product.name).where(Product.sku.in_(["K-1", "K-2"]))
        ).scalars()
        assert sorted(names) == ["mine", "mine"]
    engine.dispose()


def test_inside_a_longer_transaction_the_deadlock_is_the_callers(scratch_database: Any) -> None:
    database = scratch_database("mysql")
    engine = create_engine(database.url, connect_args=database.connect_args)
    Base.metadata.create_all(engine)

    def upsert() -> None:
        with Session(engine) as session:
            session.execute(sa.select(sa.literal(1)))  # the transaction was open already
            ProductRepository(session).upsert_many(_products(), on="sku")

    results, errors = _deadlock(engine, upsert)
    assert results == [] and len(errors) == 1
    assert isinstance(errors[0], OperationalError) and errors[0].orig.args[0] == 1213
    engine.dispose()


pytestmark = pytest.mark.server
