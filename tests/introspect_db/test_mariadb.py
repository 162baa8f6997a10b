"""MariaDB cases, on the real server: ENUM, SET, TINYINT(1) booleans, unsigned integers, display
widths, text sizes, YEAR, BIT, JSON (MariaDB's LONGTEXT alias), generated columns, ON UPDATE
defaults, charsets and collations, comments, PascalCase names, views, no key, composite keys, an
association table, and a foreign key into another database (a MySQL "schema")."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from .conftest import database_on
from .roundtrip import roundtrip
from .support import Result, generate, imported, lint, make_project

DDL = [
    "CREATE TABLE {other}.regions (id int NOT NULL PRIMARY KEY, name varchar(40) NOT NULL)",
    """CREATE TABLE `Artist` (
      `ArtistId` int(11) NOT NULL AUTO_INCREMENT,
      `Name` varchar(120) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
      PRIMARY KEY (`ArtistId`)
    ) COMMENT='PascalCase ''names'' "here"'""",
    """CREATE TABLE gadgets (
      id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
      flag tinyint(1) NOT NULL DEFAULT 0,
      tiny tinyint,
      small smallint(6),
      big bigint(20) unsigned,
      medium mediumint,
      kind enum('a','b','it''s') NOT NULL DEFAULT 'a',
      perms set('read','write'),
      made year,
      tt tinytext,
      mt mediumtext,
      lt longtext,
      doc json,
      price decimal(10,2) unsigned NOT NULL DEFAULT 0.00,
      at datetime(6),
      touched timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),
      bits bit(3),
      blobby mediumblob,
      code varchar(20) CHARACTER SET latin1 COLLATE latin1_bin,
      ratio double,
      f float,
      twice int AS (tiny * 2) STORED,
      artist_id int(11),
      region_id int,
      UNIQUE KEY uq_gadgets_code (code),
      KEY ix_gadgets_medium (medium),
      CONSTRAINT fk_gadgets_artist FOREIGN KEY (artist_id) REFERENCES `Artist` (`ArtistId`)
        ON DELETE SET NULL,
      CONSTRAINT fk_gadgets_region FOREIGN KEY (region_id) REFERENCES {other}.regions (id)
    ) COMMENT 'gadget ''comment'' \"\"\" and\nnewline'""",
    "CREATE TABLE tags (id int PRIMARY KEY, label varchar(30) NOT NULL)",
    """CREATE TABLE gadget_tags (
      gadget_id int unsigned NOT NULL, tag_id int NOT NULL, PRIMARY KEY (gadget_id, tag_id),
      FOREIGN KEY (gadget_id) REFERENCES gadgets (id) ON DELETE CASCADE,
      FOREIGN KEY (tag_id) REFERENCES tags (id) ON DELETE CASCADE
    )""",
    "CREATE TABLE audit (at datetime NOT NULL, what text)",
    "CREATE VIEW gadget_kinds AS SELECT id, kind FROM gadgets",
]


@pytest.fixture(scope="module")
def my(
    server_admin: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[sa.URL, Path, Result]]:
    admin = server_admin("mysql")
    # The other database first: it is dropped last, after the one whose keys point into it.
    with database_on(admin, "mysql", "sbo") as other, database_on(admin, "mysql") as url:
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            for statement in DDL:
                connection.exec_driver_sql(statement.replace("{other}", other.database or ""))
        engine.dispose()
        project = make_project(tmp_path_factory.mktemp("mariadb") / "project", formatter="ruff")
        result = generate(url, project, "--schema", f"{url.database},{other.database}")
        yield url, project, result


@pytest.fixture(scope="module")
def models(my: tuple[sa.URL, Path, Result]) -> Iterator[ModuleType]:
    with imported(my[1]) as db:
        yield sys.modules[f"{db.__name__}.models"]


def _by_table(models: ModuleType) -> dict[str, Any]:
    classes = [getattr(models, n) for n in models.__all__ if n not in ("Base", "ViewBase")]
    return {c.__table__.name: c for c in classes}


def test_warnings(my: tuple[sa.URL, Path, Result]) -> None:
    stderr = my[2].stderr
    assert "warning: audit: no primary key" in stderr
    assert "warning: gadget_kinds: view" in stderr


def test_lint_clean(my: tuple[sa.URL, Path, Result], mypy_cache: Path) -> None:
    lint(my[1], mypy_cache)


def test_types(models: ModuleType) -> None:
    gadget = _by_table(models)["gadgets"]
    hints = gadget.__annotations__
    c = gadget.__table__.c
    assert hints["flag"] == "Mapped[bool]" and isinstance(c.flag.type, sa.Boolean)
    assert hints["id"] == "Mapped[int]" and c.id.type.unsigned
    assert hints["big"] == "Mapped[int | None]" and c.big.type.unsigned
    assert isinstance(c.tiny.type, mysql.TINYINT) and c.tiny.type.display_width == 4
    assert isinstance(c.medium.type, mysql.MEDIUMINT)
    assert hints["kind"] == "Mapped[Literal['a', 'b', \"it's\"]]"
    assert hints["perms"] == "Mapped[set[str] | None]" and isinstance(c.perms.type, mysql.SET)
    assert hints["made"] == "Mapped[int | None]" and isinstance(c.made.type, mysql.YEAR)
    assert isinstance(c.mt.type, mysql.MEDIUMTEXT) and isinstance(c.tt.type, mysql.TINYTEXT)
    assert hints["price"] == "Mapped[decimal.Decimal]" and c.price.type.unsigned
    assert isinstance(c.at.type, mysql.DATETIME) and c.at.type.fsp == 6
    assert "ON UPDATE" in str(c.touched.server_default.arg).upper()
    assert c.code.type.collation == "latin1_bin"
    assert c.twice.computed is not None
    assert gadget.__table__.comment == 'gadget \'comment\' """ and\nnewline'
    artist = _by_table(models)["Artist"]
    assert artist.__name__ == "Artist"
    assert [p.key for p in sa.inspect(artist).column_attrs] == ["artist_id", "name"]
    assert artist.__table__.c.ArtistId.autoincrement is not False


