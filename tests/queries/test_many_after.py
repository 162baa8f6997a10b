"""`:many_after`: typed SQL read in keyset pages, on SQLite, PostgreSQL and MariaDB (Chinook).

Walking the pages forward (and back from the last) gives exactly the full result in the order
the query states (NULLs as the greatest value), a cursor passed back with other parameters, to
another query, or tampered with is refused, and a query that cannot be paged stops generation
saying why.
"""

from __future__ import annotations

import asyncio
import base64
import decimal
import json
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import Session
from sublimate_runtime import InvalidCursorError

from tests.introspect_db.support import lint

from .support import chinook_script, load_chinook, project_with, query_module, sublimate

# Written with SQLite's and MariaDB's Chinook names; PostgreSQL's are snake_case (`for_pg`).
PAGED = """\
-- name: InvoicesAfter :many_after
SELECT InvoiceId, CustomerId, BillingState, Total FROM Invoice
WHERE Total >= :min_total
ORDER BY BillingState DESC, Total, InvoiceId;

-- name: CustomerInvoices :many_after
-- unique: InvoiceId
SELECT i.InvoiceId, c.Email, i.Total FROM Invoice i JOIN Customer c ON c.CustomerId = i.CustomerId
WHERE c.Country = :country ORDER BY 2, i.InvoiceId DESC;

-- name: GenresAfter :many_after
SELECT * FROM Genre WHERE GenreId > :after ORDER BY Name, GenreId;

-- name: Counted :one
SELECT count(*) AS n FROM Invoice WHERE Total > :floor;
"""
BACKENDS = [
    pytest.param("sqlite"),
    pytest.param("postgresql", marks=pytest.mark.server),
    pytest.param("mysql", marks=pytest.mark.server),
]


