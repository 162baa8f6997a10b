"""Typed SQL on PostgreSQL (Chinook, plus an enum, JSON and arrays): the server describes each
statement; generated code lint-clean, results equal to the same SQL run by hand (sync and
asyncio), bad queries named by file and line with the server's message, `check` failing with
the query's name after a schema change."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sublimate_runtime import ConflictError, ForeignKeyError

from tests.introspect_db.support import lint

from .support import as_rows, by_hand, chinook_script, project_with, query_module, sublimate

pytestmark = pytest.mark.server

EXTRA = """
CREATE TYPE mood AS ENUM ('happy', 'sad', 'meh');
CREATE TABLE listener (
    listener_id int PRIMARY KEY,
    customer_id int NOT NULL REFERENCES customer (customer_id),
    mood mood NOT NULL,
    prefs jsonb,
    tags text[] NOT NULL
);
INSERT INTO listener VALUES
    (1, 1, 'happy', '{"volume": 7}', '{rock,jazz}'),
    (2, 2, 'sad', NULL, '{}'),
    (3, 3, 'happy', '{"volume": 2, "eq": [1, 2]}', '{metal}');
"""

REPORTS = """\
-- name: TopCustomers :many
-- column invoices: int
WITH spend AS (
    SELECT customer_id, sum(total) AS total, count(*) AS invoices
    FROM invoice WHERE invoice_date >= :since GROUP BY customer_id
)
SELECT c.customer_id, c.email, s.total, s.invoices, e.last_name AS rep,
       rank() OVER (ORDER BY s.total DESC, c.customer_id) AS position
FROM customer c
JOIN spend s ON s.customer_id = c.customer_id
LEFT JOIN employee e ON e.employee_id = c.support_rep_id
WHERE c.country = ANY(:countries)
ORDER BY position
LIMIT :n;

-- name: GenreById :one
SELECT * FROM genre WHERE genre_id = :id;

-- name: Listeners :many
SELECT l.listener_id, l.mood, l.prefs, l.tags, c.first_name
FROM listener l JOIN customer c USING (customer_id)
WHERE l.mood = :mood OR :any_mood
ORDER BY l.listener_id;

-- name: AddGenre :one
INSERT INTO genre (genre_id, name) VALUES (:id, :name) RETURNING *;

-- name: AddListener :exec
INSERT INTO listener (listener_id, customer_id, mood, prefs, tags)
VALUES (:id, :customer_id, :mood, :prefs, :tags);

-- name: GenresIn :many
-- param ids: list[int]
SELECT * FROM genre WHERE genre_id IN (:ids) ORDER BY genre_id;

