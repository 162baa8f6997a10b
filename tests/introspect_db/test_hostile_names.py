"""Names from the database are hostile input: every one still gives valid, importable,
mypy-strict and ruff-clean code that talks to the real column, and no name injects code.

A fixed schema holds the names the issue lists; a hypothesis fuzz builds random SQLite schemas
from them and from arbitrary Unicode (at least 200 in CI; SUBLIMATE_FUZZ_EXAMPLES for more), runs
`generate --url` in-process, imports the output and round-trips a row through each repository.
"""

from __future__ import annotations

import ast
import itertools
import os
import sqlite3
import sys
import typing
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .roundtrip import roundtrip
from .support import OUT, generate, imported, lint, make_project

HOSTILE = [
    "class", "from", "import", "metadata", "registry", "__tablename__", "__table__", "Base",
    "ViewBase", "id-test", "4test", "my col", "a-b", "a_b", "naïve", "表", "Ωmega",
    'quote"d', "it's", "back\\slash", 'tri"""ple', "new\nline", "tab\there", "select", "self",
    "session", "sa", "list", "int", "bytes", "Mapped", "None", "True", "type", "match",
    "__init__", "_", "__", "x'); import os; os.system('id') #", '"""; raise SystemExit; """',
    "{{ jinja }}", "{% raw %}", "ArtistId", "UPPER CASE", "DROP TABLE x; --", "query",
    "datetime", "decimal", "Any", "Literal", "TYPE_CHECKING", "annotations", "builtins",
    "returning", "nothing", "offset", "lateral", "collation",
]  # fmt: skip


INJECTION = "x); import os; ("
NEWLINE = "new\nline"
TRIPLE = 'tri"""ple'


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _hostile_schema(path: Path) -> None:
    columns = [f"{q(name)} TEXT" for name in HOSTILE]
    statements = [
        f"CREATE TABLE {q('class')} (id INTEGER PRIMARY KEY, {', '.join(columns)})",
        # Same names after casing and punctuation: a-b / a_b tables and columns.
        f"CREATE TABLE {q('a-b')} ({q('ArtistId')} INTEGER PRIMARY KEY,"
        f" {q('my col')} TEXT NOT NULL)",
        f"CREATE TABLE {q('a_b')} ({q('id-test')} INTEGER PRIMARY KEY,"
        f" {q('a-b')} INTEGER REFERENCES {q('a-b')} ({q('ArtistId')}),"
        f" {q('a_b')} INTEGER REFERENCES {q('a-b')} ({q('ArtistId')}),"
        f" {q('metadata')} VARCHAR(12) UNIQUE)",
        f"CREATE TABLE {q('Base')} ({q('4test')} INTEGER PRIMARY KEY, {q('registry')} REAL)",
        f"CREATE TABLE {q('metadata')} ({q('from')} TEXT NOT NULL, {q('import')} INTEGER NOT NULL,"
        f" {q('表')} BLOB, PRIMARY KEY ({q('from')}, {q('import')}))",
        f"CREATE TABLE {q(INJECTION)} ({q('naïve')} INTEGER PRIMARY KEY,"
        f" {q(NEWLINE)} TEXT, {q(TRIPLE)} TEXT CHECK ({q(TRIPLE)} IN ('a', 'b{TRIPLE}')))",
        f"CREATE TABLE {q('__tablename__')} ({q('class')} INTEGER PRIMARY KEY,"
        f" {q('self')} INTEGER REFERENCES {q('__tablename__')} ({q('class')}))",
        f"CREATE TABLE {q('ViewBase')} ({q('Mapped')} TEXT, {q('list')} INTEGER)",
        f"CREATE VIEW {q('my view')} AS SELECT {q('my col')} AS {q('a b')} FROM {q('a-b')}",
    ]
    with sqlite3.connect(path) as connection:
        for statement in statements:
            connection.execute(statement)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("hostile")
    database = root / "hostile.db"
    _hostile_schema(database)
    project = make_project(root / "project")
    generate(f"sqlite:///{database}", project)
    return project, f"sqlite:///{database}"


def test_hostile_names_lint_clean(hostile: tuple[Path, str], mypy_cache: Path) -> None:
    project, _ = hostile
    lint(project, mypy_cache)


def test_hostile_names_import_and_round_trip(hostile: tuple[Path, str]) -> None:
    project, url = hostile
    engine = sa.create_engine(url)
    try:
        with imported(project) as db:
            done = roundtrip(db, engine)
    finally:
        engine.dispose()
    assert done.pop("MyView") == "read-only"
    assert done.pop("ViewBaseModel") == "read-only"  # no primary key
    assert set(done.values()) == {"written"}
    assert len(done) == 7


