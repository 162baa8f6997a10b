"""Indexes, SQLite inline UNIQUE and SQLite expression defaults survive the round trip.

Per backend, a schema with every kind of index the database offers (PostgreSQL: gist, gin,
brin, hash, operator classes, partial, INCLUDE, expressions, DESC / NULLS LAST, NULLS NOT
DISTINCT, storage parameters; MariaDB: FULLTEXT, key prefix lengths, DESC, a prefix-length
UNIQUE KEY; SQLite: partial, expression, DESC, COLLATE indexes, inline UNIQUE columns,
expression defaults) is generated, the generated models are imported and `create_all`-ed into
an empty database of the same dialect, and both are compared through the database's own
catalog (pg_indexes, SHOW CREATE TABLE / information_schema, PRAGMAs) and the Inspector:
identical. Each generated project passes mypy --strict and ruff (one project per dialect).
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sublimate.introspect.database import build_schema_from_url
from sublimate.ir import to_jsonable

from .conftest import database_on
from .support import (
    Result,
    generate,
    imported,
    make_project,
    mypy_clean,
    repository_for,
    ruff_clean,
    run,
)

PG_DDL = '''
CREATE TABLE docs (
    id serial PRIMARY KEY,
    title text NOT NULL,
    body text,
    tags text[],
    data jsonb,
    tsv tsvector,
    during tstzrange,
    created timestamptz,
    code text,
    n integer,
    email text,
    "Mixed ""Case""" text
);
CREATE INDEX ix_docs_tsv_gist ON docs USING gist (tsv);
CREATE INDEX ix_docs_during ON docs USING gist (during);
CREATE INDEX ix_docs_data ON docs USING gin (data jsonb_path_ops);
CREATE INDEX ix_docs_tags ON docs USING gin (tags);
CREATE INDEX ix_docs_tsv_gin ON docs USING gin (tsv);
CREATE INDEX ix_docs_created ON docs USING brin (created) WITH (pages_per_range = 32);
CREATE INDEX ix_docs_code_hash ON docs USING hash (code);
CREATE INDEX ix_docs_title_pattern ON docs (title text_pattern_ops, body);
CREATE INDEX ix_docs_positive ON docs (n) WHERE n > 0 AND title <> 'it''s, (odd)';
CREATE UNIQUE INDEX ux_docs_email_live ON docs (email) WHERE n IS NOT NULL;
CREATE INDEX ix_docs_code_include ON docs (code) INCLUDE (title, n);
CREATE INDEX ix_docs_lower_email ON docs (lower(email));
CREATE INDEX "ix docs ""mixed""" ON docs
    (n DESC NULLS LAST, lower(title) text_pattern_ops, "Mixed ""Case""" text_pattern_ops DESC);