-- name: RenameGenre :execrows
UPDATE genre SET name = :name WHERE genre_id = ANY(:ids);
"""

READS: dict[str, dict[str, Any]] = {
    "top_customers": {
        "since": __import__("datetime").datetime(2022, 1, 1),
        "countries": ["USA", "Canada", "France"],
        "n": 8,
    },
    "listeners": {"mood": "happy", "any_mood": False},
}


def _sql(name: str) -> str:
    wanted = "".join(part.capitalize() for part in name.split("_"))
    block = REPORTS.split(f"-- name: {wanted} ")[1].split("\n-- name:")[0]
    lines = [line for line in block.splitlines()[1:] if not line.startswith("--")]
    return "\n".join(lines).strip().rstrip(";")


@pytest.fixture(scope="module")
def chinook(server_admin: Callable[[str], sa.Engine]) -> Iterator[sa.URL]:
    admin = server_admin("postgresql")
    name = f"sbq_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    url = admin.url.set(database=name)
    engine = sa.create_engine(url)
    raw: Any = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(chinook_script("postgresql") + EXTRA)
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))


def _url(url: sa.URL) -> str:
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def project(chinook: sa.URL, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = project_with(tmp_path_factory.mktemp("pg"), _url(chinook), {"reports.sql": REPORTS})
    result = sublimate(root, "generate")
    assert result.code == 0, result.stderr
    return root


def test_generated_code_is_mypy_strict_and_ruff_clean(project: Path, tmp_path: Path) -> None:
    lint(project, tmp_path / "mypy-cache")


def test_the_server_types_parameters_and_columns(project: Path) -> None:
    text = (project / "app/db/queries/reports.py").read_text()
    assert "since: datetime.datetime, countries: list[str], n: int" in text
    assert "    email: str\n    total: decimal.Decimal | None\n    invoices: int\n" in text
    assert "    rep: str | None\n" in text  # the LEFT JOIN side
    assert 'mood: Literal["happy", "sad", "meh"]' in text
    assert "    prefs: Any | None\n    tags: list[str]\n" in text
    assert "def genre_by_id(session: Session, *, id: int) -> GenreRead | None:" in text
    assert "def add_genre(session: Session, *, id: int, name: str) -> GenreRead | None:" in text


def test_results_equal_the_same_sql_run_by_hand(project: Path, chinook: sa.URL) -> None:
    engine = sa.create_engine(chinook)
    with query_module(project, "reports") as reports, Session(engine) as session:
        for function, arguments in READS.items():
            got = as_rows(getattr(reports, function)(session, **arguments))
            assert got == by_hand(engine, _sql(function), arguments) and got, function
        listeners = reports.listeners(session, mood="sad", any_mood=True)
        assert [r.prefs for r in listeners] == [{"volume": 7}, None, {"volume": 2, "eq": [1, 2]}]
        assert reports.genre_by_id(session, id=2).name == "Jazz"
    engine.dispose()


def test_asyncio_functions_return_the_same_rows(project: Path, chinook: sa.URL) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    async def fetch() -> list[Any]:
        engine = create_async_engine(chinook.set(drivername="postgresql+asyncpg"))
        try:
            async with AsyncSession(engine) as session:
                return [
                    await reports.async_top_customers(session, **READS["top_customers"]),
                    await reports.async_listeners(session, **READS["listeners"]),
                ]
        finally:
            await engine.dispose()

    engine = sa.create_engine(chinook)
    with query_module(project, "reports") as reports, Session(engine) as session:
        got = asyncio.run(fetch())
        expected = [
            reports.top_customers(session, **READS["top_customers"]),
            reports.listeners(session, **READS["listeners"]),
        ]
    engine.dispose()
    assert got == expected


def test_writes_and_error_mapping(project: Path, chinook: sa.URL) -> None:
    engine = sa.create_engine(chinook)
    with query_module(project, "reports") as reports, Session(engine) as session:
        added = reports.add_genre(session, id=900, name="Zouk")
        assert (added.genre_id, added.name) == (900, "Zouk")
        assert reports.rename_genre(session, name="Z", ids=[900, 1, 99_999]) == 2
        with pytest.raises(ConflictError):
            reports.add_genre(session, id=1, name="again")
        assert reports.genre_by_id(session, id=900) is None  # rolled back with the conflict
        with pytest.raises(ForeignKeyError):
            reports.add_listener(
                session, id=9, customer_id=123_456, mood="meh", prefs={"a": 1}, tags=["x"]
            )
        reports.add_listener(session, id=9, customer_id=1, mood="meh", prefs={"a": 1}, tags=["x"])
        row = reports.listeners(session, mood="meh", any_mood=False)[0]
        assert (row.mood, row.prefs, row.tags) == ("meh", {"a": 1}, ["x"])
        session.rollback()
    engine.dispose()


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "-- name: Bad :many\nSELECT customer_id,\n  emial FROM customer",
            'queries/bad.sql:3: Bad: column "emial" does not exist',
        ),
        (
            "-- name: Bad :many\nSELECT customer_id\nFROM customer JOIN invoice\n"
            "  ON invoice.customer_id = customer.customer_id",
            'queries/bad.sql:2: Bad: column reference "customer_id" is ambiguous',
        ),
        (
            "-- name: Good :one\nSELECT 1 AS one\n\n-- name: Bad :many\nSELECT * FROM\n"
            "customer WHERE",
            "queries/bad.sql:6: Bad: syntax error at end of input",
        ),
    ],
)
def test_bad_queries_stop_generation_with_the_servers_message(
    chinook: sa.URL, tmp_path: Path, sql: str, message: str
) -> None:
    root = project_with(tmp_path, _url(chinook), {"bad.sql": sql})
    result = sublimate(root, "generate")
    assert result.code == 2
    assert f"error: {message}" in result.stderr
    assert not (root / "app" / "db").exists()


def test_check_names_the_query_after_a_schema_change(
    chinook: sa.URL, tmp_path: Path, server_admin: Callable[[str], sa.Engine]
) -> None:
    admin = server_admin("postgresql")
    name = f"sbq_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name} TEMPLATE {chinook.database}"))
    url = admin.url.set(database=name)
    try:
        sql = "-- name: CustomerEmails :many\nSELECT customer_id, email\nFROM customer\n"
        root = project_with(tmp_path, _url(url), {"reports.sql": sql})
        assert sublimate(root, "generate").code == 0
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text("ALTER TABLE customer DROP COLUMN email"))
        engine.dispose()
        result = sublimate(root, "check")
        assert result.code == 1
        assert (
            "queries/reports.sql: CustomerEmails: column customer.email no longer exists"
            ' (column "email" does not exist) (line 2)'
        ) in result.stdout
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))


def test_inspect_queries_shows_origins_and_nullability(project: Path) -> None:
    result = sublimate(project, "inspect", "--queries")
    assert result.code == 0, result.stderr
    (file,) = json.loads(result.stdout)
    assert file["dialect"] == "postgresql"
    top = next(q for q in file["queries"] if q["name"] == "TopCustomers")
    facts = {c["label"]: (c["python_type"], c["origin"]) for c in top["columns"]}
    assert facts["email"] == ("str", "customer.email")
    assert facts["position"] == ("int | None", "")  # an expression: the server cannot promise


def test_an_in_list_binds_one_value_per_element(project: Path, chinook: Any) -> None:
    text = (project / "app/db/queries/reports.py").read_text()
    assert 'sa.bindparam("ids", expanding=True' in text and "IN :ids" in text
    engine = sa.create_engine(chinook if isinstance(chinook, sa.URL) else f"sqlite:///{chinook}")
    with query_module(project, "reports") as reports, Session(engine) as session:
        assert [g.name for g in reports.genres_in(session, ids=[3, 1, 99])] == ["Rock", "Metal"]
        assert reports.genres_in(session, ids=[]) == []
    engine.dispose()
