"""The models' IR is reused between runs while their files are unchanged (introspect/ir_cache.py).

The example's models module is made to log each import into a file beside it: a run that takes
the IR from the cache does not import the models, so it logs nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from ._support import MODELS, SUBLIMATE, edit, out

LOG_LINE = (
    '\n\n(__import__("pathlib").Path(__file__).with_name("imports.log").open("a").write("x\\n"))\n'
)


def _sublimate(project: Path, cache: Path, *args: str, **env: str) -> str:
    result = subprocess.run(
        [str(SUBLIMATE), *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "XDG_CACHE_HOME": str(cache), **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stderr + result.stdout


def _imports(project: Path) -> int:
    log = project / "shop" / "imports.log"
    return log.read_text().count("x") if log.exists() else 0


@pytest.fixture
def logged(project: Path) -> Path:
    with (project / MODELS).open("a", encoding="utf-8") as models:
        models.write(LOG_LINE)
    return project


def test_unchanged_models_are_not_imported_again(logged: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _sublimate(logged, cache, "generate")
    assert _imports(logged) == 1
    assert list((cache / "sublimate" / "ir").glob("*.json"))
    before = (out(logged) / "repositories" / "customer.py").read_bytes()

    _sublimate(logged, cache, "generate")
    assert "up to date" in _sublimate(logged, cache, "check")
    assert _imports(logged) == 1, "the IR came from the cache: the models were not imported"
    assert (out(logged) / "repositories" / "customer.py").read_bytes() == before


def test_a_changed_model_file_is_imported_and_its_change_generated(
    logged: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    _sublimate(logged, cache, "generate")
    edit(logged / MODELS, "sa.String(320)", "sa.String(400)")
    _sublimate(logged, cache, "generate")
    assert _imports(logged) == 2
    assert "max_length=400" in (out(logged) / "dtos" / "customer.py").read_text()
    assert "up to date" in _sublimate(logged, cache, "check")
    assert _imports(logged) == 2


def test_a_change_in_a_module_the_models_import_is_seen(logged: Path, tmp_path: Path) -> None:
    """Not only the models module: any project file its import loaded is part of the key."""
    cache = tmp_path / "cache"
    (logged / "shop" / "lengths.py").write_text("EMAIL = 320\n", encoding="utf-8")
    edit(logged / MODELS, "sa.String(320)", "sa.String(__import__('shop.lengths').lengths.EMAIL)")
    _sublimate(logged, cache, "generate")
    (logged / "shop" / "lengths.py").write_text("EMAIL = 500\n", encoding="utf-8")
    _sublimate(logged, cache, "generate")
    assert _imports(logged) == 2
    assert "max_length=500" in (out(logged) / "dtos" / "customer.py").read_text()


def test_force_and_no_cache_import_the_models(logged: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _sublimate(logged, cache, "generate")
    _sublimate(logged, cache, "generate", "--force")
    assert _imports(logged) == 2
    elsewhere = tmp_path / "other-cache"
    _sublimate(logged, elsewhere, "generate", SUBLIMATE_NO_CACHE="1")
    _sublimate(logged, elsewhere, "generate", SUBLIMATE_NO_CACHE="1")
    assert _imports(logged) == 4
    assert not (elsewhere / "sublimate").exists()


def test_a_corrupt_cache_entry_is_rebuilt(logged: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _sublimate(logged, cache, "generate")
    (entry,) = (cache / "sublimate" / "ir").glob("*.json")
    entry.write_bytes(entry.read_bytes()[:100])
    _sublimate(logged, cache, "generate")
    assert _imports(logged) == 2
    _sublimate(logged, cache, "generate")
    assert _imports(logged) == 2


def test_a_cache_hit_does_not_import_sqlalchemy(logged: Path, tmp_path: Path) -> None:
    # The IR is plain data (no SQLAlchemy `quoted_name` in it), so reading it back, rendering
    # and writing need nothing of SQLAlchemy: `check` on unchanged models skips its import.
    cache = tmp_path / "cache"
    _sublimate(logged, cache, "generate")
    (entry,) = (cache / "sublimate" / "ir").glob("*.json")
    assert "entities" in json.loads(entry.read_bytes().split(b"\n", 1)[1])  # plain JSON data
    imported = subprocess.run(
        [str(SUBLIMATE), "check"],
        cwd=logged,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "XDG_CACHE_HOME": str(cache), "PYTHONPROFILEIMPORTTIME": "1"},
    )
    assert imported.returncode == 0, imported.stderr
    assert "up to date" in imported.stdout + imported.stderr
    modules = {line.rsplit("|", 1)[-1].strip() for line in imported.stderr.splitlines()}
    assert "sublimate.cli" in modules
    assert "sqlalchemy" not in modules
    assert "pydantic" not in modules  # typer 0.29 imports it: pinned below (pyproject.toml)
    assert _imports(logged) == 1
