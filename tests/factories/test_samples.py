"""Factories on real schemas nobody here wrote: every table of Chinook (PostgreSQL, MariaDB,
SQLite), Northwind (PostgreSQL, SQLite; there is no MariaDB script) and the 300-table benchmark
schema (SQLite, PostgreSQL) gets ROWS rows from its factory's `create_many`, parents created on
demand, with zero constraint errors (any error fails the test), on an engine that enforces
foreign keys (the runtime's `create_engine`: SQLite too).

ROWS is 100 by default, to keep the suite quick on shared machines; the issue's figure is 1,000:
`SUBLIMATE_FACTORY_ROWS=1000` runs it (docs: README, "Test data factories").
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from sublimate_runtime import create_engine
from sublimate_runtime.factories import rolled_back, savepoints_on_sqlite

from tests.introspect_db.conftest import database_on
from tests.introspect_db.support import mypy_clean, ruff_clean
from tests.introspect_db.test_samples import CASES, Sample, _load

from .support import factories_project, factory_classes, generate_from, imported

ROWS = int(os.environ.get("SUBLIMATE_FACTORY_ROWS", "100"))
BIG_SCHEMA = Path(__file__).resolve().parents[2] / "bench" / "make_big_schema.py"
LINTED = ("chinook-sqlite", "northwind-postgresql", "big-sqlite")


@dataclass(frozen=True)
class Case:
    name: str
    backend: str  # "sqlite", "postgresql", "mysql"
    sample: Sample | None  # None: the 300-table schema


SAMPLE_CASES = [Case(s.name, s.backend, s) for s in CASES]
BIG_CASES = [Case("big-sqlite", "sqlite", None), Case("big-postgresql", "postgresql", None)]


def _emptied(url: sa.URL, backend: str) -> None:
    """Every table of the database emptied: the factories' keys start at 1, as a test
    database's do (the samples hold rows with those keys)."""
    engine = sa.create_engine(url)
    try:
        names = sa.inspect(engine).get_table_names()
        with engine.begin() as connection:
            quoted = [connection.dialect.identifier_preparer.quote(name) for name in names]
            if backend == "postgresql":
                connection.execute(sa.text(f"TRUNCATE {', '.join(quoted)} CASCADE"))
                return
            if backend == "mysql":
                connection.execute(sa.text("SET FOREIGN_KEY_CHECKS = 0"))
            for name in quoted:  # SQLite: foreign keys are off on this plain engine
                connection.execute(sa.text(f"DELETE FROM {name}"))
            if backend == "mysql":
                connection.execute(sa.text("SET FOREIGN_KEY_CHECKS = 1"))
    finally:
        engine.dispose()


def _big_schema(url: sa.URL, backend: str, root: Path) -> None:
    """make_big_schema.py's 300 tables, into a SQLite file or a PostgreSQL database."""
    if backend == "sqlite":
        command = [sys.executable, str(BIG_SCHEMA), "-o", str(url.database)]
        subprocess.run(command, check=True, capture_output=True, timeout=300)
        return
    script = root / "big.sql"
    command = [sys.executable, str(BIG_SCHEMA), "--dialect", backend, "--sql-out", str(script)]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    engine = sa.create_engine(url)
    try:
        connection = engine.raw_connection()
        try:
            cursor: Any = connection.cursor()
            cursor.execute(script.read_text())
            connection.commit()
        finally:
            connection.close()
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Generated:
    case: Case
    url: sa.URL
    project: Path


@pytest.fixture(scope="module", params=SAMPLE_CASES + BIG_CASES, ids=lambda c: c.name)
def generated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Generated]:
    case: Case = request.param
    root = tmp_path_factory.mktemp(case.name)
    with ExitStack() as stack:
        if case.backend == "sqlite":
            url = sa.make_url(f"sqlite:///{root / 'sample.db'}")
        else:
            admin = request.getfixturevalue("server_admin")(case.backend)
            url = stack.enter_context(database_on(admin, case.backend, prefix="sbf"))
        if case.sample is not None:
            _load(case.sample, url)
            _emptied(url, case.backend)
        else:
            _big_schema(url, case.backend, root)
        project = factories_project(root / "project")
        generate_from(url, project)
        yield Generated(case, url, project)


def _persist_every_table(factories: ModuleType, url: sa.URL) -> dict[str, int]:
    """ROWS rows per table through its factory, in one transaction rolled back at the end;
    returns the rows each table holds before the rollback (parents made on demand included)."""
    engine = savepoints_on_sqlite(create_engine(url))
    try:
        with rolled_back(engine) as session:
            classes = factory_classes(factories)
            for factory in classes.values():
                rows = factory(session).create_many(ROWS)
                assert len(rows) == ROWS
                session.flush()
            return {
                cls._model.__table__.name: session.execute(
                    sa.select(sa.func.count()).select_from(cls._model.__table__)
                ).scalar_one()
                for cls in classes.values()
            }
    finally:
        engine.dispose()


def test_factories_persist_rows_in_every_table(generated: Generated) -> None:
    with imported(generated.project, "app.db") as factories:
        models = sys.modules["app.db.models"]
        counts = _persist_every_table(factories, generated.url)
        writable = [
            name
            for name in models.__all__
            if name not in ("Base", "ViewBase")
            and getattr(models, name).__table__.primary_key.columns
            and not getattr(models, name).__table__.info.get("is_view")
        ]
    assert len(counts) == len(writable)  # a factory for every table with a key
    assert all(count >= ROWS for count in counts.values()), counts
    if generated.case.sample is not None:
        assert len(counts) == generated.case.sample.tables


def test_generated_factories_lint_clean(generated: Generated, mypy_cache: Path) -> None:
    if generated.case.name not in LINTED:
        pytest.skip("linted on one case per schema (mypy on the whole package is slow)")
    mypy_clean(generated.project, mypy_cache)
    ruff_clean(generated.project)


def test_sqlite_sample_file_is_untouched_by_the_factories(generated: Generated) -> None:
    """The rows were rolled back: the database is as empty as before (rolled_back works)."""
    if generated.case.backend != "sqlite":
        pytest.skip("one backend suffices")
    with sqlite3.connect(generated.url.database or "") as lite:
        tables = [
            r[0]
            for r in lite.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if not r[0].startswith("sqlite_")
        ]
        counts = {t: lite.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    lite.close()
    assert set(counts.values()) <= {0}, counts
