"""What real schemas made ruff find in the generated code (issue 12), and read-only DTOs.

A schema with names that sort differently case-sensitively and -insensitively (`a`: AOrderBy,
ARepository, AsyncARepository, AWhere), numbered tables (`t20`, `t201`, `t2019`: natural order;
a model named `T2019` is a CONSTANT to ruff), a pure association table (every column a key
column: an Update DTO without fields) and a view. The output must pass ruff's default-ish rules
plus PIE with zero findings and `mypy --strict`; the view's DTO module and the package export
no Create/Update DTO.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from .support import forget, generate, imported, make_project, mypy_clean

BIN = Path(sys.executable).parent

SCHEMA = [
    "CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
    "CREATE TABLE t20 (id INTEGER PRIMARY KEY, v TEXT)",
    "CREATE TABLE t201 (id INTEGER PRIMARY KEY, v TEXT)",
    "CREATE TABLE t2019 (id INTEGER PRIMARY KEY, v TEXT)",
    "CREATE TABLE tag (id INTEGER PRIMARY KEY, label TEXT NOT NULL)",
    "CREATE TABLE a_tag (a_id INTEGER NOT NULL REFERENCES a (id),"
    " tag_id INTEGER NOT NULL REFERENCES tag (id), PRIMARY KEY (a_id, tag_id))",
    "CREATE VIEW a_names AS SELECT name FROM a",
]
RULES = "E,F,I,UP,B,SIM,RUF,PIE"


def _schema(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in SCHEMA:
                connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def test_real_schema_output_is_lint_clean(
    scratch_database: object, tmp_path: Path, mypy_cache: Path
) -> None:
    url = scratch_database("sqlite").url.render_as_string()  # type: ignore[operator]
    _schema(url)
    project = make_project(tmp_path / "p")
    forget()
    generate(url, project)
    ruff = subprocess.run(
        [str(BIN / "ruff"), "check", "--no-cache", f"--select={RULES}", "app"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy_clean(project, mypy_cache)

    out = project / "app" / "db"
    view_dtos = (out / "dtos" / "a_name.py").read_text()
    assert "class ANameRead(" in view_dtos and "class ANameFilter(" in view_dtos
    assert "ANameCreate" not in view_dtos and "ANameUpdate" not in view_dtos
    with imported(project) as db:
        assert {"ANameRead", "ANameFilter", "ANameOrder"} <= set(db.__all__)
        assert not {"ANameCreate", "ANameUpdate"} & set(db.__all__)
        assert {"ACreate", "AUpdate", "ATagCreate", "T2019Create"} <= set(db.__all__)
