"""Nested Read DTOs on Chinook (SQLite, sync and asyncio): customer -> invoices -> invoice
lines -> tracks, read through the generated services, equal to the same rows joined by hand.

The generated classes give one level (`CustomerReadWithInvoices`, `InvoiceLineReadWithTrack`);
deeper shapes are written by the user as subclasses of the Read DTOs (here with
`msgspec.defstruct`), and the service loads what they hold: one statement per collection level,
the to-one track joined into its lines' statement.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import Session

from tests.introspect_db.support import imported

from .support import by_hand, chinook_script, plain, project_with, sublimate

JOINED = """
SELECT c.CustomerId, c.Email, i.InvoiceId, i.Total, il.InvoiceLineId, il.Quantity,
       il.UnitPrice, t.TrackId, t.Name
FROM Customer c
JOIN Invoice i ON i.CustomerId = c.CustomerId
JOIN InvoiceLine il ON il.InvoiceId = i.InvoiceId
JOIN Track t ON t.TrackId = il.TrackId
WHERE c.CustomerId <= :last
ORDER BY c.CustomerId, i.InvoiceId, il.InvoiceLineId
"""


@pytest.fixture(scope="module")
def chinook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("chinook") / "chinook.db"
    with sqlite3.connect(path) as connection:
        connection.executescript(chinook_script("sqlite"))
    return path


@pytest.fixture(scope="module")
def app(chinook: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = project_with(tmp_path_factory.mktemp("project"), f"sqlite:///{chinook}", {})
    result = sublimate(root, "generate")
    assert result.code == 0, result.stderr
    with imported(root, "app.db") as package:
        yield package


def shapes(app: ModuleType) -> type[Any]:
    """CustomerRead with invoices, each with its lines, each with its track."""
    dtos = app.dtos
    invoice = msgspec.defstruct(
        "InvoiceWithLines",
        [("invoice_lines", list[dtos.invoice_line.InvoiceLineReadWithTrack])],
        bases=(dtos.invoice.InvoiceRead,),
        kw_only=True,
    )
    customer: type[Any] = msgspec.defstruct(
        "CustomerWithInvoices",
        [("invoices", list[invoice])],  # type: ignore[valid-type]
        bases=(dtos.customer.CustomerRead,),
        kw_only=True,
    )
    return customer


def flattened(customers: list[Any]) -> list[tuple[Any, ...]]:
    """The nested DTOs as the joined rows (collections sorted by key: selectin has no order)."""
    rows = []
    for c in customers:
        for i in sorted(c.invoices, key=lambda invoice: invoice.invoice_id):
            for line in sorted(i.invoice_lines, key=lambda line: line.invoice_line_id):
                track = line.track
                values = (c.customer_id, c.email, i.invoice_id, i.total, line.invoice_line_id)
                values += (line.quantity, line.unit_price, track.track_id, track.name)
                rows.append(tuple(plain(v) for v in values))
    return rows


def counted(engine: sa.Engine, statements: list[str]) -> None:
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))


def test_nested_dtos_equal_the_rows_joined_by_hand(app: ModuleType, chinook: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{chinook}")
    expected = by_hand(engine, JOINED, {"last": 5})
    shape = shapes(app)
    statements: list[str] = []
    counted(engine, statements)
    with Session(engine) as session:
        page = app.CustomerService(session).list_with(shape, limit=5)
        encoded = msgspec.json.encode(page)
    assert len(statements) == 3  # customers (with the total), invoices, lines joined to tracks
    assert page.total == 59 and [c.customer_id for c in page.items] == [1, 2, 3, 4, 5]
    assert flattened(page.items) == expected and len(expected) > 100
    assert msgspec.json.decode(encoded)["items"][0]["invoices"][0]["invoice_lines"][0]["track"]
    statements.clear()
    with Session(engine) as session:
        one = app.CustomerService(session).get_with(shape, 3)
    assert len(statements) == 3
    assert flattened([one]) == [row for row in expected if row[0] == 3]


def test_asyncio_reads_the_same(app: ModuleType, chinook: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{chinook}")
    expected = by_hand(engine, JOINED, {"last": 5})
    shape = shapes(app)
    first_level = app.dtos.customer.CustomerReadWithInvoices

    async def read() -> tuple[Any, Any, list[str]]:
        async_engine = create_async_engine(f"sqlite+aiosqlite:///{chinook}")
        statements: list[str] = []
        counted(async_engine.sync_engine, statements)
        try:
            async with AsyncSession(async_engine) as session:
                service = app.AsyncCustomerService(session)
                page = await service.list_after_with(shape, None, 5)
                flat = await service.list_with(first_level, limit=5)
        finally:
            await async_engine.dispose()
        return page, flat, statements

    page, flat, statements = asyncio.run(read())
    assert len(statements) == 5  # 3 for the deep keyset page, 2 for the one-level list
    assert flattened(page.items) == expected and page.next_cursor is not None
    invoices = {c.customer_id: sorted(i.invoice_id for i in c.invoices) for c in flat.items}
    assert invoices == {
        customer: sorted({row[2] for row in expected if row[0] == customer})
        for customer in range(1, 6)
    }
