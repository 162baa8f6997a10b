"""The output package must be importable by name from the project (issue 13, point 4).

`--out ../x` with `--url` wrote an env.py with `from ...x.models import Base`, which cannot
import; `--out my-db` would have written `from my-db.models import Base`, a syntax error. Both
are refused with one line (exit 2) before anything is read or written; an output that is a
symbolic link inside the project is imported through the link, so it is accepted.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sublimate.cli import app


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.sublimate]\nformatter = "ruff"\n')
    connection = sqlite3.connect(tmp_path / "app.sqlite3")
    connection.executescript("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);")
    connection.close()
    return root


def _generate(project: Path, out: str) -> tuple[int, str]:
    url = f"sqlite:///{project.parent / 'app.sqlite3'}"
    result = CliRunner().invoke(
        app, ["generate", "--url", url, "--out", out, "--project", str(project)]
    )
    return result.exit_code, result.stderr


def _tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


@pytest.mark.parametrize("out", ["../x", "../project2/db", "db/../../x"])
def test_out_outside_the_project_is_refused(project: Path, out: str) -> None:
    before = _tree(project.parent)
    code, stderr = _generate(project, out)
    assert code == 2, stderr
    (line,) = stderr.strip().splitlines()
    assert line.startswith("error: out ") and repr(out) in line
    assert "outside the project directory" in line
    assert _tree(project.parent) == before


@pytest.mark.parametrize("out", ["my-db", "app/class", "app/2db"])
def test_out_that_is_no_package_name_is_refused_with_a_database(project: Path, out: str) -> None:
    code, stderr = _generate(project, out)
    assert code == 2, stderr
    (line,) = stderr.strip().splitlines()
    assert "is not a Python identifier" in line and repr(out) in line
    assert not (project / out).exists()


def _env_import(project: Path, out: str) -> str:
    env = (project / out / "migrations" / "env.py").read_text()
    (line,) = [x for x in env.splitlines() if x.endswith(" import Base")]
    return line


def test_folded_and_linked_outs_are_imported_by_their_name(project: Path) -> None:
    code, stderr = _generate(project, "pkg/../appdb")
    assert code == 0, stderr
    assert _env_import(project, "appdb") == "from appdb.models import Base"
    elsewhere = project.parent / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, project / "linked")
    code, stderr = _generate(project, "linked")
    assert code == 0, stderr
    assert _env_import(project, "linked") == "from linked.models import Base"
    assert (elsewhere / "models" / "__init__.py").is_file()
