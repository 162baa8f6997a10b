"""A models-only project (the example shop): its queries are described on an in-memory SQLite
database made from the models' tables, typed by the models' own attributes (a UUID key stays a
`uuid.UUID`), and run on SQLite."""

from __future__ import annotations

import decimal
import importlib
import subprocess
import sys
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.regeneration._support import BIN, example, run

SHOP = """\
-- name: CustomerOrders :many
-- column orders: int
SELECT c.id, c.email, c.birthday, count(o.id) AS orders, max(o.total) AS biggest
FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
WHERE c.email LIKE :pattern
GROUP BY c.id, c.email, c.birthday ORDER BY c.email;

-- name: CustomerById :one
SELECT id, email FROM customers WHERE id = :id;
"""


def test_models_only_queries_are_typed_by_the_models(tmp_path: Path) -> None:
    project = example(tmp_path / "shop", generated=False)
    (project / "queries").mkdir()
    (project / "queries" / "shop.sql").write_text(
        SHOP.replace("max(o.total) AS biggest", "1 AS one")
    )
    result = run("generate", cwd=project)
    assert result.returncode == 2
    assert "queries/shop.sql:1: CustomerOrders: SQLite cannot tell the type of result column" in (
        result.stderr
    )
    (project / "queries" / "shop.sql").write_text(
        SHOP.replace("-- column orders: int", "-- column orders: int\n-- column biggest: Decimal?")
    )
    result = run("generate", cwd=project)
    assert result.returncode == 0, result.stderr
    text = (project / "shop/db/queries/shop.py").read_text()
    assert "    id: uuid.UUID\n    email: str\n    birthday: datetime.date | None\n" in text
    assert "    orders: int\n    biggest: decimal.Decimal | None\n" in text
    assert "def customer_by_id(session: Session, *, id: uuid.UUID)" in text
    mypy = subprocess.run(
        [str(BIN / "mypy"), "--strict", "shop/db/queries"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert mypy.returncode == 0, mypy.stdout
    # The committed example is imported as `shop` too (other tests load it at collection): set
    # its modules aside and put them back after, or msgspec (which resolves a DTO's annotations
    # in sys.modules[cls.__module__] on first use) breaks the tests that run later.
    before = {n: m for n, m in sys.modules.items() if n == "shop" or n.startswith("shop.")}
    for name in before:
        del sys.modules[name]
    sys.path.insert(0, str(project))
    try:
        models = importlib.import_module("shop.models")
        queries = importlib.import_module("shop.db.queries.shop")
        engine = sa.create_engine("sqlite://")
        models.Base.metadata.create_all(engine)
        alice = uuid.uuid4()
        with Session(engine) as session:
            session.add(models.Customer(id=alice, email="alice@example.com", name="Alice"))
            session.flush()  # the query reads the session's own pending rows (autoflush)
            (row,) = queries.customer_orders(session, pattern="%@example.com")
            assert (row.id, row.email, row.orders, row.biggest) == (
                alice,
                "alice@example.com",
                0,
                None,
            )
            found = queries.customer_by_id(session, id=alice)
            assert found is not None and found.email == "alice@example.com"
            assert queries.customer_by_id(session, id=uuid.uuid4()) is None
        engine.dispose()
        assert decimal.Decimal  # the module types Decimal columns with it
    finally:
        sys.path.remove(str(project))
        for name in [n for n in sys.modules if n == "shop" or n.startswith("shop.")]:
            del sys.modules[name]
        sys.modules.update(before)
