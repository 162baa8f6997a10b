"""Why `list_after`'s condition looks as it does (issue 15). Run:
.venv/bin/python bench/keyset_seek.py [postgresql|mariadb] [start|end]

200,000 customers, an index on (name, id), ordered by name: one page of 50 rows, 1,000 rows from
the end (or the start), three ways: the expanded OR of ANDs with the redundant bound on the first
column (what `list_after` sends), the same without the bound, and a row-value comparison. Prints
the best of 20 runs and the head of the plan. Uses a scratch database `sublimate_keyset_bench`
on the test servers (PostgreSQL 127.0.0.1:5432 user postgres, MariaDB 127.0.0.1:3306 root),
dropped afterwards. Nothing here is asserted: tests/behaviour/test_keyset_pages.py checks
behaviour, this prints numbers.
"""

from __future__ import annotations

import datetime
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "generated_example"), str(ROOT / "runtime")]

import sqlalchemy as sa  # noqa: E402
from shop.db import CustomerRepository  # noqa: E402
from shop.models import Base, Customer  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from sublimate_runtime import create_engine  # noqa: E402
from sublimate_runtime.keyset_cursor import Position  # noqa: E402

PG_EXPLAIN = "EXPLAIN (ANALYZE, COSTS OFF) "
SERVERS = {  # kind -> (server URL, database to connect to first, EXPLAIN prefix)
    "postgresql": ("postgresql+psycopg://postgres@127.0.0.1:5432/", "postgres", PG_EXPLAIN),
    "mariadb": ("mysql+pymysql://root@127.0.0.1:3306/", "", "EXPLAIN "),
}
DATABASE = "sublimate_keyset_bench"
ROWS = 200_000


def best_ms(session: Session, statement: Any, runs: int = 20) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        session.execute(statement).all()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def measure(session: Session, near_start: bool, explain: str) -> None:
    repo = CustomerRepository(session)
    order = (Customer.name, Customer.id)
    ordered = [c.asc() if near_start else c.desc() for c in order]
    row = session.scalars(sa.select(Customer).order_by(*ordered).limit(1).offset(1000)).one()
    keyset = repo.spec.keyset("name")
    condition = keyset.condition(
        Position(values=(row.name, row.id), backward=False, inclusive=False)
    )
    page = sa.select(Customer).order_by(*keyset.order_by()).limit(51)
    ways = {
        "expanded + bound (list_after)": page.where(condition),
        "expanded, no bound": page.where(condition.clauses[1]),  # type: ignore[attr-defined]
        "row value": page.where(sa.tuple_(*order) > sa.tuple_(row.name, row.id)),
    }
    bind = session.get_bind()
    for label, statement in ways.items():
        text = statement.compile(dialect=bind.dialect, compile_kwargs={"literal_binds": True})
        plan = [tuple(line) for line in session.execute(sa.text(explain + str(text))).all()]
        where = "start" if near_start else "end"
        print(f"{where:5} {label:30} {best_ms(session, statement):8.2f} ms  {plan[:2]}")


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "postgresql"
    near_start = len(sys.argv) > 2 and sys.argv[2] == "start"
    server, admin_db, explain = SERVERS[kind]
    admin = sa.create_engine(server + admin_db, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {DATABASE}"))
        connection.execute(sa.text(f"CREATE DATABASE {DATABASE}"))
    engine = create_engine(server + DATABASE)
    try:
        Base.metadata.create_all(engine)
        random.seed(1)
        created = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
        rows = [
            {"id": uuid.uuid4(), "email": f"{i}@x", "name": f"N{random.randrange(5000):05d}"}
            for i in range(ROWS)
        ]
        with engine.begin() as connection:
            connection.execute(sa.insert(Customer), [{**r, "created_at": created} for r in rows])
            connection.execute(sa.text("CREATE INDEX ix_name_id ON customers (name, id)"))
            analyze = "ANALYZE customers" if kind == "postgresql" else "ANALYZE TABLE customers"
            connection.execute(sa.text(analyze))
        with Session(engine) as session:
            measure(session, near_start, explain)
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE {DATABASE}"))


if __name__ == "__main__":
    main()
