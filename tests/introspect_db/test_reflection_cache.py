"""Reflected SQLite tables are reused while their DDL is unchanged (introspect/sqlite_cache.py).

Every step compares the IR built through the cache with the IR of a reflection that bypasses it,
and counts which tables SQLAlchemy actually reflected (the PRAGMAs it ran): a hit must be exactly
what reflecting again would have said, and a change must reflect the tables it can affect.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
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
    _run(database, "CREATE INDEX ix_lower_name ON parent (lower(name));")
    for _ in range(2):
        reflected.clear()
        schema = build_schema_from_url(f"sqlite:///{database}", package="app.db")
        messages = [d.message for d in schema.diagnostics]
        assert any("expression-based index ix_lower_name" in m for m in messages), messages
        assert "parent" in reflected


def test_a_corrupt_cache_is_reflected_again(
    database: Path, reflected: set[str], tmp_path: Path
) -> None:
    _both(database, reflected)
    (entry,) = (tmp_path / "cache" / "sublimate" / "reflection").glob("*.pickle")
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
