"""Reflected SQLite tables are reused while their DDL is unchanged (introspect/sqlite_cache.py).

Every step compares the IR built through the cache with the IR of a reflection that bypasses it,
and counts which tables SQLAlchemy actually reflected (the PRAGMAs it ran): a hit must be exactly
what reflecting again would have said, and a change must reflect the tables it can affect.
"""

from __future__ import annotations

import importlib.util
import os
import random
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa

from sublimate.introspect.database import build_schema_from_url
from sublimate.ir import to_jsonable

SCHEMA = """
CREATE TABLE parent (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL);
CREATE TABLE child (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES parent,
    kind VARCHAR(10) CHECK (kind IN ('a', 'b'))
);
CREATE TABLE "Other Table" (id INTEGER PRIMARY KEY, note TEXT);
CREATE INDEX ix_child_kind ON child (kind);
CREATE VIEW child_names AS
    SELECT child.id, parent.name FROM child JOIN parent ON parent.id = child.parent_id;
"""
# SQLAlchemy lists the indexes of each table and view it reflects, once (a foreign key that names
# no column also reads the referred table's columns: that is not reflecting the referred table).
ROOT = Path(__file__).resolve().parents[2]
PRAGMA = re.compile(r'PRAGMA main\.index_list\("([^"]+)"\)')


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SUBLIMATE_NO_CACHE", raising=False)
    path = tmp_path / "app.db"
    _run(path, SCHEMA)
    return path


def _run(path: Path, script: str) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.executescript(script)
        connection.commit()
    finally:
        connection.close()


@pytest.fixture
def reflected() -> Iterator[set[str]]:
    """The tables SQLAlchemy ran a PRAGMA on, over the test."""
    names: set[str] = set()

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        names.update(PRAGMA.findall(statement))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        yield names
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)


def _ir(path: Path, *, use_cache: bool = True) -> Any:
    schema = build_schema_from_url(f"sqlite:///{path}", package="app.db", use_cache=use_cache)
    return to_jsonable(schema)


def _both(path: Path, reflected: set[str]) -> tuple[Any, set[str]]:
    """The IR through the cache, the tables that needed reflecting; checked against no cache."""
    reflected.clear()
    cached = _ir(path)
    through_cache = set(reflected)
    assert cached == _ir(path, use_cache=False)
    return cached, through_cache


ALL = {"parent", "child", "Other Table", "child_names"}


def test_unchanged_tables_are_not_reflected_again(database: Path, reflected: set[str]) -> None:
    _, first = _both(database, reflected)
    assert first == ALL
    _, second = _both(database, reflected)
    assert second == set()


def test_an_altered_table_is_reflected_with_the_views(database: Path, reflected: set[str]) -> None:
    _both(database, reflected)
    _run(database, "ALTER TABLE child ADD COLUMN nickname VARCHAR(30);")
    ir, again = _both(database, reflected)
    # The view reads from every table: any change in the file reflects it again.
    assert again == {"child", "child_names"}
    child = next(e for e in ir["entities"] if e["table"] == "child")
    assert "nickname" in [c["sql_name"] for c in child["columns"]]


def test_a_new_index_reflects_its_table(database: Path, reflected: set[str]) -> None:
    _both(database, reflected)
    _run(database, 'CREATE UNIQUE INDEX ux_other_note ON "Other Table" (note);')
    _, again = _both(database, reflected)
    assert again == {"Other Table", "child_names"}


def test_a_foreign_key_follows_the_referred_primary_key(
    database: Path, reflected: set[str]
) -> None:
    # child.parent_id REFERENCES parent names no column: it means parent's primary key, so a new
    # primary key on parent changes child's foreign key though child's own DDL did not change.
    _both(database, reflected)
    _run(
        database,
        "PRAGMA foreign_keys = OFF; DROP VIEW child_names; DROP TABLE parent;"
        " CREATE TABLE parent (code VARCHAR(8) PRIMARY KEY, name VARCHAR(40) NOT NULL);",
    )
    ir, again = _both(database, reflected)
    assert again == {"parent", "child"}
    child = next(e for e in ir["entities"] if e["table"] == "child")
    assert [fk["target_sql_columns"] for fk in child["foreign_keys"]] == [["code"]]


def test_a_dropped_table_is_gone(database: Path, reflected: set[str]) -> None:
    _both(database, reflected)
    _run(database, 'DROP TABLE "Other Table";')
    ir, again = _both(database, reflected)
    assert again == {"child_names"}
    assert "Other Table" not in [e["table"] for e in ir["entities"]]


def test_a_reflection_warning_is_shown_on_every_run(database: Path, reflected: set[str]) -> None:
    # A table whose reflection warned is not kept: its warning must not vanish on the next run.
    # (A view over a dropped table cannot be read: left out, with a warning.)
    _run(
        database,
        "CREATE TABLE gone (x); CREATE VIEW v_gone AS SELECT x FROM gone; DROP TABLE gone;",
    )
    for _ in range(2):
        reflected.clear()
        schema = build_schema_from_url(f"sqlite:///{database}", package="app.db")
        messages = [f"{d.where}: {d.message}" for d in schema.diagnostics]
        assert any(m.startswith("v_gone: view cannot be read") for m in messages), messages
        assert "parent" in reflected


