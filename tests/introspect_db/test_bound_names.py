"""A model may be named like anything a generated module binds: the output still checks.

Generated modules bind names: their imports (the runtime's bases, ``KeysetPage``, ``Parent``,
``MappingProxyType``, ...), each model's classes (``<M>Create``, ``Async<M>Repository``,
``<M>Factory``, ...) and helpers (``<module>_to_read``, ``<module>_values``). A table whose
class or module takes one of those names must not shadow it, and the alias a clashing model
import falls back to must not shadow another model. The names are read from the committed
golden cases, so a template that starts binding a new name is covered without editing this
test. Each becomes a table, beside a ``<Name>Model`` twin it references (the twin's class is
what a clashing import of the first is renamed to), and a column of one table (with its primary
key and a unique key among them). The project turns on every output kind a name can clash in:
factories, Litestar, FastAPI and a cache.
"""

from __future__ import annotations

import ast
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from .roundtrip import roundtrip
from .support import EVERY_OUTPUT, generate, imported, lint, make_project

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
STAND_IN = "Cat"  # one model stands for all: `CustomerCreate` and `TagCreate` both test `CatCreate`
COLUMNS_TABLE, KEYS_TABLE = "bound_columns", "bound_keys"  # the names as columns


def _generated_modules() -> Iterator[Path]:
    for case in sorted(path for path in GOLDEN.iterdir() if path.is_dir()):
        for path in sorted(case.rglob("*.py")):
            if "custom" not in path.relative_to(case).parts:  # the user's, written once
                yield path


def _entities() -> tuple[set[str], set[str]]:
    """The golden cases' entity class names and module stems, from their repositories."""
    classes: set[str] = set()
    stems: set[str] = set()
    for path in _generated_modules():
        if path.parent.name != "repositories" or path.stem == "__init__":
            continue
        stems.add(path.stem)
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            name = node.name if isinstance(node, ast.ClassDef) else ""
            if name.endswith("Repository") and not name.startswith("Async"):
                classes.add(name.removesuffix("Repository"))
    return classes, stems


def _bound(tree: ast.Module) -> Iterator[tuple[str, bool]]:
    """(name, bound by an absolute import) for each module-level binding."""
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            absolute = isinstance(node, ast.Import) or node.level == 0
            for alias in node.names:
                yield (alias.asname or alias.name).split(".")[0], absolute
        elif isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, False
        elif isinstance(node, ast.Assign):
            yield from ((t.id, False) for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            yield node.target.id, False


def bound_names() -> list[str]:
    """Every name a golden module binds, a golden entity's name in it replaced by the stand-in
    (other names imported from outside the package are kept: `OrderBy` is the runtime's)."""
    classes, stems = _entities()
    longest_first = sorted(classes, key=lambda name: (-len(name), name))  # a fixed order
    stems_first = sorted(stems, key=lambda stem: (-len(stem), stem))
    found: set[str] = set()
    for path in _generated_modules():
        for name, absolute in _bound(ast.parse(path.read_text(encoding="utf-8"))):
            if name.startswith("__"):
                continue
            if not absolute or name in classes:  # a user's model is imported absolutely
                entity = next((c for c in longest_first if c in name), "")
                stem = next((s for s in stems_first if s in name), "")
                if entity:
                    name = name.replace(entity, STAND_IN)
                elif stem:
                    name = name.replace(stem, STAND_IN.lower())
            found.add(name)
    return sorted(found)


def tables(names: list[str]) -> list[str]:
    """Table names: each class-like name and its `<Name>Model` twin; each snake name and its
    prefixes (a table `factory` has the module `factory` and the helper `factory_values`)."""
    wanted = {STAND_IN}
    for name in names:
        if name[:1].isupper():
            wanted |= {name, f"{name}Model"}
        else:
            parts = name.strip("_").split("_")
            wanted |= {"_".join(parts[:end]) for end in range(1, len(parts) + 1)}
    unique: dict[str, str] = {}  # SQLite's names are case-insensitive: `Cat` stands for `cat`
    for table in sorted(wanted - {""}):
        unique.setdefault(table.casefold(), table)
    return sorted(unique.values())


def _schema(path: Path, names: list[str]) -> None:
    def q(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    with sqlite3.connect(path) as connection:
        every = tables(names)
        twins = {table for table in every if f"{table}Model" in every}
        for table in every:
            twin = f", twin_id INTEGER NOT NULL REFERENCES {q(table + 'Model')} (id)"
            connection.execute(
                f"CREATE TABLE {q(table)} (id INTEGER PRIMARY KEY, label TEXT NOT NULL"
                f"{twin if table in twins else ''})"
            )
        # The names as columns too (attributes, DTO fields, key parameters, filter fields): one
        # table has them all, its key and a unique key among them; another a composite key of two.
        columns = {
            name.casefold(): name for name in names if name not in ("keyset_page", "to_shape")
        }
        connection.execute(
            f"CREATE TABLE {q(COLUMNS_TABLE)} ({q('keyset_page')} INTEGER PRIMARY KEY,"
            f" {q('to_shape')} TEXT UNIQUE, cat_id INTEGER REFERENCES {q(STAND_IN)} (id), "
            + ", ".join(f"{q(column)} TEXT" for column in sorted(columns.values()))
            + ")"
        )
        connection.execute(
            f"CREATE TABLE {q(KEYS_TABLE)} ({q('session')} INTEGER NOT NULL,"
            f" {q('where')} TEXT NOT NULL, {q('SPEC')} TEXT,"
            f" PRIMARY KEY ({q('session')}, {q('where')}))"
        )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("bound")
    database = root / "bound.db"
    _schema(database, bound_names())
    project = make_project(root / "project", formatter="ruff", options=EVERY_OUTPUT)
    generate(f"sqlite:///{database}", project)
    return project, f"sqlite:///{database}"


def test_the_names_come_from_the_golden_cases() -> None:
    """The schema covers what the issue found clashing, without naming it here: a guard that
    the golden cases still hold the modules that bind these names."""
    names = set(bound_names())
    assert {"KeysetPage", "ShapeT", "Parent", "MappingProxyType", "factory_values"} <= names
    assert {"CatFactory", "AsyncCatFactory", "CatCreate", "cat_to_read"} <= names
    assert not any(entity in names for entity in ("Customer", "CustomerCreate", "TagRead"))
    assert {"parent", "parentmodel", "factory", "factory_values"} <= {
        table.casefold() for table in tables(sorted(names))
    }


def test_bound_names_lint_clean(project: tuple[Path, str], mypy_cache: Path) -> None:
    lint(project[0], mypy_cache)


def test_bound_names_import_and_round_trip(project: tuple[Path, str]) -> None:
    path, url = project
    engine = sa.create_engine(url)
    try:
        with imported(path) as db:
            done = roundtrip(db, engine)
    finally:
        engine.dispose()
    assert len(done) == len(tables(bound_names())) + 2  # and the two tables of columns
    assert set(done.values()) == {"written"}
