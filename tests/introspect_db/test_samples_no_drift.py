"""`sublimate db check` on a project freshly generated from a database, against that same
database, reports no drift, and `db revision --autogenerate` writes no revision (issue 12).

Over the real sample databases of test_samples.py (Chinook on PostgreSQL, MariaDB and SQLite,
Northwind on PostgreSQL and SQLite) and the index fixtures of test_roundtrip_indexes.py (SQLite
inline UNIQUE and COLLATE/partial/expression indexes, PostgreSQL index methods and operator
classes). The hooks that make this hold (`sublimate_runtime.migration_compare`) must never hide
a real change: a column added to a model, a unique constraint added to a model, and an index the
database changed are still reported.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from . import test_roundtrip_options as options
from .conftest import database_on
from .support import Result, forget, generate, make_project, run
from .test_roundtrip_indexes import MARIADB_DDL, PG_DDL, SQLITE_DDL
from .test_roundtrip_indexes import _load as load_statements
from .test_samples import CASES, Sample
from .test_samples import _load as load_sample
from .test_samples import _structure as structure


@dataclass(frozen=True)
class Generated:
    name: str
    url: sa.URL
    project: Path


def _db(generated: Generated, *args: str, project: Path | None = None) -> Result:
    """`sublimate db <args> --url <the source database>`; the generated package is imported
    afresh (every project here is the package `app`)."""
    root = (project or generated.project).resolve()
    text = generated.url.render_as_string(hide_password=False)
    _unlist(root)  # `db` and env.py put it first only when absent: another project's `app`
    try:
        return run("db", *args, "--url", text, project=root)
    finally:
        _unlist(root)


def _unlist(root: Path) -> None:
    """Forget the package `app` and take `root` (however spelled) off sys.path."""
    forget("app")
    sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != root]


def _versions(project: Path) -> list[Path]:
    return sorted((project / "app" / "db" / "migrations" / "versions").glob("*.py"))


def _assert_no_drift(generated: Generated) -> None:
    checked = _db(generated, "check")
    assert checked.code == 0, checked.stdout + checked.stderr
    assert "no drift" in checked.stdout
    revised = _db(generated, "revision", "-m", "nothing", "--autogenerate")
    assert revised.code == 0, revised.stdout + revised.stderr
    assert "no changes detected" in revised.stdout
    assert _versions(generated.project) == []


def _copy(generated: Generated, root: Path) -> Path:
    """A copy of the generated project, to edit a model in without touching the module's."""
    copy = root / "copy"
    shutil.copytree(generated.project, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _edit_model(project: Path, module: str, edit: Callable[[str], str]) -> None:
    path = project / "app" / "db" / "models" / f"{module}.py"
    before = path.read_text(encoding="utf-8")
    after = edit(before)
    assert after != before
    path.write_text(after, encoding="utf-8")


def _add_column(text: str) -> str:
    """A new nullable column right after the first `__tablename__` line."""
    return re.sub(
        r"(\n    __tablename__ = [^\n]*\n)",
        r"\1\n    drift_probe: Mapped[int | None] = mapped_column(sa.INTEGER())\n",
        text,
        count=1,
    )


# --- the sample databases --------------------------------------------------------------------


@pytest.fixture(scope="module", params=CASES, ids=[c.name for c in CASES])
def sample(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Generated]:
    case: Sample = request.param
    root = tmp_path_factory.mktemp(f"{case.name}-drift")
    with ExitStack() as stack:
        if case.backend == "sqlite":
            url = sa.make_url(f"sqlite:///{root / 'sample.db'}")
        else:
            admin = request.getfixturevalue("server_admin")(case.backend)
            url = stack.enter_context(database_on(admin, case.backend))
        load_sample(case, url)
        project = make_project(root / "project", formatter="ruff")
        generate(url, project)
        yield Generated(case.name, url, project)
        forget("app")


def test_sample_has_no_drift_against_its_source(sample: Generated) -> None:
    _assert_no_drift(sample)


def test_sample_column_added_to_a_model_is_drift(sample: Generated, tmp_path: Path) -> None:
    copy = _copy(sample, tmp_path)
    models = sorted((copy / "app" / "db" / "models").glob("[!_]*.py"))
    table = next(m for m in models if "is_view" not in m.read_text(encoding="utf-8"))
    _edit_model(copy, table.stem, _add_column)
    checked = _db(sample, "check", project=copy)
    assert checked.code == 1, checked.stdout + checked.stderr
    assert re.search(r"'add_column', [^)]*Column\('drift_probe'", checked.stdout), checked.stdout


def test_sample_migrations_recreate_the_original_schema(
    sample: Generated, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The other half of the round trip: `db revision --autogenerate` + `db upgrade` on an EMPTY
    database of the same dialect build what `create_all` builds (test_samples.py compares that
    with the original): the same tables, columns, keys, indexes and foreign keys."""
    case = next(c for c in CASES if c.name == sample.name)
    copy = _copy(sample, tmp_path)
    with ExitStack() as stack:
        if case.backend == "sqlite":
            empty = sa.make_url(f"sqlite:///{tmp_path / 'empty.db'}")
        else:
            admin = request.getfixturevalue("server_admin")(case.backend)
            empty = stack.enter_context(database_on(admin, case.backend))
        target = Generated(sample.name, empty, copy)
        revised = _db(target, "revision", "-m", "all", "--autogenerate")
        assert revised.code == 0, revised.stdout + revised.stderr
        upgraded = _db(target, "upgrade")
        assert upgraded.code == 0, upgraded.stdout + upgraded.stderr
        original, migrated = sa.create_engine(sample.url), sa.create_engine(empty)
        stack.callback(original.dispose)
        stack.callback(migrated.dispose)
        # the version table is the migrations' own (the no-drift test may have left one in the
        # source too): not part of the schema compared
        expected = {k: v for k, v in structure(original).items() if k != "alembic_version"}
        actual = {k: v for k, v in structure(migrated).items() if k != "alembic_version"}
        assert list(actual) == list(expected)
        for table in expected:
            assert actual[table] == expected[table], table


# --- the index fixtures ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def lite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    root = tmp_path_factory.mktemp("lite-drift")
    url = sa.make_url(f"sqlite:///{root / 'source.db'}")
    with sqlite3.connect(url.database or "") as connection:
        connection.executescript(SQLITE_DDL)
    project = make_project(root / "project", formatter="ruff")
    generate(url, project)
    yield Generated("sqlite-indexes", url, project)
    forget("app")


@pytest.fixture(scope="module")
def pg(
    tmp_path_factory: pytest.TempPathFactory, server_admin: Callable[[str], sa.Engine]
) -> Iterator[Generated]:
    root = tmp_path_factory.mktemp("pg-drift")
    with database_on(server_admin("postgresql"), "postgresql") as url:
        load_statements(url, PG_DDL)
        project = make_project(root / "project", formatter="ruff")
        generate(url, project)
        yield Generated("postgresql-indexes", url, project)
        forget("app")


def _load_options(backend: str, url: sa.URL) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            if backend == "postgresql":
                connection.exec_driver_sql(options.PG_DDL)
                return
            connection.exec_driver_sql(options.MY_DEFAULTS.format(url.database))
            for statement in options.MY_DDL:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


FIXTURES = {
    # MariaDB FULLTEXT, SPATIAL, key prefix lengths, DESC
    "mariadb-indexes": ("mysql", lambda url: load_statements(url, MARIADB_DDL), ()),
    # sequences in composite keys, two schemas, partitions, INHERITS, rules, collations
    "postgresql-options": (
        "postgresql",
        lambda url: _load_options("postgresql", url),
        ("--schema", "public,sales"),
    ),
    # per-table and per-column charsets and collations, engines, partitions
    "mariadb-options": ("mysql", lambda url: _load_options("mysql", url), ()),
}


@pytest.mark.parametrize("fixture", list(FIXTURES))
def test_fixture_schema_has_no_drift(
    fixture: str, server_database: Callable[[str], sa.URL], tmp_path: Path
) -> None:
    backend, load, extra = FIXTURES[fixture]
    url = server_database(backend)
    load(url)
    project = make_project(tmp_path / "project", formatter="ruff")
    generate(url, project, *extra)
    _assert_no_drift(Generated(fixture, url, project))


def test_sqlite_inline_unique_collate_and_rowid_keys_have_no_drift(lite: Generated) -> None:
    """`email ... UNIQUE` (SQLAlchemy's parser misses it), `INTEGER PRIMARY KEY` (reported
    nullable), `a COLLATE NOCASE` (reflected as the bare column): no drift."""
    _assert_no_drift(lite)


def test_postgresql_indexes_have_no_drift(pg: Generated) -> None:
    """gist/gin/brin/hash, operator classes (one on a DESC element), partial, INCLUDE,
    expressions, NULLS NOT DISTINCT, storage parameters: no drift."""
    _assert_no_drift(pg)


def test_sqlite_unique_constraint_added_to_a_model_is_drift(
    lite: Generated, tmp_path: Path
) -> None:
    copy = _copy(lite, tmp_path)
    _edit_model(
        copy,
        "user",
        lambda text: text.replace(
            'sa.UniqueConstraint("email"),',
            'sa.UniqueConstraint("email"),\n        sa.UniqueConstraint("plain"),',
        ),
    )
    checked = _db(lite, "check", project=copy)
    assert checked.code == 1, checked.stdout + checked.stderr
    assert "'add_constraint', UniqueConstraint(Column('plain'" in checked.stdout, checked.stdout
    assert "'email'" not in checked.stdout


def _recreate_index(url: sa.URL, statements: list[str]) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "changed",
    [
        "CREATE INDEX ix_users_nocase ON users (a COLLATE RTRIM)",
        "CREATE INDEX ix_users_nocase ON users (a COLLATE NOCASE DESC)",
        "CREATE UNIQUE INDEX ix_users_nocase ON users (a COLLATE NOCASE)",
        "CREATE INDEX ix_users_nocase ON users (b COLLATE NOCASE)",
    ],
)
def test_sqlite_index_changed_in_the_database_is_drift(
    lite: Generated, tmp_path: Path, changed: str
) -> None:
    url = sa.make_url(f"sqlite:///{tmp_path / 'changed.db'}")
    shutil.copyfile(lite.url.database or "", url.database or "")
    _recreate_index(url, ["DROP INDEX ix_users_nocase", changed])
    checked = _db(Generated(lite.name, url, lite.project), "check")
    assert checked.code == 1, checked.stdout + checked.stderr
    assert "('remove_index', Index('ix_users_nocase'" in checked.stdout, checked.stdout


MIXED = '"ix docs ""mixed"""'
MIXED_DDL = (
    f"CREATE INDEX {MIXED} ON docs (n DESC NULLS LAST, lower(title) text_pattern_ops,"
    ' "Mixed ""Case""" text_pattern_ops DESC)'
)


@pytest.mark.parametrize(
    ("name", "original", "changed"),
    [  # the operator class, the order, the NULLS order, the expression of one element
        (
            MIXED,
            MIXED_DDL,
            f"CREATE INDEX {MIXED} ON docs (n DESC NULLS LAST, lower(title) text_pattern_ops,"
            ' "Mixed ""Case""" varchar_pattern_ops DESC)',
        ),
        (
            MIXED,
            MIXED_DDL,
            f"CREATE INDEX {MIXED} ON docs (n DESC NULLS LAST, lower(title) text_pattern_ops,"
            ' "Mixed ""Case""" text_pattern_ops)',
        ),
        (
            MIXED,
            MIXED_DDL,
            f"CREATE INDEX {MIXED} ON docs (n DESC, lower(title) text_pattern_ops,"
            ' "Mixed ""Case""" text_pattern_ops DESC)',
        ),
        (
            MIXED,
            MIXED_DDL,
            f"CREATE INDEX {MIXED} ON docs (n DESC NULLS LAST, upper(title) text_pattern_ops,"
            ' "Mixed ""Case""" text_pattern_ops DESC)',
        ),
        # Alembic compares an index's elements, orders and uniqueness only: a change of method,
        # of the operator class of a plain element or of INCLUDE is found by
        # `migration_compare.compare_index_options`
        (
            "ix_docs_code_hash",
            "CREATE INDEX ix_docs_code_hash ON docs USING hash (code)",
            "CREATE INDEX ix_docs_code_hash ON docs (code)",
        ),
        (
            "ix_docs_data",
            "CREATE INDEX ix_docs_data ON docs USING gin (data jsonb_path_ops)",
            "CREATE INDEX ix_docs_data ON docs USING gin (data)",
        ),
        pytest.param(
            "ix_docs_positive",
            "CREATE INDEX ix_docs_positive ON docs (n) WHERE n > 0 AND title <> 'it''s, (odd)'",
            "CREATE INDEX ix_docs_positive ON docs (n) WHERE n > 1 AND title <> 'it''s, (odd)'",
            marks=pytest.mark.xfail(
                strict=True,
                reason="a predicate is not compared: PostgreSQL rewrites it (casts, parentheses),"
                " so comparing texts would be drift on every project with hand-written models",
            ),
        ),
        (
            "ix_docs_code_include",
            "CREATE INDEX ix_docs_code_include ON docs (code) INCLUDE (title, n)",
            "CREATE INDEX ix_docs_code_include ON docs (code) INCLUDE (title)",
        ),
    ],
    ids=["opclass", "order", "nulls", "expression", "method", "gin-opclass", "where", "include"],
)
def test_postgresql_index_changed_in_the_database_is_drift(
    pg: Generated, name: str, original: str, changed: str
) -> None:
    _recreate_index(pg.url, [f"DROP INDEX {name}", changed])
    try:
        checked = _db(pg, "check")
    finally:
        _recreate_index(pg.url, [f"DROP INDEX {name}", original])
    assert checked.code == 1, checked.stdout + checked.stderr
    shown = name[1:-1].replace('""', '"') if name.startswith('"') else name
    assert f"('remove_index', Index('{shown}'" in checked.stdout, checked.stdout


def test_postgresql_index_method_changed_in_a_model_is_a_revision(
    pg: Generated, tmp_path: Path
) -> None:
    """The other direction, through `db revision --autogenerate`: a model's `hash` index made
    a `btree` one is a revision that drops and creates it again."""
    copy = _copy(pg, tmp_path)
    _edit_model(
        copy,
        "doc",
        lambda text: text.replace(
            'sa.Index("ix_docs_code_hash", "code", postgresql_using="hash")',
            'sa.Index("ix_docs_code_hash", "code", postgresql_using="btree")',
        ),
    )
    revised = _db(pg, "revision", "-m", "btree", "--autogenerate", project=copy)
    assert revised.code == 0, revised.stdout + revised.stderr
    (script,) = _versions(copy)
    upgrade = script.read_text(encoding="utf-8").split("def downgrade", 1)[0]
    assert "op.drop_index(op.f('ix_docs_code_hash'), table_name='docs'" in upgrade
    assert (
        "op.create_index('ix_docs_code_hash', 'docs', ['code'], unique=False,"
        " postgresql_using='btree')" in upgrade
    )
    assert upgrade.count("op.drop_index(") == 1 and upgrade.count("op.create_index(") == 1
