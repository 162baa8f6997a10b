"""Typed SQL on SQLite (Chinook): inferred from an empty in-memory copy of the schema, generated
code lint-clean, results equal to the same SQL run by hand, bad queries named by file and line,
and `check` failing with the query's name after a schema change."""

from __future__ import annotations

import asyncio
import datetime
import decimal
import json
import os
import re
import shlex
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import Session
from sublimate_runtime import ConflictError

from tests.introspect_db.support import BIN, lint

from .support import as_rows, by_hand, chinook_script, project_with, query_module, sublimate

REPORTS = """\
-- name: TopCustomers :many
-- column total: Decimal
SELECT c.CustomerId, c.Email, sum(i.Total) AS total, e.LastName AS rep
FROM Customer c JOIN Invoice i ON i.CustomerId = c.CustomerId
LEFT JOIN Employee e ON e.EmployeeId = c.SupportRepId
WHERE i.Total >= :min_total
GROUP BY c.CustomerId
ORDER BY total DESC, c.CustomerId
LIMIT :n;

-- name: GenreById :one
SELECT GenreId, Name FROM Genre WHERE GenreId = :id;

-- name: InvoicesIn :many
SELECT InvoiceId, InvoiceDate, BillingCountry, Total FROM Invoice
WHERE InvoiceDate BETWEEN :start AND :end AND BillingCountry IN (:a, :b)
ORDER BY InvoiceId;

-- name: Ranked :many
-- column position: int
WITH big AS (SELECT CustomerId, InvoiceId, Total FROM Invoice WHERE Total > :floor)
SELECT b.CustomerId, b.InvoiceId,
       rank() OVER (PARTITION BY b.CustomerId ORDER BY b.Total DESC, b.InvoiceId) AS position
FROM big b ORDER BY b.CustomerId, position LIMIT 25;

-- name: ArtistsWithoutAlbums :many
SELECT ar.ArtistId, ar.Name, al.Title FROM Artist ar
LEFT JOIN Album al ON al.ArtistId = ar.ArtistId
WHERE ar.ArtistId > :after ORDER BY ar.ArtistId, al.Title LIMIT 40;

-- name: AddGenre :one
INSERT INTO Genre (GenreId, Name) VALUES (:id, :name) RETURNING GenreId, Name;

-- name: GenresIn :many
-- param ids: list[int]
SELECT * FROM Genre WHERE GenreId IN (:ids) ORDER BY GenreId;

-- name: RenameGenre :execrows
UPDATE Genre SET Name = :name WHERE GenreId = :id;

-- name: DropGenre :exec
DELETE FROM Genre WHERE GenreId = :id;

-- name: Hostile :many
-- column session: str
SELECT Name AS "class", Name AS "a-b", Name AS "a_b", GenreId AS "x""; import os",
       ':colon' AS "session", Name AS "größe"
FROM Genre WHERE GenreId = :class ORDER BY GenreId;
"""

READS: dict[str, dict[str, Any]] = {  # the read queries and the arguments they are run with
    "top_customers": {"min_total": decimal.Decimal("10"), "n": 7},
    "invoices_in": {
        "start": datetime.datetime(2021, 1, 1),
        "end": datetime.datetime(2022, 1, 1),
        "a": "USA",
        "b": "Canada",
    },
    "ranked": {"floor": decimal.Decimal("9")},
    "artists_without_albums": {"after": 250},
}


def _sql(name: str) -> str:
    """The statement of one query in REPORTS, as written."""
    wanted = "".join(part.capitalize() for part in name.split("_"))
    block = REPORTS.split(f"-- name: {wanted} ")[1].split("\n-- name:")[0]
    lines = [line for line in block.splitlines()[1:] if not line.startswith("--")]
    return "\n".join(lines).strip().rstrip(";")


@pytest.fixture(scope="module")
def chinook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("chinook") / "chinook.db"
    with sqlite3.connect(path) as connection:
        connection.executescript(chinook_script("sqlite"))
    return path