CREATE INDEX ix_docs_title_nulls ON docs (title NULLS FIRST);
CREATE INDEX ix_docs_expression_desc ON docs (n, lower(title) DESC);
CREATE UNIQUE INDEX ux_docs_code_n ON docs (code, n) NULLS NOT DISTINCT;
CREATE INDEX ix_docs_title_fill ON docs (title) WITH (fillfactor = 70);
CREATE TABLE codes (
    id integer PRIMARY KEY,
    a integer,
    b integer,
    c text,
    CONSTRAINT uq_codes_a UNIQUE NULLS NOT DISTINCT (a),
    CONSTRAINT uq_codes_b UNIQUE (b) INCLUDE (c)
);
CREATE TABLE bookings (
    id integer PRIMARY KEY, during tstzrange, EXCLUDE USING gist (during WITH &&)
);
'''

MARIADB_DDL = """
CREATE TABLE articles (
    id INT PRIMARY KEY AUTO_INCREMENT,
    title VARCHAR(200) NOT NULL,
    description TEXT,
    body TEXT,
    code VARCHAR(50),
    n INT,
    FULLTEXT KEY ft_articles (title, description),
    FULLTEXT KEY ft_body (body),
    KEY ix_title (title(10)),
    KEY ix_mixed (title(10), description(20), n),
    UNIQUE KEY ux_code (code(20)),
    KEY ix_desc (n DESC, code)
) ENGINE=InnoDB;
CREATE TABLE places (id INT PRIMARY KEY, g GEOMETRY NOT NULL, SPATIAL KEY sp_g (g)) ENGINE=InnoDB;
"""

# Written the way SQLAlchemy writes DDL, so that the original's and the copy's CREATE INDEX texts
# (sqlite_master keeps them as written) can be compared too.
SQLITE_DDL = '''
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email VARCHAR(120) NOT NULL UNIQUE,
    "名前" TEXT NOT NULL UNIQUE,
    code TEXT DEFAULT 'x' UNIQUE,
    joined TEXT DEFAULT (datetime('now')),
    label TEXT DEFAULT ('a' || 'b'),
    score INTEGER DEFAULT (1 + 2),
    plain TEXT DEFAULT 'x',
    zero INTEGER DEFAULT 0,
    minus INTEGER DEFAULT -1,
    stamp TEXT DEFAULT CURRENT_TIMESTAMP,
    nested INTEGER DEFAULT ((4)),
    a TEXT,
    b TEXT,
    CONSTRAINT uq_users_a_b UNIQUE (a, b)
);
CREATE TABLE "odd ""table""" (id INTEGER PRIMARY KEY, "x, y" TEXT, note TEXT);
CREATE INDEX ix_users_lower ON users (lower(email));
CREATE UNIQUE INDEX ux_users_score ON users (score) WHERE score > 0 AND label <> 'it''s, (odd)';
CREATE INDEX ix_users_desc ON users (plain DESC, zero);
CREATE INDEX ix_users_nocase ON users (a COLLATE NOCASE);
CREATE INDEX "ix odd" ON "odd ""table""" ("x, y", substr(note, 1, 2) DESC) WHERE note IS NOT NULL;
'''


@dataclass(frozen=True)
class Source:
    url: sa.URL
    project: Path
    result: Result


def _load(url: sa.URL, script: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in script.split(";\n"):
                if statement.strip():
                    connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def databases(server_admin: Callable[[str], sa.Engine]) -> Iterator[Callable[[str], sa.URL]]:
    """`databases("postgresql")`: a fresh database on that server, dropped after the module."""
    with ExitStack() as stack:

        def create(backend: str) -> sa.URL:
            return stack.enter_context(database_on(server_admin(backend), backend, "sbx"))

        yield create


def _source(backend: str, script: str, root: Path, databases: Callable[[str], sa.URL]) -> Source:
    url = sa.make_url(f"sqlite:///{root / 'source.db'}") if backend == "sqlite" else None
    if url is None:
        url = databases(backend)
    if backend == "sqlite":
        with sqlite3.connect(url.database or "") as lite:
            lite.executescript(script)
    else:
        _load(url, script)
    project = make_project(root / "project", formatter="ruff")
    return Source(url, project, generate(url, project))


def _copy(source: Source, url: sa.URL, skip: tuple[str, ...] = ()) -> tuple[sa.Engine, sa.Engine]:
    """The generated models' tables, created in the empty database `url`."""
    original, created = sa.create_engine(source.url), sa.create_engine(url)
    with imported(source.project) as db:
        metadata = db.models.Base.metadata
        tables = [t for t in metadata.sorted_tables if t.name not in skip]
        metadata.create_all(created, tables=tables)
    return original, created


def _inspected(engine: sa.Engine, tables: list[str]) -> dict[str, Any]:
    """Indexes and unique constraints as the Inspector reports them, options included."""
    inspector = sa.inspect(engine)
    result: dict[str, Any] = {}
    for table in tables:
        result[table] = {
            "indexes": sorted(
                repr(sorted((k, str(v)) for k, v in index.items()))
                for index in inspector.get_indexes(table)
            ),
            "unique": sorted(
                repr(sorted((k, str(v)) for k, v in u.items()))
                for u in inspector.get_unique_constraints(table)
            ),
            "defaults": {c["name"]: c.get("default") for c in inspector.get_columns(table)},
        }
    return result


# --- PostgreSQL -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory, databases: Callable[[str], sa.URL]) -> Source:
    return _source("postgresql", PG_DDL, tmp_path_factory.mktemp("pg-indexes"), databases)


def _pg_catalog(engine: sa.Engine) -> list[tuple[str, str, str]]:
    """Every index and constraint of the schema, as PostgreSQL prints its definition (but
    `bookings`'s: its EXCLUDE constraint is not carried, see the test of the warning)."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT tablename, indexname, indexdef FROM pg_indexes"
                " WHERE schemaname = 'public'"
                " UNION ALL SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
                " FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
                " ORDER BY 1, 2, 3"
            )
        )
        return [(str(t), str(n), str(d)) for t, n, d in rows if t != "bookings"]


def test_postgresql_indexes_are_created_again(
    pg: Source, databases: Callable[[str], sa.URL]
) -> None:
    original, created = _copy(pg, databases("postgresql"), skip=("bookings",))
    try:
        expected = _pg_catalog(original)
        # 17 indexes, 2 primary keys and 2 unique constraints, each with its index
        assert len(expected) == 25
        assert ("codes", "uq_codes_b", "UNIQUE (b) INCLUDE (c)") in expected
        assert ("codes", "uq_codes_a", "UNIQUE NULLS NOT DISTINCT (a)") in expected
        assert _pg_catalog(created) == expected
        tables = ["docs", "codes"]
        assert _inspected(created, tables) == _inspected(original, tables)
    finally:
        original.dispose()
        created.dispose()
    assert "index" not in pg.result.stderr


def test_postgresql_index_options_in_the_model(pg: Source) -> None:
    with imported(pg.project) as db:
        indexes = {i.name: i for i in db.models.Doc.__table__.indexes}
        options = indexes["ix_docs_data"].dialect_options["postgresql"]
        assert options["using"] == "gin" and options["ops"] == {"data": "jsonb_path_ops"}
        assert indexes["ix_docs_code_include"].dialect_options["postgresql"]["include"] == (
            "title",
            "n",
        )
        assert indexes["ux_docs_code_n"].dialect_options["postgresql"]["nulls_not_distinct"]


@pytest.fixture
def pg_upgraded(pg: Source, databases: Callable[[str], sa.URL]) -> Iterator[sa.URL]:
    """An empty database brought to the models by `db revision --autogenerate` + `db upgrade`."""
    url = databases("postgresql")
    text = url.render_as_string(hide_password=False)
    try:
        for command in (("revision", "-m", "all", "--autogenerate"), ("upgrade",)):
            result = run("db", *command, "--url", text, project=pg.project)
            assert result.code == 0, result.stdout + result.stderr
        yield url
    finally:
        for script in (pg.project / "app" / "db" / "migrations" / "versions").glob("*.py"):
            script.unlink()


def test_postgresql_autogenerate_and_upgrade_build_the_same_indexes(
    pg: Source, pg_upgraded: sa.URL
) -> None:
    """Alembic renders the options and orders of every index: the same catalog again."""
    original, created = sa.create_engine(pg.url), sa.create_engine(pg_upgraded)
    try:
        actual = [row for row in _pg_catalog(created) if row[0] != "alembic_version"]
        assert actual == _pg_catalog(original)
    finally:
        original.dispose()
        created.dispose()


def test_postgresql_check_after_upgrade_finds_no_drift(pg: Source, pg_upgraded: sa.URL) -> None:
    """An element with both an operator class and an order is one literal in the model
    (SQLAlchemy drops postgresql_ops on a DESC element); `migration_compare` compares it with
    the reflected element, operator class and order included: no drift."""
    text = pg_upgraded.render_as_string(hide_password=False)
    result = run("db", "check", "--url", text, project=pg.project)
    assert result.code == 0, result.stdout + result.stderr


def test_postgresql_exclude_constraint_is_warned_about(pg: Source) -> None:
    assert (
        "warning: bookings.bookings_during_excl: constraint bookings_during_excl (not UNIQUE:"
        " an EXCLUDE constraint) is not carried into the model" in pg.result.stderr
    )


def test_postgresql_project_is_lint_clean(pg: Source, mypy_cache: Path) -> None:
    mypy_clean(pg.project, mypy_cache)
    ruff_clean(pg.project)


# --- MariaDB --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def maria(tmp_path_factory: pytest.TempPathFactory, databases: Callable[[str], sa.URL]) -> Source:
    return _source("mysql", MARIADB_DDL, tmp_path_factory.mktemp("maria-indexes"), databases)


def _maria_catalog(engine: sa.Engine, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The KEY lines of SHOW CREATE TABLE, and information_schema's rows for each key part."""
    with engine.connect() as connection:
        create = connection.execute(sa.text(f"SHOW CREATE TABLE {table}")).one()[1]
        rows = connection.execute(
            sa.text(
                "SELECT INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, COLLATION, SUB_PART, INDEX_TYPE,"
                " NON_UNIQUE FROM information_schema.STATISTICS"
                " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :table"
                " ORDER BY INDEX_NAME, SEQ_IN_INDEX"
            ),
            {"table": table},
        )
        keys = sorted(line.strip().rstrip(",") for line in create.splitlines() if "KEY " in line)
        return keys, [tuple(row) for row in rows]


def test_mariadb_indexes_are_created_again(
    maria: Source, databases: Callable[[str], sa.URL]
) -> None:
    # `places` has a GEOMETRY column, which SQLAlchemy has no type for (warned about).
    original, created = _copy(maria, databases("mysql"), skip=("places",))
    try:
        keys, parts = _maria_catalog(original, "articles")
        assert len(keys) == 7  # the primary key and six
        assert "FULLTEXT KEY `ft_articles` (`title`,`description`)" in keys
        assert "KEY `ix_desc` (`n` DESC,`code`)" in keys
        assert _maria_catalog(created, "articles") == (keys, parts)
        assert _inspected(created, ["articles"]) == _inspected(original, ["articles"])
    finally:
        original.dispose()
        created.dispose()


def test_mariadb_spatial_index_is_in_the_model(maria: Source) -> None:
    with imported(maria.project) as db:
        (index,) = db.models.Place.__table__.indexes
        assert (index.name, index.dialect_options["mysql"]["prefix"]) == ("sp_g", "SPATIAL")
    assert "places.g: SQL type 'geometry' is not understood" in maria.result.stderr


def test_mariadb_project_is_lint_clean(maria: Source, mypy_cache: Path) -> None:
    mypy_clean(maria.project, mypy_cache)
    ruff_clean(maria.project)


# --- SQLite ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lite(tmp_path_factory: pytest.TempPathFactory) -> Source:
    root = tmp_path_factory.mktemp("sqlite-indexes")
    return _source("sqlite", SQLITE_DDL, root, lambda _: sa.make_url("sqlite://"))


def _sqlite_catalog(engine: sa.Engine) -> dict[str, Any]:
    """Per table: column defaults, UNIQUE constraints (their columns), and each created index:
    unique, partial, key parts (column, DESC, collation) and its CREATE INDEX text."""
    result: dict[str, Any] = {}
    with engine.connect() as connection:

        def pragma(name: str, argument: str) -> list[Any]:
            quoted = '"' + argument.replace('"', '""') + '"'
            return list(connection.exec_driver_sql(f"PRAGMA main.{name}({quoted})"))

        listed = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
        )
        statements = {str(name): sql for name, sql in listed.all()}
        tables = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        )
        for (table,) in tables.all():
            uniques, indexes = [], {}
            for _, name, unique, origin, partial in pragma("index_list", table):
                parts = [(r[1], r[2], r[3], r[4]) for r in pragma("index_xinfo", name) if r[5]]
                if origin == "u":
                    uniques.append(tuple(p[1] for p in parts))
                elif origin == "c":
                    indexes[name] = (unique, partial, parts, statements[name])
            result[table] = {
                "defaults": {r[1]: r[4] for r in pragma("table_info", table)},
                "unique": sorted(uniques),
                "indexes": indexes,
            }
    return result


def test_sqlite_indexes_uniques_and_defaults_are_created_again(
    lite: Source, tmp_path: Path
) -> None:
    original, created = _copy(lite, sa.make_url(f"sqlite:///{tmp_path / 'copy.db'}"))
    try:
        expected = _sqlite_catalog(original)
        assert expected["users"]["unique"] == [("a", "b"), ("code",), ("email",), ("名前",)]
        assert expected["users"]["defaults"]["label"] == "'a' || 'b'"
        assert len(expected["users"]["indexes"]) == 4
        assert _sqlite_catalog(created) == expected
    finally:
        original.dispose()
        created.dispose()
    assert "warning" not in lite.result.stderr


def test_sqlite_expression_defaults_keep_their_parentheses(lite: Source) -> None:
    with imported(lite.project) as db:
        columns = db.models.User.__table__.c
        defaults = {c.name: c.server_default.arg.text for c in columns if c.server_default}
    assert defaults == {
        "code": "'x'",
        "joined": "(datetime('now'))",
        "label": "('a' || 'b')",
        "score": "(1 + 2)",
        "plain": "'x'",
        "zero": "0",
        "minus": "-1",
        "stamp": "CURRENT_TIMESTAMP",
        "nested": "((4))",  # reported as `(4)`: kept, so that it reads back the same
    }


def test_sqlite_inline_unique_is_a_key(lite: Source, tmp_path: Path) -> None:
    """`email ... UNIQUE` gives `get_by_email` and an upsert target, on a database made from
    the generated models."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'keys.db'}")
    try:
        with imported(lite.project) as db:
            user = db.models.User
            user.metadata.create_all(engine)
            repository_class = repository_for(db, user)
            keys = sys.modules[f"{db.__name__}.dtos.user"].UserKey.__args__
            assert {"email", "code", "a_and_b"} <= set(keys) and len(keys) == 5
            with sa.orm.Session(engine) as session:
                repository = repository_class(session)
                name = next(k for k in keys if k not in ("id", "email", "code", "a_and_b"))
                first = user(email="a@example.com", code="c1", **{name: "アリス"})
                repository.add(first)
                session.commit()
                again = user(email="a@example.com", code="c2", **{name: "ボブ"})
                stored = repository.upsert(again, on="email")
                session.commit()
                assert (stored.id, stored.code) == (first.id, "c2")
                assert repository.get_by_email("a@example.com").id == first.id
                assert getattr(repository, f"get_by_{name}")("ボブ").id == first.id
                assert repository.count() == 1
    finally:
        engine.dispose()


def test_sqlite_project_is_lint_clean(lite: Source, mypy_cache: Path) -> None:
    mypy_clean(lite.project, mypy_cache)
    ruff_clean(lite.project)


def test_check_names_what_changed_in_an_index(tmp_path: Path) -> None:
    """An index made partial is a change `sublimate check` explains (the manifest records how
    each index is built, not only its columns)."""
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as connection:
        connection.executescript("CREATE TABLE t (id INTEGER PRIMARY KEY, n INT);")
        connection.executescript("CREATE INDEX ix_t_n ON t (n DESC);")
    project = make_project(tmp_path / "project", formatter="ruff")
    url = f"sqlite:///{path}"
    generate(url, project)
    with sqlite3.connect(path) as connection:
        connection.executescript("DROP INDEX ix_t_n; CREATE INDEX ix_t_n ON t (n) WHERE n > 0;")
    checked = run("check", "--url", url, project=project)
    assert checked.code == 1
    assert "t: index ix_t_n: (n) n desc → (n) where n > 0" in checked.stdout


def test_a_cached_sqlite_reflection_follows_index_and_unique_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reflection cache (keyed by each table's catalog rows) never serves an index or an
    inline UNIQUE that changed: each step's IR through the cache equals a fresh reflection."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SUBLIMATE_NO_CACHE", raising=False)
    path = tmp_path / "app.db"
    steps = [
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);"
        " CREATE INDEX ix_t ON t (lower(a));",
        "DROP INDEX ix_t; CREATE INDEX ix_t ON t (lower(a) DESC) WHERE b IS NOT NULL;",
        "CREATE TABLE t2 (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c VARCHAR(10) DEFAULT 'x'"
        " UNIQUE); DROP TABLE t; ALTER TABLE t2 RENAME TO t;",
    ]
    seen = []
    for step in steps:
        with sqlite3.connect(path) as connection:
            connection.executescript(step)
        url = f"sqlite:///{path}"
        for _ in range(2):  # the second run is served from the cache
            cached = build_schema_from_url(url, package="app.db")
            assert to_jsonable(cached) == to_jsonable(
                build_schema_from_url(url, package="app.db", use_cache=False)
            )
        entity = cached.entity("T")
        seen.append(([(i.expressions, i.sorting, i.where) for i in entity.indexes], entity))
    assert seen[0][0] == [(("lower(a)",), (), None)]
    assert seen[1][0] == [(("lower(a)",), (("lower(a)", ("desc",)),), "b IS NOT NULL")]
    assert seen[2][0] == []
    assert [k.sql_columns for k in seen[2][1].unique_keys] == [("id",), ("c",)]
