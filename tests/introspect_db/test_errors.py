"""`generate --url` / `inspect --url` on bad input: one line that says what to do, exit 2,
nothing written."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from .conftest import ServerDatabase
from .support import files, make_project, run


def _one_line_error(stderr: str, *fragments: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0], stderr
    return lines[0]


def _fails(project: Path, url: str, *fragments: str, extra: tuple[str, ...] = ()) -> str:
    before = files(project)
    for command in ("generate", "inspect"):
        result = run(command, "--url", url, *extra, project=project)
        assert result.code == 2, (command, result.stdout, result.stderr)
        assert result.stdout == ""
        line = _one_line_error(result.stderr, *fragments)
    assert files(project) == before, "something was written"
    return line


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "p")


def _sqlite(path: Path, *statements: str) -> str:
    with sqlite3.connect(path) as connection:
        for statement in statements:
            connection.execute(statement)
    return f"sqlite:///{path}"


def test_unreachable_server(project: Path) -> None:
    line = _fails(project, "postgresql+psycopg://postgres@127.0.0.1:1/app", "cannot connect")
    assert "127.0.0.1:1" in line
    assert "server is running" in line


def test_bad_credentials_postgresql(project: Path, server_urls: dict[str, str]) -> None:
    url = sa.make_url(server_urls["postgresql"]).set(username="sublimate_no_such_role")
    line = _fails(project, url.render_as_string(hide_password=False), "cannot connect")
    assert "user and password" in line


def test_bad_credentials_mariadb(
    project: Path, server_urls: dict[str, str], server_admin: object
) -> None:
    assert callable(server_admin)
    server_admin("mysql")  # skips (or fails in CI) when the server is down
    url = sa.make_url(server_urls["mysql"]).set(password="certainly-wrong")
    line = _fails(project, url.render_as_string(hide_password=False), "Access denied")
    assert "certainly-wrong" not in line, "the password must never be printed"
    assert "user and password" in line


def test_unknown_database(project: Path, server_urls: dict[str, str], server_admin: object) -> None:
    assert callable(server_admin)
    server_admin("postgresql")
    url = sa.make_url(server_urls["postgresql"]).set(database="sublimate_no_such_db")
    line = _fails(project, url.render_as_string(hide_password=False), "does not exist")
    assert "database name" in line


def test_unknown_schema(project: Path, tmp_path: Path) -> None:
    url = _sqlite(tmp_path / "one.db", "CREATE TABLE t (id INTEGER PRIMARY KEY)")
    _fails(project, url, "schema 'nope' not found", "main", extra=("--schema", "nope"))


def test_unknown_schema_postgresql(project: Path, server_database: ServerDatabase) -> None:
    url = server_database("postgresql")
    _fails(
        project,
        url.render_as_string(hide_password=False),
        "schema 'sales' not found",
        extra=("--schema", "public,sales"),
    )


def test_empty_sqlite_database(project: Path, tmp_path: Path) -> None:
    url = _sqlite(tmp_path / "empty.db", "CREATE TABLE t (x INTEGER)", "DROP TABLE t")
    _fails(project, url, "no tables or views", "nothing to generate")


@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
def test_empty_server_database(
    project: Path, server_database: ServerDatabase, backend: str
) -> None:
    url = server_database(backend)
    _fails(project, url.render_as_string(hide_password=False), "no tables or views")


def test_no_table_matches(project: Path, tmp_path: Path) -> None:
    url = _sqlite(tmp_path / "one.db", "CREATE TABLE t (id INTEGER PRIMARY KEY)")
    _fails(project, url, "no tables or views matching nope*", extra=("--tables", "nope*"))
    _fails(project, url, "no tables or views", extra=("--exclude", "t"))


def test_driver_not_installed(project: Path) -> None:
    line = _fails(project, "postgresql+psycopg2://app@127.0.0.1/app", "'psycopg2'", "pip install")
    assert "psycopg2-binary" in line


def test_unknown_dialect(project: Path) -> None:
    _fails(project, "nosuchdb://app@127.0.0.1/app", "unknown database dialect or driver")


def test_invalid_url(project: Path) -> None:
    _fails(project, "not a url", "invalid database URL")


def test_missing_sqlite_file(project: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    _fails(project, f"sqlite:///{missing}", "SQLite database file not found")
    assert not missing.exists(), "SQLite would have created the file"


def test_models_and_url_together(project: Path, tmp_path: Path) -> None:
    url = _sqlite(tmp_path / "one.db", "CREATE TABLE t (id INTEGER PRIMARY KEY)")
    before = files(project)
    result = run("generate", "--url", url, "--models", "shop.models", project=project)
    assert result.code == 2
    _one_line_error(result.stderr, "both models and url")
    assert files(project) == before


def test_inspect_prints_the_ir_and_warns_on_stderr(project: Path, tmp_path: Path) -> None:
    url = _sqlite(
        tmp_path / "one.db",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, x)",
        "CREATE TABLE loose (a INTEGER, b TEXT)",
    )
    before = files(project)
    result = run("inspect", "--url", url, project=project)
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [e["table"] for e in data["entities"]] == ["loose", "t"]
    assert data["metadata_import"] == ["app.db.models", "Base"]
    assert "warning: loose: no primary key" in result.stderr
    assert "warning: t.x: SQL type (none declared) is not understood" in result.stderr
    assert files(project) == before


def test_a_view_over_a_dropped_table_is_left_out_with_a_warning(
    project: Path, tmp_path: Path
) -> None:
    # SQLite keeps a view whose table was dropped; reading it fails with "no such table: b",
    # which does not say which object is broken. The view is left out and named; the rest is
    # generated.
    url = _sqlite(
        tmp_path / "dangling.db",
        "CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT)",
        "CREATE TABLE b (id INTEGER PRIMARY KEY)",
        "CREATE VIEW stale_view AS SELECT * FROM b",
        "DROP TABLE b",
    )
    for _ in range(2):  # the second run goes through the reflection cache: still warned
        result = run("generate", "--url", url, project=project)
        assert result.code == 0, result.stderr
        assert "stale_view: view cannot be read (no such table: main.b): left out" in (
            result.stderr
        )
    assert (project / "app" / "db" / "models" / "a.py").is_file()
    assert not list((project / "app" / "db").rglob("stale_view.py"))
