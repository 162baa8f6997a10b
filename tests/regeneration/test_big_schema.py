"""The regeneration loop on a big schema (make_big_schema.py's SQLite file), read as declarative
models and through `--url`: one column changed re-renders one model and formats only what
changed; `check` names the column.

The schema has 40 tables by default (seed 360: the awkward cases of the 300-table one, composite
keys, tables without a key, association tables, odd names, among them): what is counted (renders,
formats, reuses of the models that did not change) is the same proof at any size, and the 300
tables add some 12 s here (building them, the cold runs, `--force`). `SUBLIMATE_BIG=1` runs the
benchmark's 300 tables (its seed).

Formatted with ruff so that the cold run fits in a test (black takes about a minute on 300 tables
here: see `bench/regenerate.py`); what is counted does not depend on it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ._support import ROOT, run, stats, tree, written


def _big_schema() -> ModuleType:
    spec = importlib.util.spec_from_file_location("big_schema", ROOT / "bench" / "big_schema.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["big_schema"] = module
    spec.loader.exec_module(module)
    return module


big_schema = _big_schema()
# make_big_schema.py's (tables, seed), and the fewest of its tables the models hold (not the
# tables without a primary key).
TABLES, SEED, MAPPED = (
    (300, 20240601, 290) if os.environ.get("SUBLIMATE_BIG") == "1" else (40, 360, 38)
)


def _build_sqlite(target: Path) -> Path:
    """make_big_schema.py's TABLES tables (seed SEED) in a SQLite file."""
    command = [sys.executable, str(big_schema.MAKE_BIG_SCHEMA), "-n", str(TABLES)]
    command += ["--seed", str(SEED), "-o", str(target)]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    return target


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not big_schema.MAKE_BIG_SCHEMA.is_file():
        pytest.fail(f"{big_schema.MAKE_BIG_SCHEMA} is missing (set SUBLIMATE_BIG_SCHEMA)")
    project = tmp_path_factory.mktemp("big")
    database = _build_sqlite(project / "big.db")
    big_schema.write_models(database, project / "bigmodels.py")
    (project / "pyproject.toml").write_text(
        '[tool.sublimate]\nmodels = "bigmodels"\nout = "db"\nformatter = "ruff"\n'
    )
    cold = run("generate", cwd=project)
    assert cold.returncode == 0, cold.stderr
    return project


def _manifest(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project / "db" / ".sublimate.json").read_text())
    return data


@pytest.mark.slow
def test_big_schema_one_column_changed(big: Path) -> None:
    manifest = _manifest(big)
    schema = manifest["schema"]
    files = manifest["files"]
    assert isinstance(schema, dict) and isinstance(files, dict)
    assert len(schema) >= MAPPED, "the big schema's mapped tables"
    per_model = [path for path, record in files.items() if record.get("entity")]
    package_level = len(files) - len(per_model)

    unchanged = run("generate", cwd=big)
    assert unchanged.returncode == 0, unchanged.stderr
    assert stats(unchanged.stderr) == (package_level, 0, len(per_model))
    assert "0 written" in unchanged.stderr

    line = big_schema.change_column(big / "bigmodels.py")
    column = re.search(r"sa\.Column\('([^']+)'", line)
    table = re.search(r"sa\.Table\('([^']+)'", _table_of(big, line))
    assert column is not None and table is not None
    before = tree(big / "db")

    checked = run("check", cwd=big)
    assert checked.returncode == 1
    expected = f"  {table.group(1)}.{column.group(1)}: VARCHAR(50) → VARCHAR(80)"
    assert expected in checked.stdout.splitlines(), checked.stdout
    assert "files: 1 to write" in checked.stdout
    assert tree(big / "db") == before

    changed = run("generate", cwd=big)
    assert changed.returncode == 0, changed.stderr
    rendered, formatted, reused = stats(changed.stderr)
    # The table's three files, and the DTO modules of its neighbours (a DTO module reads its
    # neighbours' IR: the Load enum's second level, the Filter's relationship fields), rendered
    # but not formatted (their text is the same); the other models are reused.
    neighbours = rendered - package_level - 3
    assert 0 <= neighbours < 20
    assert reused == len(per_model) - 3 - neighbours
    assert 1 <= formatted == written(changed.stderr) <= 3  # what changed; the DTOs, here
    assert run("check", cwd=big).returncode == 0


@pytest.mark.slow
def test_big_schema_a_hand_edit_is_refused(big: Path) -> None:
    target = sorted((big / "db" / "services").glob("*.py"))[-1]
    original = target.read_text()
    target.write_text(original.replace('"""', '""" edited:', 1))
    try:
        refused = run("generate", cwd=big)
        assert refused.returncode == 1
        assert f"services/{target.name}" in refused.stderr
    finally:
        target.write_text(original)
    assert run("check", cwd=big).returncode == 0


def _table_of(project: Path, line: str) -> str:
    """The `sa.Table(...)` line of the class that declares the column on `line`."""
    text = (project / "bigmodels.py").read_text()
    before = text[: text.index(line)]
    return before[before.rindex("sa.Table(") :].split("\n", 1)[0]


@pytest.mark.slow
def test_big_schema_from_the_database_one_column_added(tmp_path: Path) -> None:
    database = _build_sqlite(tmp_path / "big.db")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.sublimate]\nurl = "sqlite:///big.db"\nout = "db"\nformatter = "ruff"\n'
    )
    assert run("generate", cwd=tmp_path).returncode == 0
    files = _manifest(tmp_path)["files"]
    assert isinstance(files, dict)
    models = [path for path in files if path.startswith("models/") and files[path].get("entity")]
    per_model = [path for path, record in files.items() if record.get("entity")]
    package_level = len(files) - len(per_model)
    assert len(models) >= MAPPED

    entity = next(name for name, model in _manifest(tmp_path)["schema"].items()
                  if model["table"] == "class")  # fmt: skip
    own = [path for path, record in files.items() if record.get("entity") == entity]
    big_schema.add_column(database, "class", "nickname")
    checked = run("check", cwd=tmp_path)
    assert checked.returncode == 1
    assert "  class.nickname: column added (VARCHAR(40), null)" in checked.stdout.splitlines()

    changed = run("generate", cwd=tmp_path)
    assert changed.returncode == 0, changed.stderr
    rendered, formatted, reused = stats(changed.stderr)
    # The table's files change (model, DTOs, repository, service): they are what is rendered,
    # formatted and written. A generated model and a DTO module also read the models their
    # foreign keys and relationships point to: those files of the neighbours of "class" are
    # rendered again (not formatted, their text is the same); the other models are reused
    # without rendering.
    assert formatted == written(changed.stderr) == len(own)
    neighbours = rendered - package_level - len(own)
    assert 0 < neighbours < 2 * 20
    assert reused == len(per_model) - len(own) - neighbours
    assert run("check", cwd=tmp_path).returncode == 0
    # What the cache kept is exactly what a run without it writes.
    forced = run("generate", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert written(forced.stderr) == 0
