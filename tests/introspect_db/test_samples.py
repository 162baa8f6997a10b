"""Real sample databases nobody here wrote: Chinook (PostgreSQL, MariaDB, SQLite) and Northwind
(PostgreSQL, SQLite), each loaded into a database of its own, then: generate, lint (mypy --strict,
ruff), import, count every table and view through the generated repositories against
`SELECT count(*)`, write/update/delete one row per writable table, and recreate the schema from
the generated models (`create_all` on an empty database) and compare it, reflected, with the
original: tables, columns, types, nullability, primary keys, unique constraints, indexes, FKs.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from .conftest import database_on
from .roundtrip import roundtrip
from .support import (
    entity_classes,
    generate,
    imported,
    make_project,
    mypy_clean,
    repository_for,
    ruff_clean,
)

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "sampledb"


@dataclass(frozen=True)
class Sample:
    name: str
    backend: str  # "sqlite", "postgresql", "mysql"
    script: str  # path under sampledb/
    tables: int
    views: int


CASES = [
    Sample("chinook-postgresql", "postgresql", "chinook/Chinook_PostgreSql.sql", 11, 0),
    Sample("chinook-mariadb", "mysql", "chinook/Chinook_MySql.sql", 11, 0),
    Sample("chinook-sqlite", "sqlite", "chinook/Chinook_Sqlite.sql", 11, 0),
    Sample("northwind-postgresql", "postgresql", "northwind/pthom-northwind-postgres.sql", 14, 0),
    Sample("northwind-sqlite", "sqlite", "northwind/jpwhite3-northwind-sqlite-create.sql", 13, 16),
]


def _script(sample: Sample) -> str:
    text = (SAMPLES / sample.script).read_text(encoding="utf-8-sig")
    if sample.name == "chinook-postgresql":  # it drops and creates "chinook": not ours to touch
        text = text.split("\\c chinook;", 1)[1]
    if sample.name == "chinook-mariadb":  # likewise `Chinook`
        text = text.split("USE `Chinook`;", 1)[1]
    return text


def _load(sample: Sample, url: sa.URL) -> None:
    script = _script(sample)
    if sample.backend == "sqlite":
        with sqlite3.connect(url.database or "") as lite:
            # A scratch file: no fsync per statement (Northwind's 3,310 INSERTs, each its own
            # transaction, took 40 s on a slow disk, against 1 s without; the rows are the same).
            lite.execute("PRAGMA synchronous = OFF")
            lite.executescript(script)
        lite.close()
        return
    connect_args: dict[str, Any] = {}
    if sample.backend == "mysql":
        from pymysql.constants import CLIENT  # type: ignore[import-untyped]

        connect_args["client_flag"] = CLIENT.MULTI_STATEMENTS
    # The driver's own cursor, without parameters: the scripts hold '%' and many statements.
    engine = sa.create_engine(url, connect_args=connect_args)
    connection = engine.raw_connection()
    try:
        cursor: Any = connection.cursor()
        cursor.execute(script)
        while cursor.nextset():
            pass
        connection.commit()
    finally:
        connection.close()
        engine.dispose()


@dataclass(frozen=True)
class Loaded:
    sample: Sample
    url: sa.URL
    project: Path
    stderr: str


@pytest.fixture(scope="module", params=CASES, ids=[c.name for c in CASES])
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Loaded]:
    sample: Sample = request.param
    root = tmp_path_factory.mktemp(sample.name)
    with ExitStack() as stack:
        if sample.backend == "sqlite":
            url = sa.make_url(f"sqlite:///{root / 'sample.db'}")
        else:
            admin = request.getfixturevalue("server_admin")(sample.backend)
            url = stack.enter_context(database_on(admin, sample.backend))
        _load(sample, url)
        project = make_project(root / "project", formatter="ruff")
        result = generate(url, project)
        yield Loaded(sample, url, project, result.stderr)


def test_mypy_strict_clean(loaded: Loaded, mypy_cache: Path) -> None:
    mypy_clean(loaded.project, mypy_cache)


def test_ruff_clean(loaded: Loaded) -> None:
    """Every rule, E501 included: Northwind's long names (`AlphabeticalListOfProduct`) too."""
    ruff_clean(loaded.project)


