"""Migrations of a project generated from a live database manage only the tables its models own.

Issue 12: `generate --url --tables ...` then `db revision --autogenerate` against the same
database used to drop every table the models left out (partitions, filtered-out tables) and to
"change" DOMAIN columns to their base type; `db upgrade` then emptied tables. Here, on the real
servers, a schema with a partitioned table holding rows, a domain (PostgreSQL), an extra table
and a view goes through generate (with a table filter), an autogenerate (nothing to do), upgrade
(every row stays) and check (no drift).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.introspect_db.support import forget, generate, make_project, run

SCHEMAS = {
    "postgresql": [
        "CREATE DOMAIN positive_amount AS integer NOT NULL CHECK (VALUE > 0)",
        "CREATE TABLE extra (id int PRIMARY KEY, note text)",
        "CREATE TABLE customer (id serial PRIMARY KEY, name varchar(80) NOT NULL,"
        " extra_id int REFERENCES extra (id))",
        "CREATE TABLE payment (id int NOT NULL, paid_on date NOT NULL,"
        " amount positive_amount, customer_id int NOT NULL REFERENCES customer (id),"
        " PRIMARY KEY (id, paid_on)) PARTITION BY RANGE (paid_on)",
        "CREATE TABLE payment_p2022 PARTITION OF payment"
        " FOR VALUES FROM ('2022-01-01') TO ('2023-01-01')",
        "CREATE TABLE payment_p2023 PARTITION OF payment"
        " FOR VALUES FROM ('2023-01-01') TO ('2024-01-01')",
        "CREATE INDEX payment_customer ON payment (customer_id)",
        "CREATE INDEX extra_note ON extra (note)",
        "CREATE VIEW customer_names AS SELECT name FROM customer",
    ],
    "mysql": [
        "CREATE TABLE extra (id int PRIMARY KEY, note varchar(40), KEY extra_note (note))",
        "CREATE TABLE customer (id int AUTO_INCREMENT PRIMARY KEY, name varchar(80) NOT NULL,"
        " extra_id int, CONSTRAINT customer_extra FOREIGN KEY (extra_id) REFERENCES extra (id))",
        "CREATE TABLE payment (id int NOT NULL, paid_on date NOT NULL, amount int NOT NULL,"
        " customer_id int NOT NULL, PRIMARY KEY (id, paid_on), KEY payment_customer"
        " (customer_id)) PARTITION BY RANGE (YEAR(paid_on)) (PARTITION p2022 VALUES LESS THAN"
        " (2023), PARTITION p2023 VALUES LESS THAN (2024))",
        "CREATE VIEW customer_names AS SELECT name FROM customer",
    ],
}
ROWS = [
    "INSERT INTO extra (id, note) VALUES (1, 'kept'), (2, 'kept too')",
    "INSERT INTO customer (id, name, extra_id) VALUES (1, 'Ada', 1), (2, 'Grace', NULL)",
    "INSERT INTO payment (id, paid_on, amount, customer_id) VALUES"
    " (1, '2022-03-01', 10, 1), (2, '2022-07-01', 20, 2), (3, '2023-02-01', 30, 1)",
]
COUNTED = ("customer", "payment", "extra")


def execute(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def snapshot(url: str) -> dict[str, Any]:
    """Row counts, and the tables, views and indexes the database has."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            tables = sorted(inspector.get_table_names())
            return {
                "rows": {
                    t: connection.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in COUNTED
                },
                "tables": tables,
                "views": sorted(inspector.get_view_names()),
                "indexes": {
                    t: sorted(str(i["name"]) for i in inspector.get_indexes(t))
                    for t in tables
                    if t != "alembic_version"
                },
                "foreign_keys": {
                    t: sorted(str(k["name"]) for k in inspector.get_foreign_keys(t))
                    for t in tables
                    if t != "alembic_version"
                },
            }
    finally:
        engine.dispose()


@contextmanager
def project_of(root: Path) -> Iterator[Path]:
    """A scratch project; the generated `app` package forgotten before and after."""
    forget("app")
    try:
        yield make_project(root)
    finally:
        forget("app")


