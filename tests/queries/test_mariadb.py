"""Typed SQL on MariaDB (Chinook): checked by PREPARE, described by running each statement once
on an empty scratch copy of the schema (rolled back, dropped after); generated code lint-clean,
results equal to the same SQL run by hand, bad queries named by file and line, `check` naming
the query after a schema change."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sublimate_runtime import ConflictError, IntegrityViolationError

from tests.introspect_db.support import lint

from .support import as_rows, by_hand, load_chinook, project_with, query_module, sublimate

pytestmark = pytest.mark.server

REPORTS = """\
-- name: TopCustomers :many
SELECT c.CustomerId, c.Email, sum(i.Total) AS total, count(*) AS invoices, e.LastName AS rep
FROM Customer c JOIN Invoice i ON i.CustomerId = c.CustomerId
LEFT JOIN Employee e ON e.EmployeeId = c.SupportRepId
WHERE i.Total >= :min_total AND c.Country IN (:a, :b, :c)
GROUP BY c.CustomerId, c.Email, e.LastName
ORDER BY total DESC, c.CustomerId
LIMIT :n;

-- name: GenreById :one
SELECT GenreId, Name FROM Genre WHERE GenreId = :id;

-- name: Ranked :many
-- param before: datetime
WITH big AS (SELECT CustomerId, InvoiceId, InvoiceDate, Total FROM Invoice WHERE Total > :floor)
SELECT b.CustomerId, b.InvoiceId, b.InvoiceDate,
       rank() OVER (PARTITION BY b.CustomerId ORDER BY b.Total DESC, b.InvoiceId) AS position
FROM big b WHERE b.InvoiceDate < :before ORDER BY b.CustomerId, position LIMIT 30;

-- name: AddGenre :one
INSERT INTO Genre (GenreId, Name) VALUES (:id, :name) RETURNING GenreId, Name;

-- name: GenresIn :many
-- param ids: list[int]
SELECT * FROM Genre WHERE GenreId IN (:ids) ORDER BY GenreId;

