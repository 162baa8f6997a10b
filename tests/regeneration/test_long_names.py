"""Long table names give short file names (issue 13, point 2).

A legal 63-byte PostgreSQL table name of 21 Hangul syllables folds to a 315-character stem: the
files it named could not be created (`File name too long`, exit 3), the staged files were left
behind because their cleanup raised the same error, and every later run crashed too.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from sublimate import naming
from sublimate.cli import app
from sublimate.outputs import OutputFile
from sublimate.write import TMP_SUFFIX, WriteError, apply, leftovers, plan

HANGUL = "한" * 21  # 63 bytes in UTF-8: PostgreSQL's limit (NAMEDATALEN - 1)
NAME_MAX = 255  # bytes, per file name, on every common file system


def _project(root: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text('[tool.sublimate]\nformatter = "ruff"\n')
    return root


def _create_table(url: sa.URL, schema: str | None = None) -> None:
    engine = sa.create_engine(url)
    try:
        metadata = sa.MetaData(schema=schema)
        sa.Table(
            HANGUL,
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("이름", sa.String(40)),
        )
        metadata.create_all(engine)
    finally:
        engine.dispose()


def _assert_generated(project: Path) -> None:
    out = project / "app" / "db"
    names = [p.name for p in out.rglob("*")]
    assert max(len(name.encode()) for name in names) <= 80, max(names, key=len)
    assert not leftovers(out)
    stems = {p.stem for p in (out / "dtos").glob("*.py") if p.stem != "__init__"}
    assert len(stems) == 1
    (stem,) = stems
    assert len(stem) <= naming.MODULE_STEM_LIMIT
    assert (out / "repositories" / f"{stem}.py").is_file()
    assert (out / "models" / f"{stem}.py").is_file()
    sys.path.insert(0, str(project))
    try:
        db = importlib.import_module("app.db")
        models = importlib.import_module("app.db.models")
        classes = [getattr(models, n) for n in models.__all__ if n not in ("Base", "ViewBase")]
        assert [c.__tablename__ for c in classes] == [HANGUL]
        assert any(name.endswith("Repository") for name in db.__all__)
    finally:
        sys.path.remove(str(project))
        for name in [n for n in sys.modules if n == "app" or n.startswith("app.")]:
            del sys.modules[name]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_hangul_table_name_generates_and_regenerates(
    backend: str, scratch_database: Any, tmp_path: Path
) -> None:
    database = scratch_database(backend, schema=backend == "postgresql")
    _create_table(database.url, database.schema)
    url = database.url.render_as_string(hide_password=False)
    project = _project(tmp_path / "project")
    extra = ["--schema", database.schema] if database.schema else []
    for run in range(2):  # the second run finds the tree up to date, and must not crash either
        result = CliRunner().invoke(
            app,
            ["generate", "--url", url, "--out", "app/db", *extra, "--project", str(project)],
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.stderr
        if run:
            assert ": 0 written" in result.stderr
    _assert_generated(project)


def test_module_stem_cap_is_deterministic_unique_and_short() -> None:
    long_a = naming.snake(naming.class_name(HANGUL))
    long_b = naming.snake(naming.class_name("한" * 20 + "글"))
    assert len(long_a) > 255  # what used to become a file name
    stem_a, stem_b = naming.module_stem(long_a), naming.module_stem(long_b)
    assert stem_a == naming.module_stem(long_a)  # stable from run to run
    assert stem_a != stem_b and stem_a[:40] == stem_b[:40]  # same prefix, kept apart by the hash
    for stem in (stem_a, stem_b):
        assert len(stem.encode("utf-8")) <= naming.MODULE_STEM_LIMIT
        assert stem.isidentifier()
    assert naming.module_stem("customer") == "customer"
    assert naming.module_stem("x" * naming.MODULE_STEM_LIMIT) == "x" * naming.MODULE_STEM_LIMIT


def test_capped_stems_stay_unique_in_their_scope() -> None:
    modules, classes = naming.Scope(), naming.Scope()
    stems = set()
    for name in [naming.class_name(HANGUL)] * 3 + [naming.class_name("한" * 20 + "글")]:
        names = naming.entity_names(name, modules=modules, classes=classes)
        stems.add(names.module)
        assert len(names.module.encode()) <= naming.MODULE_STEM_LIMIT + 2
    assert len(stems) == 4


def test_cleanup_after_a_failed_staging_never_raises(tmp_path: Path) -> None:
    """A file name the file system refuses: a one-line WriteError, no staged file left behind,
    and the next run (with a name it accepts) works."""
    out = tmp_path / "db"
    good = OutputFile(path="__init__.py", content="x = 1\n", source="test")
    bad = OutputFile(path="dtos/" + "a" * 300 + ".py", content="y = 2\n", source="test")
    failing = plan([good, bad], out, fingerprint={}, schema={}, old=None)
    with pytest.raises(WriteError, match="cannot write"):
        apply(failing, out, force=False)
    assert not [p for p in out.rglob("*") if p.name.endswith(TMP_SUFFIX)]
    fixed = plan([good], out, fingerprint={}, schema={}, old=None)
    apply(fixed, out, force=False)
    assert (out / "__init__.py").read_text() == "x = 1\n"
    assert not leftovers(out)