@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
def test_autogenerate_leaves_alone_what_the_models_do_not_own(
    backend: str, scratch_database: Any, tmp_path: Path
) -> None:
    url = scratch_database(backend).url.render_as_string(hide_password=False)
    execute(url, *SCHEMAS[backend], *ROWS)
    before = snapshot(url)
    with project_of(tmp_path / "p") as project:
        generate(url, project, "--tables", "customer,payment,customer_names")
        models = project / "app" / "db" / "models"
        assert not (models / "extra.py").exists()
        assert not any("p2022" in p.name for p in models.iterdir())
        if backend == "postgresql":  # the domain is kept, not its base type
            assert "sublimate_runtime.Domain(" in (models / "payment.py").read_text()

        db = ("--url", url)
        result = run("db", "revision", "-m", "own only", "--autogenerate", *db, project=project)
        assert result.code == 0, result.stderr
        assert "no revision written" in result.stdout, result.stdout
        versions = project / "app" / "db" / "migrations" / "versions"
        assert not list(versions.glob("*.py"))

        # An empty baseline revision, then upgrade: Alembic's version table appears, nothing else
        # changes; still no drift afterwards.
        result = run("db", "revision", "-m", "baseline", *db, project=project)
        assert result.code == 0, result.stderr
        result = run("db", "upgrade", *db, project=project)
        assert result.code == 0, result.stderr
        result = run("db", "check", *db, project=project)
        assert result.code == 0, result.stdout + result.stderr
        assert "no drift" in result.stdout
        result = run("db", "revision", "-m", "again", "--autogenerate", *db, project=project)
        assert "no revision written" in result.stdout, result.stdout + result.stderr

    after = snapshot(url)
    assert after["rows"] == before["rows"] == {"customer": 2, "payment": 3, "extra": 2}
    assert after["tables"] == sorted([*before["tables"], "alembic_version"])
    assert after["views"] == before["views"]
    assert after["indexes"] == before["indexes"]
    # customer.extra_id's key into the table left out: the model cannot carry it, it stays
    assert after["foreign_keys"] == before["foreign_keys"]
    assert before["foreign_keys"]["customer"]


def test_the_version_table_is_not_a_model(scratch_database: Any, tmp_path: Path) -> None:
    """A database Alembic already migrates: no model, repository or service for its table."""
    url = scratch_database("sqlite").url.render_as_string(hide_password=False)
    execute(
        url,
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
        "CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
    )
    with project_of(tmp_path / "p") as project:
        generate(url, project)
        out = project / "app" / "db"
        assert (out / "models" / "note.py").is_file()
        generated = {p.name for p in out.rglob("*.py")}
        assert not any("alembic" in name for name in generated), sorted(generated)
        assert "alembic" not in (out / "__init__.py").read_text().lower()


def test_a_table_removed_from_the_models_is_not_dropped(
    scratch_database: Any, tmp_path: Path
) -> None:
    """A model that goes away leaves its table (and rows) in place: dropping is written by hand.
    A model that appears still gets its create_table."""
    url = scratch_database("sqlite").url.render_as_string(hide_password=False)
    execute(
        url,
        "CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
        "CREATE TABLE tag (id INTEGER PRIMARY KEY, label TEXT NOT NULL)",
        "INSERT INTO tag (id, label) VALUES (1, 'a'), (2, 'b')",
    )
    with project_of(tmp_path / "p") as project:
        generate(url, project)
        assert (project / "app" / "db" / "models" / "tag.py").is_file()
        generate(url, project, "--tables", "note")  # the Tag model goes away
        assert not (project / "app" / "db" / "models" / "tag.py").exists()
        forget("app")
        # a new model the database lacks: the models of a project generated from elsewhere
        execute(url, "DROP TABLE note")
        result = run("db", "revision", "-m", "x", "--autogenerate", "--url", url, project=project)
        assert result.code == 0, result.stderr
        (script,) = (project / "app" / "db" / "migrations" / "versions").glob("*.py")
        text = script.read_text()
        assert "op.create_table('note'" in text
        assert "drop_table('tag'" not in text and "'tag'" not in text
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT count(*) FROM tag")) == 2
    finally:
        engine.dispose()
