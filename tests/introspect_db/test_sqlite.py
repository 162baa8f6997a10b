"""SQLite cases: type affinity, CHECK-constraint enums and booleans, AUTOINCREMENT and rowid
keys, WITHOUT ROWID, composite foreign keys, expression and partial indexes, views, no key.
(tests/introspect_db/test_roundtrip_indexes.py re-creates indexes and inline UNIQUE columns.)"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa

from .roundtrip import roundtrip
from .support import Result, generate, imported, lint, make_project

DDL = """
CREATE TABLE kinds (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name VARCHAR(20) NOT NULL UNIQUE,
  status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'open', 'it''s done')),
  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  flag BOOLEAN,
  amount MONEY,
  ratio DOUBLE,
  label NVARCHAR(10),
  born DATE,
  seen DATETIME,
  data BLOB,
  big BIGINT
);
CREATE TABLE codes (code TEXT PRIMARY KEY, kind_id INTEGER REFERENCES kinds (id)) WITHOUT ROWID;
CREATE TABLE bigkeys (id BIGINT PRIMARY KEY, note TEXT);
CREATE TABLE pairs (a INTEGER, b INTEGER, note TEXT, PRIMARY KEY (a, b));
CREATE TABLE pair_children (
  id INTEGER PRIMARY KEY, pa INTEGER, pb INTEGER,
  FOREIGN KEY (pa, pb) REFERENCES pairs (a, b) ON DELETE CASCADE
);
CREATE INDEX ix_kinds_lower ON kinds (lower(name));
CREATE INDEX ix_kinds_big ON kinds (big) WHERE big > 0;
CREATE INDEX ix_kinds_born_seen ON kinds (born, seen);
CREATE VIEW kind_names AS SELECT id, name FROM kinds;
CREATE TABLE log (at TEXT, message TEXT);
CREATE TABLE loose (id INTEGER PRIMARY KEY, anything);
"""


@pytest.fixture(scope="module")
def lite(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Result]:
    root = tmp_path_factory.mktemp("sqlite")
    with sqlite3.connect(root / "cases.db") as connection:
        connection.executescript(DDL)
    url = f"sqlite:///{root / 'cases.db'}"
    project = make_project(root / "project", formatter="ruff")
    return url, project, generate(url, project)


@pytest.fixture(scope="module")
def models(lite: tuple[str, Path, Result]) -> Iterator[ModuleType]:
    with imported(lite[1]) as db:
        yield sys.modules[f"{db.__name__}.models"]


def _by_table(models: ModuleType) -> dict[str, Any]:
    classes = [getattr(models, n) for n in models.__all__ if n not in ("Base", "ViewBase")]
    return {c.__table__.name: c for c in classes}


def test_warnings(lite: tuple[str, Path, Result]) -> None:
    stderr = lite[2].stderr
    assert "warning: loose.anything: SQL type (none declared) is not understood" in stderr
    assert "ix_kinds_" not in stderr  # expression and partial indexes are in the model
    assert "warning: log: no primary key" in stderr
    assert "warning: kind_names: view" in stderr


def test_lint_clean(lite: tuple[str, Path, Result], mypy_cache: Path) -> None:
    lint(lite[1], mypy_cache)


def test_affinity_and_check_constraints(models: ModuleType) -> None:
    kind = _by_table(models)["kinds"]
    hints = kind.__annotations__
    columns = kind.__table__.c
    assert hints["status"] == "Mapped[Literal['new', 'open', \"it's done\"]]"
    assert hints["active"] == "Mapped[bool]" and isinstance(columns.active.type, sa.Boolean)
    assert hints["flag"] == "Mapped[bool | None]"
    assert hints["amount"] == "Mapped[decimal.Decimal | None]"  # MONEY: NUMERIC affinity
    assert hints["ratio"] == "Mapped[float | None]"
    assert hints["label"] == "Mapped[str | None]" and columns.label.type.length == 10
    assert hints["born"] == "Mapped[datetime.date | None]"
    assert hints["data"] == "Mapped[bytes | None]"
    assert {
        c.sqltext.text for c in kind.__table__.constraints if isinstance(c, sa.CheckConstraint)
    } == {
        "status IN ('new', 'open', 'it''s done')",
        "active IN (0, 1)",
    }
    indexes = {i.name: i for i in kind.__table__.indexes}
    assert sorted(indexes) == ["ix_kinds_big", "ix_kinds_born_seen", "ix_kinds_lower"]
    assert str(indexes["ix_kinds_big"].dialect_options["sqlite"]["where"]) == "big > 0"
    assert [str(e) for e in indexes["ix_kinds_lower"].expressions] == ["lower(name)"]
    loose = _by_table(models)["loose"]
    assert loose.__annotations__["anything"] == "Mapped[Any | None]"
    assert isinstance(loose.__table__.c.anything.type, sa.types.NullType)


def test_keys(models: ModuleType, lite: tuple[str, Path, Result]) -> None:
    tables = _by_table(models)
    assert tables["kinds"].__table__.autoincrement_column is tables["kinds"].__table__.c.id
    assert tables["bigkeys"].__table__.autoincrement_column is None  # BIGINT: not the rowid
    assert tables["codes"].__table__.c.code.primary_key
    (to_pair,) = sa.inspect(tables["pair_children"]).relationships
    assert {c.name for c in to_pair.local_columns} == {"pa", "pb"}
    (to_children,) = sa.inspect(tables["pairs"]).relationships
    assert to_children.direction.name == "ONETOMANY" and to_children.back_populates == to_pair.key
    with imported(lite[1]) as db:
        create = db.BigkeyCreate.__struct_fields__
        assert "id" in create  # not generated by the database: the caller gives it
        assert "id" not in db.KindCreate.__struct_fields__


def test_round_trip_every_repository(lite: tuple[str, Path, Result]) -> None:
    url, project, _ = lite
    engine = sa.create_engine(url)
    try:
        with imported(project) as db:
            done = roundtrip(db, engine)
    finally:
        engine.dispose()
    assert {name for name, what in done.items() if what == "read-only"} == {"KindName", "Log"}
    assert len(done) == 8


def test_create_all_recreates_the_tables(models: ModuleType, tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'copy.db'}")
    try:
        # Not `loose`: a column without a type has no DDL SQLAlchemy can write (warned about).
        tables = [t for t in models.Base.metadata.sorted_tables if t.name != "loose"]
        models.Base.metadata.create_all(engine, tables=tables)
        inspector = sa.inspect(engine)
        assert set(inspector.get_table_names()) == {
            "kinds", "codes", "bigkeys", "pairs", "pair_children", "log",
        }  # fmt: skip
        (fk,) = inspector.get_foreign_keys("pair_children")
        assert fk["referred_columns"] == ["a", "b"] and fk["options"]["ondelete"] == "CASCADE"
    finally:
        engine.dispose()
