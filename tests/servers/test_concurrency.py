"""Upserts under concurrency: 8 threads upsert the same 1,000 keys on PostgreSQL and MariaDB.

Each worker walks the keys in its own shuffled order, in batches of 100, one transaction per
batch. Before `upsert_many` sorted its rows on the conflict key this deadlocked (PostgreSQL: 112
deadlocks and 100 s for 8 x 1,000 rows; MariaDB: "Deadlock found when trying to get lock"): every
statement now locks rows in one global order, so the run must end with exactly 1,000 rows and no
exception at all, typed or not.
"""

from __future__ import annotations

import random
import threading
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from shop.db import ProductRepository
from shop.models import Base, Product
from sqlalchemy.orm import Session
from sublimate_runtime import create_engine

WORKERS = 8
KEYS = [f"K-{i:04d}" for i in range(1000)]
BATCH = 100


@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
def test_eight_workers_upserting_the_same_keys(backend: str, scratch_database: Any) -> None:
    database = scratch_database(backend)
    engine = create_engine(database.url, pool_size=WORKERS, connect_args=database.connect_args)
    Base.metadata.create_all(engine)
    failures: list[BaseException] = []
    start = threading.Barrier(WORKERS)

    def work(worker: int) -> None:
        keys = list(KEYS)
        random.Random(worker).shuffle(keys)
        start.wait()
        try:
            for first in range(0, len(keys), BATCH):
                products = [
                    Product(sku=sku, name=f"worker {worker}", price=Decimal(worker))
                    for sku in keys[first : first + BATCH]
                ]
                with Session(engine) as session:
                    upserted = ProductRepository(session).upsert_many(products, on="sku")
                    assert [p.sku for p in upserted] == keys[first : first + BATCH]
                    session.commit()
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    assert failures == []
    with engine.connect() as connection:
        rows = connection.execute(sa.select(Product.sku, Product.name)).all()
        assert sorted(sku for sku, _ in rows) == KEYS
        assert {name for _, name in rows} <= {f"worker {w}" for w in range(WORKERS)}
    engine.dispose()