def test_every_table_and_view_is_generated(loaded: Loaded) -> None:
    with imported(loaded.project) as db:
        models = entity_classes(db)
        tables = [m for m in models.values() if not m.__table__.info.get("is_view")]
        views = [m for m in models.values() if m.__table__.info.get("is_view")]
        assert (len(tables), len(views)) == (loaded.sample.tables, loaded.sample.views)


def test_counts_equal_select_count(loaded: Loaded) -> None:
    engine = sa.create_engine(loaded.url)
    try:
        with imported(loaded.project) as db, sa.orm.Session(engine) as session:
            for model in entity_classes(db).values():
                table = model.__table__
                raw = sa.select(sa.func.count()).select_from(
                    sa.table(table.name, schema=table.schema)
                )
                expected = session.execute(raw).scalar_one()
                repository = repository_for(db, model)(session)
                assert repository.count() == expected, table.name
                page = repository.list(limit=5)
                assert len(page) == min(5, expected) or table.info.get("is_view"), table.name
            if loaded.sample.name.startswith("chinook"):
                assert repository_for(db, entity_classes(db)["Track"])(session).count() == 3503
    finally:
        engine.dispose()


def test_write_update_delete_one_row_per_table(loaded: Loaded) -> None:
    engine = sa.create_engine(loaded.url)
    try:
        with imported(loaded.project) as db:
            done = roundtrip(db, engine, seed=3000)
    finally:
        engine.dispose()
    written = [name for name, what in done.items() if what == "written"]
    assert len(written) == loaded.sample.tables  # every table of these samples has a key


def _structure(engine: sa.Engine, schema: str | None = None) -> dict[str, Any]:
    """Tables as the database reports them, comparable across two databases."""
    inspector = sa.inspect(engine)
    dialect = engine.dialect
    result: dict[str, Any] = {}
    for name in sorted(inspector.get_table_names(schema)):
        pk = inspector.get_pk_constraint(name, schema)["constrained_columns"]
        columns = {
            c["name"]: (
                str(c["type"].compile(dialect=dialect)),
                # SQLite lets a primary key column hold NULL unless declared NOT NULL; the models
                # declare it NOT NULL (as SQLAlchemy does for every primary key column).
                c["nullable"] if c["name"] not in pk else False,
            )
            for c in inspector.get_columns(name, schema)
        }
        result[name] = {
            "columns": columns,
            "primary_key": pk,
            "unique": sorted(
                tuple(u["column_names"]) for u in inspector.get_unique_constraints(name, schema)
            ),
            "indexes": sorted(
                (
                    i["name"],
                    tuple(i["column_names"]),
                    bool(i["unique"]),
                    # how it is built: method, prefix lengths, order, partial condition, ...
                    repr(sorted((k, str(v)) for k, v in (i.get("dialect_options") or {}).items())),
                    repr(sorted((i.get("column_sorting") or {}).items())),
                    tuple(i.get("expressions") or ()),
                )
                for i in inspector.get_indexes(name, schema)
            ),
            "foreign_keys": sorted(
                (
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                    (fk.get("options") or {}).get("ondelete"),
                )
                for fk in inspector.get_foreign_keys(name, schema)
            ),
        }
    return result


def test_create_all_recreates_the_original_schema(
    loaded: Loaded, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    sample = loaded.sample
    with ExitStack() as stack:
        if sample.backend == "sqlite":
            copy = sa.make_url(f"sqlite:///{tmp_path / 'copy.db'}")
        else:
            admin = request.getfixturevalue("server_admin")(sample.backend)
            copy = stack.enter_context(database_on(admin, sample.backend))
        original, created = sa.create_engine(loaded.url), sa.create_engine(copy)
        stack.callback(original.dispose)
        stack.callback(created.dispose)
        with imported(loaded.project) as db:
            metadata = db.models.Base.metadata
            metadata.create_all(created)
        expected, actual = _structure(original), _structure(created)
        assert list(actual) == list(expected)
        for table in expected:
            assert actual[table] == expected[table], table


def test_warnings_are_about_views_only(loaded: Loaded) -> None:
    warnings = [line for line in loaded.stderr.splitlines() if line.startswith("warning:")]
    unexpected = [
        w for w in warnings if not re.search(r": view: read-only|SQL type \(none declared\)", w)
    ]
    assert unexpected == []
    assert len([w for w in warnings if ": view: " in w]) == loaded.sample.views
