"""`dto = "msgspec"` against `dto = "pydantic"`: a page of 1,000 rows to JSON bytes, same run.

    .venv/bin/python bench/dto_json.py                     # SQLite file, 9 blocks
    .venv/bin/python bench/dto_json.py --blocks 3 --postgresql postgresql+psycopg://postgres@127.0.0.1/postgres

Not a test: it prints figures. The msgspec flavour is generated_example/ (shop.db); the pydantic
flavour the golden case tests/golden/pydantic_on (pyshop.db), generated from the same models, so
both read the same `customers` table of one database. Each measures the service's
`list(order_by=ID, limit=1000)` (the row path: column rows straight into Read DTOs), then the
page encoded as the generated FastAPI routers answer it (`sublimate_runtime.fastapi.encoded`:
msgspec's encoder; a pydantic Read spliced in as its own JSON); the two outputs are checked equal
as JSON. Also shown: the pydantic page encoded by pydantic alone (`TypeAdapter(list[Read])`), the
reference for what a pydantic app would do itself. Each block runs the flavours in a shuffled
order, each in a session of its own, after a gc.collect(); the figure is the median over blocks.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "generated_example"))
sys.path.insert(0, str(ROOT / "tests" / "golden" / "pydantic_on"))

import pydantic  # noqa: E402
from pyshop.db import CustomerOrder as PyOrder  # noqa: E402
from pyshop.db import CustomerRead as PyRead  # noqa: E402
from pyshop.db import CustomerService as PyService  # noqa: E402
from shop.db import CustomerOrder, CustomerService  # noqa: E402
from shop.models import Base, Customer  # noqa: E402
from sublimate_runtime import create_engine  # noqa: E402
from sublimate_runtime.fastapi import encoded  # noqa: E402

ROWS = 1000


def seed(engine: sa.Engine) -> None:
    Base.metadata.drop_all(engine, tables=[Customer.__table__])
    Base.metadata.create_all(engine, tables=[Customer.__table__])
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    with Session(engine) as session:
        session.add_all(
            Customer(
                id=uuid.UUID(int=n + 1),
                email=f"customer{n}@example.com",
                name=f"Customer {n}",
                created_at=start + datetime.timedelta(minutes=n),
                birthday=datetime.date(1980, 1, 1) + datetime.timedelta(days=n) if n % 3 else None,
                note=None if n % 2 else f"note {n}",
            )
            for n in range(ROWS)
        )
        session.commit()


def runs(engine: sa.Engine) -> dict[str, Callable[[], tuple[float, float, bytes]]]:
    """label -> one measured run: (seconds listing, seconds encoding, the bytes)."""
    adapter = pydantic.TypeAdapter(list[PyRead])

    def measured(service: Any, order: Any, encode: Callable[[Any], bytes]) -> Any:
        def run() -> tuple[float, float, bytes]:
            with Session(engine) as session:
                session.connection()  # begun before the clock
                gc.collect()
                start = time.perf_counter()
                page = service(session).list(order_by=order.ID, limit=ROWS)
                listed = time.perf_counter()
                body = encode(page)
                done = time.perf_counter()
            assert len(page.items) == ROWS
            return listed - start, done - listed, body

        return run

    def router(page: Any) -> bytes:
        body: bytes = encoded(page).body
        return body

    def pydantic_alone(page: Any) -> bytes:
        return b'{"items":' + adapter.dump_json(page.items) + b"}"

    return {
        "msgspec (router encode)": measured(CustomerService, CustomerOrder, router),
        "pydantic (router encode)": measured(PyService, PyOrder, router),
        "pydantic (TypeAdapter items)": measured(PyService, PyOrder, pydantic_alone),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--blocks", type=int, default=9)
    parser.add_argument("--postgresql", help="a PostgreSQL URL to run on as well")
    args = parser.parse_args()
    targets = [("sqlite", f"sqlite+pysqlite:///{Path('/tmp') / 'sublimate_dto_json.db'}")]
    if args.postgresql:
        targets.append(("postgresql", args.postgresql))
    for name, url in targets:
        engine = create_engine(url)
        seed(engine)
        measured = runs(engine)
        bodies = {label: run()[2] for label, run in measured.items()}  # warm up, and compare
        first = json.loads(bodies["msgspec (router encode)"])
        assert json.loads(bodies["pydantic (router encode)"]) == first
        assert json.loads(bodies["pydantic (TypeAdapter items)"])["items"] == first["items"]
        times: dict[str, list[tuple[float, float]]] = {label: [] for label in measured}
        for _ in range(args.blocks):
            order = list(measured)
            random.shuffle(order)
            for label in order:
                listed, encoding, _ = measured[label]()
                times[label].append((listed, encoding))
        base = statistics.median(a + b for a, b in times["msgspec (router encode)"])
        print(f"{name}: list {ROWS} rows -> JSON bytes, median of {args.blocks} blocks")
        for label, found in times.items():
            listed = statistics.median(a for a, _ in found) * 1000
            encoding = statistics.median(b for _, b in found) * 1000
            total = statistics.median(a + b for a, b in found)
            print(
                f"  {label:30} list {listed:6.2f} ms  encode {encoding:6.2f} ms"
                f"  total {total * 1000:6.2f} ms  x{total / base:.2f}"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