def test_dto_constraints(my: tuple[sa.URL, Path, Result]) -> None:
    import msgspec

    with imported(my[1]) as db:
        with pytest.raises(msgspec.ValidationError, match=">= 0"):
            msgspec.convert({"big": -1}, db.GadgetUpdate)
        assert msgspec.convert({"big": 2**63}, db.GadgetUpdate).big == 2**63


def test_relationships_across_databases(models: ModuleType, my: Any) -> None:
    tables = _by_table(models)
    gadget = sa.inspect(tables["gadgets"]).relationships
    assert gadget["region"].mapper.class_ is tables["regions"]
    assert tables["regions"].__table__.schema.startswith("sbo_")
    assert gadget["artist"].mapper.class_ is tables["Artist"]
    assert gadget["tags"].secondary is tables["gadget_tags"].__table__


def test_round_trip_every_repository(my: tuple[sa.URL, Path, Result]) -> None:
    url, project, _ = my
    engine = sa.create_engine(url)
    try:
        with imported(project) as db:
            done = roundtrip(db, engine)
    finally:
        engine.dispose()
    assert {name for name, what in done.items() if what == "read-only"} == {"Audit", "GadgetKind"}
    assert len(done) == 7


def test_create_all_recreates_the_tables(
    models: ModuleType, server_admin: Any, my: tuple[sa.URL, Path, Result]
) -> None:
    admin = server_admin("mysql")
    regions = _by_table(models)["regions"].__table__
    with database_on(admin, "mysql") as url:
        engine = sa.create_engine(url)
        try:
            # The other database's table goes into the scratch one: same DDL, other schema.
            with engine.begin() as connection:
                tables = [t for t in models.Base.metadata.sorted_tables if t is not regions]
                schema_map = {regions.schema: None}
                connection = connection.execution_options(schema_translate_map=schema_map)
                models.Base.metadata.create_all(connection, tables=[regions, *tables])
            inspector = sa.inspect(engine)
            assert set(inspector.get_table_names()) == {
                "regions", "Artist", "gadgets", "tags", "gadget_tags", "audit",
            }  # fmt: skip
            columns: dict[str, Any] = {c["name"]: c for c in inspector.get_columns("gadgets")}
            assert columns["flag"]["type"].display_width == 1  # BOOL
            assert columns["id"]["type"].unsigned
            assert columns["twice"].get("computed") is not None
        finally:
            engine.dispose()