def test_a_corrupt_cache_is_reflected_again(
    database: Path, reflected: set[str], tmp_path: Path
) -> None:
    _both(database, reflected)
    (entry,) = (tmp_path / "cache" / "sublimate" / "reflection").glob("*.json")
    entry.write_bytes(entry.read_bytes()[:100])
    _, again = _both(database, reflected)
    assert again == ALL
    _, third = _both(database, reflected)
    assert third == set()


def test_no_cache_reflects_everything(
    database: Path, reflected: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _both(database, reflected)
    monkeypatch.setenv("SUBLIMATE_NO_CACHE", "1")
    _, again = _both(database, reflected)
    assert again == ALL


# --- random DDL on make_big_schema.py's schema -------------------------------------------

STEPS = max(40, int(os.environ.get("SUBLIMATE_FUZZ_EXAMPLES", "0")) // 5)


def _big_schema_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("big_schema", ROOT / "bench" / "big_schema.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _edit(path: Path, rng: random.Random, step: int) -> str | None:
    """One random DDL change (None when SQLite refused it: the file is then unchanged)."""
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
        tables = sorted(n for k, n, _ in rows if k == "table" and not n.startswith("sqlite_"))
        indexes = sorted(n for k, n, _ in rows if k == "index" and not n.startswith("sqlite_"))
        # Tables that a view selects from, and tables a foreign key names without columns:
        # what changes them must reach the view, and the referring table.
        viewed = [t for t in tables for k, _, sql in rows if k == "view" and f'"{t}"' in sql]
        referred = [t for t in tables for _, _, sql in rows if f'REFERENCES "{t}")' in (sql or "")]
        table = rng.choice(tables)
        if viewed and rng.random() < 0.2:
            table = rng.choice(viewed)
        info = list(connection.execute(f'PRAGMA table_info("{table}")'))
        column = rng.choice([r[1] for r in info])
        keys = [r[1] for r in info if r[5]]
        if referred and rng.random() < 0.2:  # a new primary key for `REFERENCES "t"` to mean
            table = rng.choice(referred)
            info = list(connection.execute(f'PRAGMA table_info("{table}")'))
            keys = [r[1] for r in info if r[5]]
            if keys:
                connection.execute(f'ALTER TABLE "{table}" RENAME COLUMN "{keys[0]}" TO "k{step}"')
                connection.commit()
                return f"primary key of {table} renamed"
        statements = [
            f'CREATE TABLE "child_{step}" (id INTEGER PRIMARY KEY, ref INTEGER'
            f' REFERENCES "{table}")',
            f'ALTER TABLE "{table}" ADD COLUMN "added_{step}" VARCHAR({rng.randint(1, 300)})',
            f'ALTER TABLE "{table}" ADD COLUMN "flag_{step}" INTEGER NOT NULL DEFAULT 0'
            f' CHECK ("flag_{step}" IN (0, 1))',
            f'CREATE INDEX "ix_step_{step}" ON "{table}" ("{column}")',
            f'CREATE UNIQUE INDEX "ux_step_{step}" ON "{table}" ("{column}")',
            f'ALTER TABLE "{table}" RENAME COLUMN "{column}" TO "{column}_r{step}"',
            f'ALTER TABLE "{table}" RENAME TO "{table}_r{step}"',
            f'ALTER TABLE "{table}" DROP COLUMN "{column}"',
            f'DROP TABLE "{table}"',
            f'CREATE VIEW "v_step_{step}" AS SELECT * FROM "{table}"',
        ]
        if indexes:
            statements.append(f'DROP INDEX "{rng.choice(indexes)}"')
        statement = rng.choice(statements)
        connection.execute("PRAGMA foreign_keys = OFF")
        try:
            connection.execute(statement)
        except sqlite3.Error:  # e.g. dropping a key column
            return None
        # A view over a dropped table cannot be read by anyone (sublimate says so and stops):
        # drop it too, as its owner would.
        views = connection.execute("SELECT name FROM sqlite_master WHERE type = 'view'")
        for (view,) in views.fetchall():
            try:
                connection.execute(f'SELECT * FROM "{view}" LIMIT 0')
            except sqlite3.Error:
                connection.execute(f'DROP VIEW "{view}"')
                statement += f'; DROP VIEW "{view}"'
        connection.commit()
        return statement
    finally:
        connection.close()


def test_random_ddl_on_a_big_schema_matches_a_full_reflection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reflected: set[str]
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SUBLIMATE_NO_CACHE", raising=False)
    big_schema = _big_schema_module()
    if not big_schema.MAKE_BIG_SCHEMA.is_file():
        pytest.fail(f"{big_schema.MAKE_BIG_SCHEMA} is missing (set SUBLIMATE_BIG_SCHEMA)")
    path = big_schema.build_sqlite(tmp_path / "big.db", 80)
    rng = random.Random(20261127)
    _both(path, reflected)
    done, again, everything = 0, 0, 0
    for step in range(STEPS):
        statement = _edit(path, rng, step)
        if statement is None:
            continue
        try:
            ir, tables = _both(path, reflected)  # asserts cached == full reflection
        except AssertionError as error:
            raise AssertionError(f"after {statement}: {error}") from error
        done += 1
        again += len(tables)
        everything += len(ir["entities"])
    assert done >= STEPS // 2
    # Each change reflects its table, the tables pointing at it and every view (a dozen by the
    # end): about a tenth of the tables a full reflection reads.
    assert again < everything / 5, (again, everything)