@pytest.fixture(scope="module")
def project(chinook: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = project_with(
        tmp_path_factory.mktemp("project"), f"sqlite:///{chinook}", {"reports.sql": REPORTS}
    )
    result = sublimate(root, "generate")
    assert result.code == 0, result.stderr
    yield root


def test_generated_code_is_mypy_strict_and_ruff_clean(project: Path, tmp_path: Path) -> None:
    lint(project, tmp_path / "mypy-cache")


def test_types_and_nullability_come_from_the_schema(project: Path) -> None:
    text = (project / "app/db/queries/reports.py").read_text()
    assert "class TopCustomersRow(msgspec.Struct):" in text
    assert "    total: decimal.Decimal\n    rep: str | None\n" in text  # LEFT JOIN side: None
    assert "    email: str\n" in text  # NOT NULL in Customer
    assert "def genre_by_id(session: Session, *, id: int) -> GenreRead | None:" in text
    assert "start: datetime.datetime" in text and "a: str" in text  # BETWEEN, IN (...)
    assert "class ArtistsWithoutAlbumsRow" in text and "title: str | None" in text
    manifest = json.loads((project / "app/db/.sublimate.json").read_text())
    top = manifest["queries"]["queries/reports.sql"]["TopCustomers"]
    assert top["params"] == {"min_total": "decimal.Decimal", "n": "int"}
    assert top["columns"]["rep"] == "str | None"
    assert "Customer.Email" in top["reads"]


def test_results_equal_the_same_sql_run_by_hand(project: Path, chinook: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{chinook}")
    with query_module(project, "reports") as reports, Session(engine) as session:
        for function, arguments in READS.items():
            got = as_rows(getattr(reports, function)(session, **arguments))
            expected = by_hand(engine, _sql(function), arguments)
            if function == "invoices_in":  # by hand, SQLite hands the text of the datetime
                expected = [(r[0], datetime.datetime.fromisoformat(r[1]), *r[2:]) for r in expected]
            assert got == expected and got, function
        genre = reports.genre_by_id(session, id=1)
        assert (genre.genre_id, genre.name) == (1, "Rock")
        assert reports.genre_by_id(session, id=10_000) is None
    engine.dispose()


def test_writes_route_to_the_primary_and_map_errors(project: Path, chinook: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{chinook}")
    with query_module(project, "reports") as reports, Session(engine) as session:
        added = reports.add_genre(session, id=900, name="Zouk")
        assert (added.genre_id, added.name) == (900, "Zouk")
        assert reports.rename_genre(session, name="Zouk!", id=900) == 1
        assert reports.rename_genre(session, name="x", id=901) == 0
        with pytest.raises(ConflictError):
            reports.add_genre(session, id=1, name="again")
        assert (
            session.execute(sa.text("SELECT count(*) FROM Genre WHERE GenreId = 900")).scalar() == 0
        )
        reports.add_genre(session, id=902, name="Gone")
        reports.drop_genre(session, id=902)
        assert reports.genre_by_id(session, id=902) is None
        session.rollback()
    engine.dispose()


def test_async_functions_return_the_same_rows(project: Path, chinook: Path) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession

    async def both() -> tuple[list[Any], list[Any]]:
        engine = create_async_engine(f"sqlite+aiosqlite:///{chinook}")
        try:
            async with AsyncSession(engine) as session:
                arguments = READS["top_customers"]
                got = await reports.async_top_customers(session, **arguments)
        finally:
            await engine.dispose()
        sync_engine = sa.create_engine(f"sqlite:///{chinook}")
        with Session(sync_engine) as session:
            expected = reports.top_customers(session, **READS["top_customers"])
        sync_engine.dispose()
        return got, expected

    with query_module(project, "reports") as reports:
        got, expected = asyncio.run(both())
    assert got == expected and len(got) == 7


def test_inspect_queries_prints_what_was_understood(project: Path) -> None:
    result = sublimate(project, "inspect", "--queries")
    assert result.code == 0, result.stderr
    (file,) = json.loads(result.stdout)
    queries = {q["name"]: q for q in file["queries"]}
    rep = queries["TopCustomers"]["columns"][3]
    assert (rep["label"], rep["python_type"], rep["nullable"], rep["origin"]) == (
        "rep",
        "str | None",
        True,
        "Employee.LastName",
    )
    assert queries["AddGenre"]["writes"] and not queries["GenreById"]["writes"]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "-- name: Bad :many\nSELECT CustomerId,\n  Emial FROM Customer",
            "queries/bad.sql:3: Bad: no such column: Emial",
        ),
        (
            "-- name: Bad :many\nSELECT max(Total) AS n FROM Invoice",
            "queries/bad.sql:1: Bad: SQLite cannot tell the type of result column 'n'"
            " (an expression); add `-- column n: <type>`",
        ),
        (
            "-- name: Bad :many\nSELECT CustomerId FROM Customer WHERE length(Email) > :n",
            "queries/bad.sql:1: Bad: SQLite cannot tell the type of parameter :n",
        ),
        (
            "-- name: Bad :many\nSELECT Total FROM Invoice JOIN InvoiceLine\n"
            " ON InvoiceLine.InvoiceId = Invoice.InvoiceId WHERE InvoiceId = 1",
            "queries/bad.sql:3: Bad: ambiguous column name: InvoiceId",
        ),
        (
            "-- name: Bad :many\nUPDATE Genre SET Name = 'x' WHERE GenreId = 0",
            "queries/bad.sql:1: Bad: a :many query must return columns",
        ),
    ],
)
def test_bad_queries_stop_generation_naming_file_and_line(
    chinook: Path, tmp_path: Path, sql: str, message: str
) -> None:
    root = project_with(tmp_path, f"sqlite:///{chinook}", {"bad.sql": sql})
    result = sublimate(root, "generate")
    assert result.code == 2
    assert f"error: {message}" in result.stderr
    assert not (root / "app" / "db").exists()  # nothing written


