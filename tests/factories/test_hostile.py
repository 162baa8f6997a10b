"""Factories of the hostile models (tests/generator/hostile_project: columns named `str`,
`UNSET`, `datetime`, `list`, models named `Select` and `Session`, relationships that had to be
renamed): generated mypy --strict and ruff clean, and they persist rows on SQLite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sublimate_runtime import create_engine
from sublimate_runtime.factories import rolled_back, savepoints_on_sqlite

from tests.introspect_db.support import BIN, run

from .support import factory_classes, imported

HOSTILE = Path(__file__).resolve().parents[1] / "generator" / "hostile_project"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("factories-hostile") / "project"
    ignore = shutil.ignore_patterns("__pycache__", ".mypy_cache", ".ruff_cache", "db")
    shutil.copytree(HOSTILE, root, ignore=ignore)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(
        text.replace('out = "hostile/db"\n', 'out = "hostile/db"\nfactories = true\n')
    )
    result = run("generate", project=root)
    assert result.code == 0, result.stderr
    return root


def test_hostile_factories_lint_clean(project: Path) -> None:
    for command in (
        [str(BIN / "ruff"), "check", "--no-cache", "hostile"],
        [str(BIN / "mypy"), "--strict", "hostile"],
    ):
        done = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr


def test_hostile_factories_persist_rows(project: Path) -> None:
    with imported(project, "hostile.db") as factories:
        models = sys.modules["hostile.models"]
        engine = savepoints_on_sqlite(create_engine())
        models.Base.metadata.create_all(engine)
        try:
            with rolled_back(engine) as session:
                classes = factory_classes(factories)
                made = {name: len(cls(session).create_many(50)) for name, cls in classes.items()}
        finally:
            engine.dispose()
    assert made == {name: 50 for name in made} and len(made) == 3