-- name: RenameGenre :execrows
UPDATE Genre SET Name = :name WHERE GenreId = :id;
"""

READS: dict[str, dict[str, Any]] = {
    "top_customers": {
        "min_total": decimal.Decimal("5"),
        "a": "USA",
        "b": "Canada",
        "c": "Brazil",
        "n": 6,
    },
    "ranked": {"floor": decimal.Decimal("10"), "before": datetime.datetime(2023, 1, 1)},
}


def _sql(name: str) -> str:
    wanted = "".join(part.capitalize() for part in name.split("_"))
    block = REPORTS.split(f"-- name: {wanted} ")[1].split("\n-- name:")[0]
    lines = [line for line in block.splitlines()[1:] if not line.startswith("--")]
    return "\n".join(lines).strip().rstrip(";")


@pytest.fixture(scope="module")
def chinook(server_admin: Callable[[str], sa.Engine]) -> Iterator[sa.URL]:
    admin = server_admin("mysql")
    name = f"sbq_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    url = admin.url.set(database=name)
    try:
        load_chinook(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE {name}"))


def _url(url: sa.URL) -> str:
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def project(chinook: sa.URL, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = project_with(tmp_path_factory.mktemp("maria"), _url(chinook), {"reports.sql": REPORTS})
    result = sublimate(root, "generate")
    assert result.code == 0, result.stderr
    return root


def test_generated_code_is_mypy_strict_and_ruff_clean(project: Path, tmp_path: Path) -> None:
    lint(project, tmp_path / "mypy-cache")


def test_types_and_nullability_from_the_servers_metadata(project: Path, chinook: sa.URL) -> None:
    text = (project / "app/db/queries/reports.py").read_text()
    assert "min_total: decimal.Decimal, a: str, b: str, c: str, n: int" in text
    assert "    email: str\n    total: decimal.Decimal | None\n    invoices: int\n" in text
    assert "    rep: str | None\n" in text
    assert "def genre_by_id(session: Session, *, id: int) -> GenreRead | None:" in text
    assert "    invoice_date: datetime.datetime\n    position: int\n" in text
    admin = sa.create_engine(chinook)
    with admin.connect() as connection:  # the scratch database is gone
        names = connection.execute(sa.text("SHOW DATABASES LIKE 'sublimate_scratch_%'")).all()
    admin.dispose()
    assert names == []


def test_results_equal_the_same_sql_run_by_hand(project: Path, chinook: sa.URL) -> None:
    engine = sa.create_engine(chinook)
    with query_module(project, "reports") as reports, Session(engine) as session:
        for function, arguments in READS.items():
            got = as_rows(getattr(reports, function)(session, **arguments))
            assert got == by_hand(engine, _sql(function), arguments) and got, function
        assert reports.genre_by_id(session, id=2).name == "Jazz"
        added = reports.add_genre(session, id=900, name="Zouk")
        assert (added.genre_id, added.name) == (900, "Zouk")
        assert reports.rename_genre(session, name="Zouk!", id=900) == 1
        with pytest.raises(ConflictError):
            reports.add_genre(session, id=1, name="again")
        assert reports.genre_by_id(session, id=900) is None  # rolled back with the conflict
    engine.dispose()


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "-- name: Bad :many\nSELECT CustomerId,\n  Emial FROM Customer",
            "queries/bad.sql:1: Bad: Unknown column 'Emial'",
        ),
        (
            "-- name: Bad :many\nSELECT CustomerId\nFROM Customer WHERE",
            "queries/bad.sql:3: Bad: You have an error in your SQL syntax",
        ),
        (
            "-- name: Bad :many\nSELECT CustomerId FROM Customer WHERE length(Email) > :n",
            "queries/bad.sql:1: Bad: MariaDB cannot tell the type of parameter :n",
        ),
    ],
)
def test_bad_queries_stop_generation(
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
    admin = server_admin("mysql")
    name = f"sbq_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
        connection.execute(
            sa.text(f"CREATE TABLE {name}.Customer LIKE {chinook.database}.Customer")
        )
    url = admin.url.set(database=name)
    try:
        sql = "-- name: CustomerEmails :many\nSELECT CustomerId, Email FROM Customer\n"
        root = project_with(tmp_path, _url(url), {"reports.sql": sql})
        assert sublimate(root, "generate").code == 0
        manifest = json.loads((root / "app/db/.sublimate.json").read_text())
        assert manifest["queries"]["queries/reports.sql"]["CustomerEmails"]["reads"] == [
            "Customer.CustomerId",
            "Customer.Email",
        ]
        with admin.connect() as connection:
            connection.execute(sa.text(f"ALTER TABLE {name}.Customer DROP COLUMN Email"))
        result = sublimate(root, "check")
        assert result.code == 1
        assert "queries/reports.sql: CustomerEmails: column Customer.Email no longer exists" in (
            result.stdout
        )
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE {name}"))


def test_an_in_list_binds_one_value_per_element(project: Path, chinook: Any) -> None:
    text = (project / "app/db/queries/reports.py").read_text()
    assert 'sa.bindparam("ids", expanding=True' in text and "IN :ids" in text
    engine = sa.create_engine(chinook if isinstance(chinook, sa.URL) else f"sqlite:///{chinook}")
    with query_module(project, "reports") as reports, Session(engine) as session:
        assert [g.name for g in reports.genres_in(session, ids=[3, 1, 99])] == ["Rock", "Metal"]
        assert reports.genres_in(session, ids=[]) == []
    engine.dispose()


def test_check_constraints_do_not_trip_the_stand_in_values(
    tmp_path: Path, server_admin: Callable[[str], sa.Engine]
) -> None:
    """The describe inserts typed stand-ins (0, '') into the scratch copy: a CHECK they break
    says nothing about the statement, so the scratch session switches CHECKs off."""
    admin = server_admin("mysql")
    name = f"sbq_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
        connection.execute(
            sa.text(
                f"CREATE TABLE {name}.priced (id int PRIMARY KEY, price int NOT NULL"
                " CHECK (price > 0), label varchar(20) NOT NULL, CONSTRAINT label_set"
                " CHECK (label <> ''))"
            )
        )
    url = admin.url.set(database=name)
    try:
        sql = (
            "-- name: AddPriced :exec\n"
            "INSERT INTO priced (id, price, label) VALUES (:id, :price, :label);\n"
        )
        root = project_with(tmp_path, _url(url), {"reports.sql": sql})
        result = sublimate(root, "generate")
        assert result.code == 0, result.stderr
        text = (root / "app/db/queries/reports.py").read_text()
        assert "id: int, price: int, label: str" in text
        engine = sa.create_engine(url)
        with query_module(root, "reports") as reports, Session(engine) as session:
            reports.add_priced(session, id=1, price=3, label="x")
            session.commit()
            # the real table keeps its CHECK: MariaDB's error 4025 becomes the typed error
            with pytest.raises(IntegrityViolationError, match="4025"):
                reports.add_priced(session, id=2, price=0, label="y")
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE {name}"))
