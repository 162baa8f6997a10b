"""dto = "pydantic" on columns named as what pydantic's BaseModel defines (issue 17, point 1).

`model_config` is refused by pydantic, `json`/`schema`/`copy`/`validate` shadow BaseModel's
methods (mypy refuses the override), `model_*` is pydantic's namespace. The DTO field takes
another Python name (`json_`) with the column's attribute as its alias: the wire name, the
constructor keyword and what the runtime maps back to the model stay `json`. One generated
project (with factories = true, point 2) serves every test here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from sublimate import naming

from .support import PYPROJECT, generate, imported, lint

HOSTILE = ("model_config", "_x", "schema", "json", "copy", "model_dump", "validate")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    root = tmp_path_factory.mktemp("pydantic_hostile")
    database = root / "hostile.db"
    with sqlite3.connect(database) as connection:
        columns = ", ".join(f'"{name}" TEXT' for name in HOSTILE[1:])
        connection.execute(
            f'CREATE TABLE thing (id INTEGER PRIMARY KEY, "model_config" TEXT NOT NULL, {columns})'
        )
        # A relationship pydantic reserves: widget.copy (the Filter's and the nested Read's).
        connection.execute("CREATE TABLE copy (id INTEGER PRIMARY KEY, label TEXT)")
        connection.execute(
            "CREATE TABLE widget (id INTEGER PRIMARY KEY,"
            " copy_id INTEGER NOT NULL REFERENCES copy (id))"
        )
    (root / "app").mkdir()
    (root / "app" / "__init__.py").write_text("")
    settings = PYPROJECT.format(formatter="ruff", options='dto = "pydantic"\nfactories = true\n')
    (root / "pyproject.toml").write_text(settings)
    generate(f"sqlite:///{database}", root)
    yield root, f"sqlite:///{database}"


def test_reserved_names_are_what_base_model_defines() -> None:
    """The generator does not import pydantic: its list must follow the installed release."""
    public = {name for name in dir(BaseModel) if not name.startswith("_")}
    outside = {name for name in public if not name.startswith("model_")}
    assert outside == naming.PYDANTIC_RESERVED
    renamed = naming.pydantic_field_names(["id", "json", "json_", "model_config", "fields"])
    assert renamed == {"json": "json__2", "model_config": "model_config_"}


def test_dto_fields_are_renamed_with_the_attribute_as_alias(project: tuple[Path, str]) -> None:
    source = (project[0] / "app" / "db" / "dtos" / "thing.py").read_text()
    assert 'json_: str | None = Field(alias="json")' in source  # the Read DTO
    assert "model_config_: " in source and "    model_config: " not in source


def test_generated_project_is_strict_clean(project: tuple[Path, str], mypy_cache: Path) -> None:
    """mypy --strict (the services build `ThingRead(json=...)`: the alias is the keyword) and
    ruff, factories included (point 2: a pydantic Create DTO is a factory's CreateT)."""
    lint(project[0], mypy_cache)


def _service_round_trip(db: Any, session: Session) -> None:
    from sublimate_runtime.pydantic_dto import json_decoder

    service = db.ThingService(session)
    made = service.create(db.ThingCreate(model_config="c1", json="j1", schema="s1", copy="k"))
    assert (made.model_config_, made.json_, made.schema_, made.copy_) == ("c1", "j1", "s1", "k")
    wire = made.model_dump(mode="json")
    assert wire["json"] == "j1" and wire["model_config"] == "c1" and "json_" not in wire
    changed = service.update(made.id, db.ThingUpdate(json="j2", model_dump="d2"))
    assert (changed.json_, changed.model_dump_, changed.schema_) == ("j2", "d2", "s1")
    service.create(db.ThingCreate(model_config="c2", json="j0", x="under"))
    where = json_decoder(db.ThingFilter)(
        b'{"json": {"eq": "j2"}, "or": [{"model_config": {"startswith": "c"}}]}'
    )
    assert [r.id for r in service.list(where=where).items] == [made.id]
    order = [db.ThingOrder.JSON_DESC]
    first = service.list_after(limit=1, order_by=order)  # the cursor reads `json` off the row
    second = service.list_after(first.next_cursor, limit=1, order_by=order)
    assert [first.items[0].json_, second.items[0].json_] == ["j2", "j0"]
    assert service.get(made.id).x is None


def test_service_creates_reads_updates_and_filters(project: tuple[Path, str]) -> None:
    root, url = project
    engine = sa.create_engine(url)
    try:
        with imported(root) as db, Session(engine) as session:
            _service_round_trip(db, session)
            session.rollback()
    finally:
        engine.dispose()


def test_factories_build_and_persist_pydantic_creates(project: tuple[Path, str]) -> None:
    root, url = project
    engine = sa.create_engine(url)
    try:
        with imported(root) as db, Session(engine) as session:
            from app.db.factories.thing import ThingFactory  # type: ignore[import-not-found]

            factory = ThingFactory(session)
            built = factory.build(json="given")
            assert isinstance(built, db.ThingCreate) and built.json_ == "given"
            row = factory.create(model_config="mine", validate="v")
            assert (row.model_config, row.validate, row.json) == ("mine", "v", None)
            rows = factory.create_many(3)
            assert len({r.id for r in rows}) == 3 and all(r.model_config for r in rows)
            assert session.scalar(sa.text("SELECT count(*) FROM thing")) == 4
            session.rollback()
    finally:
        engine.dispose()


def test_a_relationship_pydantic_reserves_loads_and_filters(project: tuple[Path, str]) -> None:
    root, url = project
    engine = sa.create_engine(url)
    try:
        with imported(root) as db, Session(engine) as session:
            from app.db.dtos.widget import WidgetReadWithCopy  # type: ignore[import-not-found]
            from sublimate_runtime import shape_paths
            from sublimate_runtime.pydantic_dto import json_decoder

            assert shape_paths(WidgetReadWithCopy) == ("copy",)  # the relationship, not copy_
            made = db.CopyService(session).create(db.CopyCreate(label="L"))
            widgets = db.WidgetService(session)
            widget = widgets.create(db.WidgetCreate(copy_id=made.id))
            nested = widgets.get_with(WidgetReadWithCopy, widget.id)
            assert nested.copy_.label == "L"
            assert nested.model_dump(mode="json")["copy"] == {"id": made.id, "label": "L"}
            listed = widgets.list_with(WidgetReadWithCopy).items
            assert [w.copy_.id for w in listed] == [made.id]
            where = json_decoder(db.WidgetFilter)
            assert widgets.list(where=where(b'{"copy": {"label": {"eq": "L"}}}')).total == 1
            assert widgets.list(where=where(b'{"copy": {"label": {"eq": "M"}}}')).total == 0
            session.rollback()
    finally:
        engine.dispose()