def for_pg(sql: str) -> str:
    """CamelCase Chinook names as PostgreSQL's sample spells them (`InvoiceId` -> invoice_id)."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", sql).lower()


@pytest.fixture(scope="module", params=BACKENDS)
def chinook(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.URL]:
    backend: str = request.param
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("chinook") / "chinook.db"
        with sqlite3.connect(path) as connection:
            connection.executescript(chinook_script("sqlite"))
        yield sa.make_url(f"sqlite:///{path}")
        return
    server_admin: Callable[[str], sa.Engine] = request.getfixturevalue("server_admin")
    admin = server_admin(backend)
    name = f"sbp_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    url = admin.url.set(database=name)
    try:
        load_chinook(url)
        yield url
    finally:
        force = " WITH (FORCE)" if backend == "postgresql" else ""
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE {name}{force}"))


@pytest.fixture(scope="module")
def sqlite_chinook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("chinook") / "chinook.db"
    with sqlite3.connect(path) as connection:
        connection.executescript(chinook_script("sqlite"))
    return path


def _sql(url: sa.URL, sql: str) -> str:
    return for_pg(sql) if url.get_backend_name() == "postgresql" else sql


@pytest.fixture(scope="module")
def project(chinook: sa.URL, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = project_with(
        tmp_path_factory.mktemp("paged"),
        chinook.render_as_string(hide_password=False),
        {"reports.sql": _sql(chinook, PAGED)},
    )
    result = sublimate(root, "generate")
    assert result.code == 0, result.stderr
    return root


def walk(function: Callable[..., Any], session: Session, limit: int, **params: Any) -> list[Any]:
    """Every page from the first, forward; then back from the last: both must agree."""
    pages = [function(session, limit=limit, **params)]
    while pages[-1].next_cursor is not None:
        pages.append(function(session, cursor=pages[-1].next_cursor, limit=limit, **params))
    forward = [item for page in pages for item in page.items]
    assert all(len(page.items) == limit for page in pages[:-1])
    backward = list(pages[-1].items)
    cursor = pages[-1].prev_cursor
    while cursor is not None:
        page = function(session, cursor=cursor, limit=limit, **params)
        backward = [*page.items, *backward]
        cursor = page.prev_cursor
    assert backward == forward
    return forward


def _all_rows(engine: sa.Engine, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(sql), params)]


def test_generated_code_is_mypy_strict_and_ruff_clean(
    project: Path, chinook: sa.URL, tmp_path: Path
) -> None:
    if chinook.get_backend_name() == "mysql":
        pytest.skip("the same template as the other two; linting costs a mypy run")
    lint(project, tmp_path / "mypy-cache")
    text = (project / "app/db/queries/reports.py").read_text()
    assert "cursor: str | None = None, limit: int = 50" in text
    assert "-> KeysetPage[InvoicesAfterRow]:" in text and "-> KeysetPage[GenreRead]:" in text
    order = _sql(chinook, "BillingState,Total,InvoiceId").split(",")
    assert f":many_after.\n\n    Pages by {order[0]} DESC, {order[1]}, {order[2]}." in text
    assert "\n    n: int\n" in text  # count(*): never NULL, an int even on SQLite
    assert "ORDER BY" not in text.split("_INVOICES_AFTER = ")[1].split("_PAGES")[0]


def test_pages_concatenate_to_the_full_result_in_its_order(project: Path, chinook: sa.URL) -> None:
    engine = sa.create_engine(chinook)
    five = decimal.Decimal("5")
    # the database's own order, NULLs spelled greatest (MariaDB has no NULLS FIRST)
    unordered = PAGED.split("ORDER BY")[0].split("\n", 1)[1]
    in_order = "ORDER BY BillingState IS NULL DESC, BillingState DESC, Total, InvoiceId"
    full = _all_rows(engine, _sql(chinook, unordered + in_order), {"min_total": 5})
    joined_sql = PAGED.split("-- unique: InvoiceId\n")[1].split(";")[0]
    joined = _all_rows(engine, _sql(chinook, joined_sql), {"country": "USA"})
    with query_module(project, "reports") as reports, Session(engine) as session:
        walked = walk(reports.invoices_after, session, 13, min_total=five)
        assert [(r.invoice_id, r.billing_state) for r in walked] == [(r[0], r[2]) for r in full]
        assert walked[0].billing_state is None and walked[-1].billing_state is not None
        assert len(walked) > 100
        paged = walk(reports.customer_invoices, session, 4, country="USA")
        assert [(r.invoice_id, r.email) for r in paged] == [r[:2] for r in joined]
        assert len(paged) == 91
        genres = walk(reports.genres_after, session, 5, after=0)  # rows are GenreRead DTOs
        by_name = "SELECT GenreId FROM Genre ORDER BY Name IS NULL, Name, GenreId"
        assert [g.genre_id for g in genres] == [
            r[0] for r in _all_rows(engine, _sql(chinook, by_name), {})
        ]
        count = reports.counted(session, floor=five)
        assert count is not None and count.n == len(full)
    engine.dispose()


def _cursor_with(cursor: str, change: Callable[[list[Any]], None]) -> str:
    raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    change(raw)
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).rstrip(b"=").decode()


def test_a_cursor_is_bound_to_its_query_and_parameters(project: Path, chinook: sa.URL) -> None:
    engine = sa.create_engine(chinook)
    five = decimal.Decimal("5")
    with query_module(project, "reports") as reports, Session(engine) as session:
        cursor = reports.invoices_after(session, min_total=five, limit=3).next_cursor
        assert cursor is not None
        with pytest.raises(InvalidCursorError, match="made for another order or filter"):
            reports.invoices_after(session, min_total=decimal.Decimal("6"), cursor=cursor)
        with pytest.raises(InvalidCursorError, match="made for another"):
            reports.customer_invoices(session, country="USA", cursor=cursor)

        def retyped(raw: list[Any]) -> None:
            raw[2][2] = "not a number"

        def elsewhere(raw: list[Any]) -> None:
            raw[0] = raw[0][::-1]

        for tampered in (_cursor_with(cursor, retyped), _cursor_with(cursor, elsewhere), "@@"):
            with pytest.raises(InvalidCursorError):
                reports.invoices_after(session, min_total=five, cursor=tampered)
        assert reports.invoices_after(session, min_total=five, cursor=cursor, limit=3).items
    engine.dispose()


def test_async_pages_equal_the_sync_ones(project: Path, chinook: sa.URL) -> None:
    if chinook.get_backend_name() != "sqlite":
        pytest.skip("the asyncio twin is the same template; SQLite shows it")
    five = decimal.Decimal("5")

    async def first_two() -> list[Any]:
        engine = create_async_engine(chinook.set(drivername="sqlite+aiosqlite"))
        try:
            async with AsyncSession(engine) as session:
                page = await reports.async_invoices_after(session, min_total=five, limit=6)
                after = await reports.async_invoices_after(
                    session, min_total=five, limit=6, cursor=page.next_cursor
                )
                return [*page.items, *after.items]
        finally:
            await engine.dispose()

    with query_module(project, "reports") as reports:
        got = asyncio.run(first_two())
        engine = sa.create_engine(chinook)
        with Session(engine) as session:
            expected = reports.invoices_after(session, min_total=five, limit=12).items
        engine.dispose()
    assert got == expected


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "SELECT InvoiceId, Total FROM Invoice WHERE Total > :t",
            "queries/bad.sql:2: Bad: a :many_after query ends with ORDER BY",
        ),
        (
            "SELECT InvoiceId, Total FROM Invoice WHERE Total > :t\nORDER BY Total, InvoiceId\n"
            "LIMIT 5",
            "queries/bad.sql:4: Bad: a :many_after query pages itself: remove its LIMIT clause",
        ),
        (
            "SELECT InvoiceId, Total FROM Invoice WHERE Total > :t ORDER BY Total * 2, InvoiceId",
            "queries/bad.sql:2: Bad: ORDER BY Total * 2: a :many_after query orders by result"
            " columns",
        ),
        (
            "SELECT InvoiceId, Total FROM Invoice WHERE Total > :t ORDER BY Total",
            "queries/bad.sql:1: Bad: the ORDER BY of a :many_after query must identify a row",
        ),
        (
            "SELECT i.InvoiceId, c.Email FROM Invoice i JOIN Customer c"
            " ON c.CustomerId = i.CustomerId WHERE i.Total > :t ORDER BY c.Email, i.InvoiceId",
            "queries/bad.sql:1: Bad: the ORDER BY of a :many_after query must identify a row",
        ),
        (
            "SELECT InvoiceId, Total FROM Invoice WHERE Total > :t ORDER BY Total, InvoiceId",
            "queries/bad.sql:2: Bad: `-- unique: Email`: Email is not in the ORDER BY",
        ),
        (
            "SELECT InvoiceId, BillingState FROM Invoice WHERE Total > :t"
            " ORDER BY BillingState NULLS FIRST, InvoiceId",
            "queries/bad.sql:2: Bad: ORDER BY BillingState NULLS FIRST: keyset pages sort NULLs"
            " as the greatest value (NULLS LAST here",
        ),
        (
            "SELECT InvoiceId, Total FROM Invoice WHERE Total > :limit ORDER BY InvoiceId",
            "queries/bad.sql:1: Bad: rename :limit: a :many_after function takes `cursor` and"
            " `limit` itself",
        ),
    ],
)
def test_queries_that_cannot_be_paged_stop_generation(
    sqlite_chinook: Path, tmp_path: Path, sql: str, message: str
) -> None:
    path = sqlite_chinook
    unique = "-- unique: Total, Email\n" if "unique" in message else ""
    text = f"-- name: Bad :many_after\n{unique}{sql}\n"
    root = project_with(tmp_path / "p", f"sqlite:///{path}", {"bad.sql": text})
    result = sublimate(root, "generate")
    assert result.code == 2, result.stderr
    assert f"error: {message}" in result.stderr
    assert not (root / "app" / "db").exists()
