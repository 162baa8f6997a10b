"""A second model set, generated once per session into a temp project with the production options.

`prod.models` holds two models:

- `Account`: cached (`cache`), soft-deleted (`soft_delete`), and versioned by SQLAlchemy's own
  `version_id_col` (detected, no configuration);
- `Note`: not cached, versioned through `version_columns = { Note = "revision" }` (a plain column).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from generator.helpers import run_cli

MODELS = '''\
"""Models with production options: see tests/production/conftest.py."""

from __future__ import annotations

import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(nullable=False)
    deleted_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": version}


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    revision: Mapped[int] = mapped_column(default=1, server_default="1")
'''

PYPROJECT = """\
[project]
name = "prod"
version = "0"

[tool.sublimate]
models = "prod.models"
out = "prod/db"
cache = ["Account"]
soft_delete = ["Account"]
version_columns = { Note = "revision" }
"""


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The generated project's root, on sys.path while the tests run."""
    root = tmp_path_factory.mktemp("production")
    (root / "prod").mkdir()
    (root / "prod" / "__init__.py").write_text("")
    (root / "prod" / "models.py").write_text(MODELS)
    (root / "pyproject.toml").write_text(PYPROJECT)
    result = run_cli("generate", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(root))
    try:
        yield root
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == "prod" or m.startswith("prod.")]:
            del sys.modules[name]


@pytest.fixture(scope="session")
def prod(project: Path) -> Any:
    """The generated package `prod.db` (with `prod.models` as `prod.models`)."""
    import importlib

    importlib.import_module("prod.models")
    return importlib.import_module("prod.db")
