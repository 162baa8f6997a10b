"""Attribute and model names that collide with what generated modules bind still give valid code.

The models in hostile_project/ name a model `Select` and `Session`, and attributes `cursor`,
`session`, `uuid`, `datetime`, `str`, `list`, `UNSET`, `msgspec`, `enum`, `Meta`, `Annotated`,
`type`, `where`, `changes`, `on`, `limit`: every one is a name a generated module imports, a local
variable or parameter of a generated method, or a builtin used in annotations.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import run_cli

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("hostile") / "project"
    shutil.copytree(HERE / "hostile_project", root)
    result = run_cli("generate", cwd=root)
    assert result.returncode == 0, result.stderr
    sys.path.insert(0, str(root))
    yield root
    sys.path.remove(str(root))
    for name in [m for m in sys.modules if m == "hostile" or m.startswith("hostile.")]:
        del sys.modules[name]


def test_generated_code_passes_mypy_strict(project: Path) -> None:
    result = subprocess.run(
        [str(BIN / "mypy"), "--strict", "hostile"],
        cwd=project, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_code_passes_ruff(project: Path) -> None:
    result = subprocess.run(
        [str(BIN / "ruff"), "check", "--no-cache", "."],
        cwd=project, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_row_round_trips_through_every_repository(project: Path) -> None:
    from decimal import Decimal

    import msgspec
    from sqlalchemy.orm import Session as OrmSession
    from sublimate_runtime import EqFilter, NotFoundError, create_engine

    db = importlib.import_module("hostile.db")
    models = importlib.import_module("hostile.models")
    engine = create_engine()
    models.Base.metadata.create_all(engine)
    with OrmSession(engine) as session:
        selects = db.SelectRepository(session)
        row = selects.add(models.Select(cursor=1, session=2, str="x", UNSET=Decimal("1.50")))
        assert selects.get(cursor_=1, session_=2) is row
        changed = selects.update(1, 2, db.SelectUpdate(str="renamed", changes="c", limit=7))
        assert (changed.str, changed.changes, changed.limit) == ("renamed", "c", 7)
        assert selects.get_by_uuid(row.uuid) is row
        found = selects.list(db.SelectFilter(where=EqFilter[bool](eq=False)))
        assert [r.str for r in found] == ["renamed"]
        service = db.SessionService(session)
        created = service.create(db.SessionCreate(instance="i", Meta=3, type="t", on=1))
        assert service.get(created.id).Meta == 3
        upserted = service.upsert(db.SessionCreate(instance="i", msgspec="m"), on="instance")
        assert (upserted.id, upserted.msgspec) == (created.id, "m")
        deleted = selects.delete(1, 2)
        assert deleted.str == "renamed"
        with pytest.raises(NotFoundError):
            selects.get(1, 2)
        # Relationship fields named `list`, `field`, `and_`, `_session`: each keeps its meaning.
        owner = session.get(models.Session, created.id)
        root, leaf = models.Node(id=1, and_=owner), models.Node(id=2)
        leaf.field = root
        session.add_all([root, leaf])
        session.flush()
        nodes = db.NodeRepository(session)

        def ids(where: bytes) -> list[int]:
            found = nodes.list(msgspec.json.decode(where, type=db.NodeFilter))
            return [node.id for node in found]

        assert ids(b'{"list": {}}') == [1]  # has children
        assert ids(b'{"field": {"id": {"eq": 1}}}') == [2]
        assert ids(b'{"and_": {"instance": {"eq": "i"}}, "and": [{"_session": {}}]}') == [1]
        assert ids(b'{"not": {"and_": {}}, "or": [{"field": {}}, {"list": {}}]}') == [2]


def test_service_pages_of_hostile_names_are_read_from_rows(project: Path) -> None:
    """The services' row path (its constructor compiled from the Read DTO's fields, its
    columns named otherwise in the table) gives the pages the repository's objects give."""
    from decimal import Decimal

    from sqlalchemy.orm import Session as OrmSession
    from sublimate_runtime import create_engine

    db = importlib.import_module("hostile.db")
    models = importlib.import_module("hostile.models")
    engine = create_engine()
    models.Base.metadata.create_all(engine)
    with OrmSession(engine) as session:
        session.add_all(
            models.Select(cursor=i, session=i % 2, str=f"s{i}", UNSET=Decimal(i), limit=i)
            for i in range(5)
        )
        session.flush()
        service = db.SelectService(session)
        orm = type("Orm", (db.SelectService,), {"_rows": None})(session)
        assert service._rows is not None and service._rows.plan is not None
        assert service.list(order_by="-str") == orm.list(order_by="-str")
        first = service.list_after(None, 2, order_by="limit")
        assert first == orm.list_after(None, 2, order_by="limit")
        assert service.list_after(first.next_cursor, 2, order_by="limit") == orm.list_after(
            first.next_cursor, 2, order_by="limit"
        )
        assert [item.str for item in service.list().items] == [f"s{i}" for i in range(5)]
