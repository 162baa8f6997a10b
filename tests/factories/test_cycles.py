"""Foreign keys the factories cannot fill by themselves: a NOT NULL cycle (a table that needs
itself, two tables that need each other), a NOT NULL column of a type no value function fits.
Each is a FactoryError naming what to pass, raised before any SQL is sent."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sublimate_runtime.factories import FactoryError

from tests.introspect_db.support import run

from .support import factory_classes, imported

MODELS = """
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Node(Base):
    __tablename__ = "nodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(sa.ForeignKey("nodes.id"))
    parent: Mapped[Node] = relationship(remote_side=[id])


class Egg(Base):
    __tablename__ = "eggs"

    id: Mapped[int] = mapped_column(primary_key=True)
    hen_id: Mapped[int] = mapped_column(sa.ForeignKey("hens.id", use_alter=True))
    hen: Mapped[Hen] = relationship(foreign_keys=[hen_id])


class Hen(Base):
    __tablename__ = "hens"

    id: Mapped[int] = mapped_column(primary_key=True)
    egg_id: Mapped[int] = mapped_column(sa.ForeignKey("eggs.id"))
    egg: Mapped[Egg] = relationship(foreign_keys=[egg_id])


class Blob(Base):
    __tablename__ = "blobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    shape: Mapped[Any] = mapped_column(sa.PickleType())
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("factories-cycles")
    (root / "zoo").mkdir()
    (root / "zoo" / "__init__.py").write_text("")
    (root / "zoo" / "models.py").write_text(textwrap.dedent(MODELS))
    (root / "pyproject.toml").write_text(
        '[tool.sublimate]\nmodels = "zoo.models"\nout = "zoo/db"\nfactories = true\n'
    )
    result = run("generate", project=root)
    assert result.code == 0, result.stderr
    return root


@pytest.fixture
def factories(project: Path) -> Iterator[ModuleType]:
    with imported(project, "zoo.db") as module:
        yield module


class _NoSql(Session):
    """A session that fails any statement: the errors must come before SQL."""

    def execute(self, *args: object, **kwargs: object) -> sa.Result[object]:  # type: ignore[override]
        raise AssertionError("no statement expected")


def test_a_table_that_needs_itself_is_refused(factories: ModuleType) -> None:
    node = factory_classes(factories)["Node"]
    with pytest.raises(FactoryError, match=r"cycle.*NodeFactory -> NodeFactory.*parent="):
        node(_NoSql()).create()


def test_two_tables_that_need_each_other_are_refused(factories: ModuleType) -> None:
    egg = factory_classes(factories)["Egg"]
    with pytest.raises(
        FactoryError, match=r"EggFactory -> HenFactory -> EggFactory.*pass egg= \(a row\)"
    ):
        egg(_NoSql()).create()


def test_the_cycle_is_broken_by_a_given_key(factories: ModuleType) -> None:
    assert factory_classes(factories)["Node"]().build(parent_id=7).parent_id == 7


def test_a_type_without_a_value_function_must_be_given(factories: ModuleType) -> None:
    blob = factory_classes(factories)["Blob"]
    with pytest.raises(FactoryError, match=r"BlobFactory: shape has a type .* pass shape="):
        blob().build()
    assert blob().build(shape=b"\x00").shape == b"\x00"
    assert "zoo.models" in sys.modules
