"""Factories on real schemas nobody here wrote: every table of Chinook (PostgreSQL, MariaDB,
SQLite), Northwind (PostgreSQL, SQLite, and MariaDB: the "Northwind 2007" schema of dalers/mywind,
tests/data/sampledb) and the benchmark schema of make_big_schema.py (SQLite, PostgreSQL, MariaDB)
gets ROWS rows from its factory's `create_many`, parents created on demand, with zero constraint
errors (any error fails the test), on an engine that enforces foreign keys (the runtime's
`create_engine`: SQLite too).

ROWS is 100 by default, to keep the suite quick on shared machines; the issue's figure is 1,000:
`SUBLIMATE_FACTORY_ROWS=1000` runs it (docs: README, "Test data factories"). A table that cannot
hold ROWS (mywind's TINYINT keys: 256 rows; its parents' keys) is asked for its factory's
`capacity()`, and one row more must be refused with CapacityError before anything is inserted.

The benchmark schema has 40 tables by default (seed 360: every awkward case of the 300-table one
is among them, and more: all seven odd table names, association tables with and without payload,
composite keys and their composite foreign keys, tables without a key, self references, two keys
to one parent, CHECK enums and flags, odd column names, views). The 300 tables cost a minute and a
half per run for nothing more; `SUBLIMATE_BIG=1` runs them (the seed and size of the benchmarks).
"""

from __future__ import annotations

import os
import re
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
from sublimate_runtime.factories import CapacityError, rolled_back, savepoints_on_sqlite

from tests.introspect_db.conftest import database_on
from tests.introspect_db.support import mypy_clean, ruff_clean
from tests.introspect_db.test_samples import CASES, SAMPLES, Sample, _load

from .support import factories_project, factory_classes, generate_from, imported

ROWS = int(os.environ.get("SUBLIMATE_FACTORY_ROWS", "100"))
# make_big_schema.py's (tables, seed): its benchmark default with SUBLIMATE_BIG=1.
BIG_SIZE = ("300", "20240601") if os.environ.get("SUBLIMATE_BIG") == "1" else ("40", "360")
BIG_SCHEMA = Path(__file__).resolve().parents[2] / "bench" / "make_big_schema.py"
LINTED = ("chinook-sqlite", "northwind-postgresql", "big-sqlite")


@dataclass(frozen=True)
class Case:
    name: str
    backend: str  # "sqlite", "postgresql", "mysql"
    sample: Sample | None  # None: the 300-table schema


# MariaDB's Northwind: a schema only (the other samples' rows are deleted before the factories
# run anyway), loaded by _load_mywind, not by the introspection tests.
MYWIND = Sample("northwind-mariadb", "mysql", "northwind/mywind-northwind-mysql-schema.sql", 20, 0)
SAMPLE_CASES = [Case(s.name, s.backend, s) for s in [*CASES, MYWIND]]
BIG_CASES = [
    Case("big-sqlite", "sqlite", None),
    Case("big-postgresql", "postgresql", None),
    Case("big-mariadb", "mysql", None),
]
CASES_RUN = [pytest.param(case, id=case.name) for case in SAMPLE_CASES + BIG_CASES]


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


def _load_mywind(url: sa.URL) -> None:
    """The mywind schema into the scratch database: it creates, uses and qualifies every name by a
    database `northwind` of its own, which is not ours to touch."""
    script = (SAMPLES / MYWIND.script).read_text(encoding="utf-8")
    script = re.sub(r"^(DROP|CREATE) SCHEMA .*$|^USE .*$", "", script, flags=re.MULTILINE)
    _run_script(url, "mysql", script.replace("`northwind`.", ""))


def _run_script(url: sa.URL, backend: str, script: str) -> None:
    """A DDL script of many statements, run by the driver in one call (PyMySQL: with its
    MULTI_STATEMENTS flag, every result set read)."""
    connect_args: dict[str, Any] = {}
    if backend == "mysql":
        from pymysql.constants import CLIENT  # type: ignore[import-untyped]

        connect_args = {"client_flag": CLIENT.MULTI_STATEMENTS}
    engine = sa.create_engine(url, connect_args=connect_args)
    try:
        connection = engine.raw_connection()
        try:
            cursor: Any = connection.cursor()
            cursor.execute(script)
            while backend == "mysql" and cursor.nextset():
                pass
            connection.commit()
        finally:
            connection.close()
    finally:
        engine.dispose()


def _big_schema(url: sa.URL, backend: str, root: Path) -> None:
    """make_big_schema.py's tables (BIG_SIZE), into a SQLite file or a PostgreSQL/MariaDB
    database."""
    size = ["-n", BIG_SIZE[0], "--seed", BIG_SIZE[1]]
    if backend == "sqlite":
        command = [sys.executable, str(BIG_SCHEMA), *size, "-o", str(url.database)]
        subprocess.run(command, check=True, capture_output=True, timeout=300)
        return
    script = root / "big.sql"
    command = [sys.executable, str(BIG_SCHEMA), *size, "--dialect", backend]
    command += ["--sql-out", str(script)]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    _run_script(url, backend, script.read_text())


@dataclass(frozen=True)
class Generated:
    case: Case
    url: sa.URL
    project: Path


@pytest.fixture(scope="module", params=CASES_RUN)
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
        if case.sample is MYWIND:
            _load_mywind(url)
        elif case.sample is not None:
            _load(case.sample, url)
            _emptied(url, case.backend)
        else:
            _big_schema(url, case.backend, root)
        project = factories_project(root / "project")
        generate_from(url, project)
        yield Generated(case, url, project)


def _count(session: sa.orm.Session, table: sa.Table) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def _persist_every_table(factories: ModuleType, url: sa.URL) -> dict[str, tuple[int, int]]:
    """min(ROWS, capacity) rows per table through its factory, each table in a transaction of
    its own rolled back at the end (a session counts the rows it made against the capacities);
    returns per table (rows asked, rows it held before the rollback, parents made included).
    A table with a capacity is then asked for one row more: refused, nothing inserted."""
    engine = savepoints_on_sqlite(create_engine(url))
    found: dict[str, tuple[int, int]] = {}
    try:
        for factory in factory_classes(factories).values():
            table = factory._model.__table__
            capacity = factory.capacity()
            asked = ROWS if capacity is None else min(ROWS, capacity)
            with rolled_back(engine) as session:
                rows = factory(session).create_many(asked)
                assert len(rows) == asked
                session.flush()
                found[table.name] = (asked, _count(session, table))
            if capacity is not None:
                with rolled_back(engine) as session:
                    with pytest.raises(CapacityError, match=f"table '.+ at most {capacity},"):
                        factory(session).create_many(capacity + 1)
                    assert _count(session, table) == 0
    finally:
        engine.dispose()
    return found


def test_factories_persist_rows_in_every_table(generated: Generated) -> None:
    with imported(generated.project, "app.db") as factories:
        models = sys.modules["app.db.models"]
        counts = _persist_every_table(factories, generated.url)
        print(f"{generated.case.name}: {sum(held for _, held in counts.values())} rows persisted")
        writable = [
            name
            for name in models.__all__
            if name not in ("Base", "ViewBase")
            and getattr(models, name).__table__.primary_key.columns
            and not getattr(models, name).__table__.info.get("is_view")
        ]
    assert len(counts) == len(writable)  # a factory for every table with a key
    assert all(held >= asked for asked, held in counts.values()), counts
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