def test_check_names_the_query_after_a_schema_change(chinook: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes(chinook.read_bytes())
    sql = "-- name: CustomerEmails :many\nSELECT CustomerId, Email FROM Customer\n"
    root = project_with(tmp_path / "p", f"sqlite:///{copy}", {"reports.sql": sql})
    assert sublimate(root, "generate").code == 0
    assert sublimate(root, "check").code == 0
    with sqlite3.connect(copy) as connection:
        connection.execute("ALTER TABLE Customer DROP COLUMN Email")
    result = sublimate(root, "check")
    assert result.code == 1
    assert (
        "queries/reports.sql: CustomerEmails: column Customer.Email no longer exists"
        " (no such column: Email) (line 2)"
    ) in result.stdout


def test_a_type_change_is_named_by_check(chinook: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes(chinook.read_bytes())
    sql = "-- name: Names :many\nSELECT ArtistId, Name FROM Artist\n"
    root = project_with(tmp_path / "p", f"sqlite:///{copy}", {"reports.sql": sql})
    assert sublimate(root, "generate").code == 0
    with sqlite3.connect(copy) as connection:
        connection.executescript(
            "PRAGMA foreign_keys = OFF; CREATE TABLE a2 (ArtistId INTEGER PRIMARY KEY,"
            " Name INTEGER NOT NULL); DROP TABLE Artist; ALTER TABLE a2 RENAME TO Artist;"
        )
    result = sublimate(root, "check")
    assert result.code == 1
    assert "queries/reports.sql: Names: column Name: str | None → int" in result.stdout


def test_without_queries_nothing_changes(chinook: Path, tmp_path: Path) -> None:
    root = project_with(tmp_path, f"sqlite:///{chinook}", {})
    assert sublimate(root, "generate").code == 0
    assert not (root / "app/db/queries").exists()
    assert "queries" not in json.loads((root / "app/db/.sublimate.json").read_text())


def test_hostile_labels_and_parameter_names_become_safe_names(project: Path, chinook: Path) -> None:
    text = (project / "app/db/queries/reports.py").read_text()
    assert "def hostile(session: Session, *, class_: int) -> list[HostileRow]:" in text
    engine = sa.create_engine(f"sqlite:///{chinook}")
    with query_module(project, "reports") as reports, Session(engine) as session:
        (row,) = reports.hostile(session, class_=2)
    engine.dispose()
    fields = reports.HostileRow.__struct_fields__
    assert fields == ("class_", "a_b", "a_b_2", "x_import_os", "session", "grou00dfe")
    assert (row.class_, row.x_import_os, row.session, row.grou00dfe) == (
        "Jazz",
        2,
        ":colon",
        "Jazz",
    )


def test_sessions_sync_prints_only_the_sync_functions(chinook: Path, tmp_path: Path) -> None:
    root = project_with(tmp_path, f"sqlite:///{chinook}", {"reports.sql": REPORTS})
    assert sublimate(root, "generate", "--sessions", "sync").code == 0
    text = (root / "app/db/queries/reports.py").read_text()
    assert "def top_customers(" in text
    assert "async def" not in text and "AsyncSession" not in text


def test_an_unreachable_queries_url_is_one_line_without_its_password(
    chinook: Path, tmp_path: Path
) -> None:
    root = project_with(tmp_path, f"sqlite:///{chinook}", {"reports.sql": REPORTS})
    toml = root / "pyproject.toml"
    toml.write_text(
        toml.read_text().replace(
            "[tool.sublimate]\n",
            '[tool.sublimate]\nqueries_url = "mysql+pymysql://root:hunter2@127.0.0.1:1/x"\n',
        )
    )
    result = sublimate(root, "generate")
    assert result.code == 2
    assert result.stderr.startswith("error: cannot connect to describe the queries: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "hunter2" not in result.stderr
    assert not (root / "app" / "db").exists()


def test_an_in_list_binds_one_value_per_element(project: Path, chinook: Any) -> None:
    text = (project / "app/db/queries/reports.py").read_text()
    assert 'sa.bindparam("ids", expanding=True' in text and "IN :ids" in text
    engine = sa.create_engine(chinook if isinstance(chinook, sa.URL) else f"sqlite:///{chinook}")
    with query_module(project, "reports") as reports, Session(engine) as session:
        assert [g.name for g in reports.genres_in(session, ids=[3, 1, 99])] == ["Rock", "Metal"]
        assert reports.genres_in(session, ids=[]) == []
    engine.dispose()


def test_the_pre_commit_hook_fails_when_a_schema_change_breaks_a_query(
    chinook: Path, tmp_path: Path
) -> None:
    """The repository's hooks (.pre-commit-hooks.yaml) run `sublimate check`, as pre-commit
    runs an entry: the command in the project's directory, its exit status deciding."""
    hooks = (Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml").read_text()
    entries = re.findall(r"^\s*entry:\s*(.+?)\s*$", hooks, re.MULTILINE)
    assert entries and set(entries) == {"sublimate check"}
    copy = tmp_path / "copy.db"
    copy.write_bytes(chinook.read_bytes())
    sql = "-- name: CustomerEmails :many\nSELECT CustomerId, Email FROM Customer\n"
    root = project_with(tmp_path / "p", f"sqlite:///{copy}", {"reports.sql": sql})
    assert sublimate(root, "generate").code == 0
    environment = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}

    def hook() -> subprocess.CompletedProcess[str]:
        command = shlex.split(entries[0])
        return subprocess.run(
            command, cwd=root, env=environment, capture_output=True, text=True, check=False
        )

    assert hook().returncode == 0
    with sqlite3.connect(copy) as connection:
        connection.execute("ALTER TABLE Customer DROP COLUMN Email")
    failed = hook()
    assert failed.returncode == 1
    assert "queries/reports.sql: CustomerEmails: column Customer.Email no longer exists" in (
        failed.stdout + failed.stderr
    )