def test_hostile_names_keep_their_sql_names(hostile: tuple[Path, str]) -> None:
    project, _ = hostile
    with imported(project) as db:
        models = sys.modules[f"{db.__name__}.models"]
        by_table = {
            getattr(models, name).__tablename__: getattr(models, name)
            for name in models.__all__
            if name not in ("Base", "ViewBase")
        }
        assert set(by_table) == {
            "class", "a-b", "a_b", "Base", "metadata", INJECTION, "__tablename__", "ViewBase",
            "my view",
        }  # fmt: skip
        table = by_table["class"].__table__
        assert [c.name for c in table.columns] == ["id", *HOSTILE]
        attrs = [prop.key for prop in sa.inspect(by_table["class"]).column_attrs]
        assert all(attr.isidentifier() for attr in attrs)
        assert len(set(attrs)) == len(attrs)
        assert not {"metadata", "registry", "sa", "Mapped", "int", "list"} & set(attrs)
        assert by_table["a-b"].__name__ != by_table["a_b"].__name__
        assert by_table["Base"].__name__ != "Base"
        assert by_table["ViewBase"].__name__ != "ViewBase"
        # A CHECK (x IN (...)) is a Literal in the DTOs, holding the exact database text.
        hints = typing.get_type_hints(by_table[INJECTION])
        assert "b" + TRIPLE in str(hints[
            next(p.key for p in sa.inspect(by_table[INJECTION]).column_attrs
                 if p.columns[0].name == TRIPLE)
        ])  # fmt: skip


def test_no_name_injects_code(hostile: tuple[Path, str]) -> None:
    """Database text reaches generated code only inside string literals and comments: the
    injection attempts among the names (`x'); import os; os.system('id') #`, `\"\"\"; raise
    SystemExit; \"\"\"`) add no statement, import or call."""
    project, _ = hostile
    calls: set[str] = set()
    for path in sorted((project / OUT).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                calls.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
            if isinstance(node, ast.Raise):
                assert "SystemExit" not in ast.unparse(node), path
            if isinstance(node, ast.Import | ast.ImportFrom) and path.name != "env.py":
                modules = {alias.name for alias in node.names} | {getattr(node, "module", "")}
                assert "os" not in modules, path
    assert not calls & {"system", "eval", "exec", "__import__", "SystemExit", "id"}


# --- the fuzz -------------------------------------------------------------------------------

EXAMPLES = int(os.environ.get("SUBLIMATE_FUZZ_EXAMPLES", "200"))

_names = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(
        st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
        min_size=1,
        max_size=10,
    ),
).filter(lambda n: not n.lower().startswith("sqlite_") and n.strip() != "")

_types = st.sampled_from(
    ["INTEGER", "TEXT", "VARCHAR(16)", "REAL", "NUMERIC(8, 2)", "BOOLEAN", "BLOB", "DATE"]
)


def _not_in(taken: set[str]) -> Callable[[str], bool]:
    return lambda name: name.lower() not in taken


@st.composite
def _schemas(draw: st.DrawFn) -> list[str]:
    """1-3 tables of hostile names: a rowid key, a composite key or none; FKs to earlier
    tables; unique columns; sometimes a view."""
    table_names = draw(st.lists(_names, min_size=1, max_size=3, unique_by=str.lower))
    statements = []
    keyed: list[tuple[str, str]] = []
    for table in table_names:
        names = draw(st.lists(_names, min_size=1, max_size=5, unique_by=str.lower))
        kind = draw(st.sampled_from(["rowid", "rowid", "composite", "none"]))
        if kind == "composite" and len(names) < 2:
            kind = "rowid"
        columns = []
        for index, name in enumerate(names):
            if kind == "rowid" and index == 0:
                columns.append(f"{q(name)} INTEGER PRIMARY KEY")
            elif kind == "composite" and index < 2:
                columns.append(f"{q(name)} INTEGER NOT NULL")
            else:
                null = draw(st.sampled_from(["", " NOT NULL", " UNIQUE"]))
                columns.append(f"{q(name)} {draw(_types)}{null}")
        if kind == "composite":
            columns.append(f"PRIMARY KEY ({q(names[0])}, {q(names[1])})")
        if keyed and kind != "none" and draw(st.booleans()):
            parent, parent_key = keyed[draw(st.integers(0, len(keyed) - 1))]
            column = draw(_names.filter(_not_in({name.lower() for name in names})))
            columns.insert(
                len(names), f"{q(column)} INTEGER REFERENCES {q(parent)} ({q(parent_key)})"
            )
        statements.append(f"CREATE TABLE {q(table)} ({', '.join(columns)})")
        if kind == "rowid":
            keyed.append((table, names[0]))
    if draw(st.booleans()):  # a view over the first table, under a hostile name of its own
        view = draw(_names.filter(lambda n: n.lower() not in {t.lower() for t in table_names}))
        statements.append(f"CREATE VIEW {q(view)} AS SELECT * FROM {q(table_names[0])}")
    return statements


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One project for every example (sys.path stays short); ruff formats: it is 100x faster.
    return make_project(tmp_path_factory.mktemp("fuzz") / "project", formatter="ruff")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(statements=_schemas())
def test_fuzz_random_hostile_schemas(statements: list[str], fuzz_project: Path) -> None:
    number = next(_EXAMPLE)
    database = fuzz_project / f"fuzz{number}.db"
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA synchronous = OFF")  # a scratch file: no fsync per statement
        for statement in statements:
            connection.execute(statement)
    connection.close()
    url = f"sqlite:///{database}"
    generate(url, fuzz_project, "--out", f"app/e{number}")  # a package per example: no cleanup
    engine = sa.create_engine(url)
    sa.event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA synchronous = OFF"))
    try:
        with imported(fuzz_project, f"app.e{number}") as db:
            done = roundtrip(db, engine)
    finally:
        engine.dispose()
    assert len(done) == len(statements)


_EXAMPLE = itertools.count()
