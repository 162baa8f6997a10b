"""Bad input: one clear line on stderr, exit code 2, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import copy_example, run_cli


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if "__pycache__" not in p.parts}


def _assert_one_line_error(stderr: str, *fragments: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0], stderr


def test_module_not_found(tmp_path: Path) -> None:
    before = _files(tmp_path)
    result = run_cli("generate", "--models", "nowhere.models", "--out", "db", cwd=tmp_path)
    assert result.returncode == 2
    _assert_one_line_error(result.stderr, "nowhere.models")
    assert _files(tmp_path) == before


def test_module_without_models(tmp_path: Path) -> None:
    (tmp_path / "empty_mod.py").write_text("X = 1\n")
    before = _files(tmp_path)
    result = run_cli("generate", "--models", "empty_mod", "--out", "db", cwd=tmp_path)
    assert result.returncode == 2
    _assert_one_line_error(result.stderr, "empty_mod")
    assert _files(tmp_path) == before


def test_attribute_not_found(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "p")
    result = run_cli("generate", "--models", "shop.models:Nope", cwd=project)
    assert result.returncode == 2
    _assert_one_line_error(result.stderr, "Nope")
    assert not (project / "shop" / "db").exists()


def test_output_path_not_writable(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "p")
    (project / "blocker").write_text("a file where a directory should be\n")
    before = _files(project)
    result = run_cli("generate", "--out", "blocker/db", cwd=project)
    assert result.returncode == 2
    _assert_one_line_error(result.stderr, "blocker")
    assert _files(project) == before


@pytest.mark.parametrize("target", ["/proc/sublimate-out", "/sys/sublimate-out"])
def test_output_on_a_read_only_filesystem(tmp_path: Path, target: str) -> None:
    project = copy_example(tmp_path / "p")
    result = run_cli("generate", "--out", target, cwd=project)
    assert result.returncode == 2
    _assert_one_line_error(result.stderr, target)


def test_nothing_to_read(tmp_path: Path) -> None:
    result = run_cli("generate", "--out", "db", cwd=tmp_path)
    assert result.returncode == 2
    _assert_one_line_error(result.stderr, "--models")


def test_unknown_config_key_lists_the_valid_ones(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.sublimate]\nmodel = "shop.models"\n')
    result = run_cli("generate", cwd=tmp_path)
    assert result.returncode == 2
    _assert_one_line_error(result.stderr, "'model'", "models", "out")


def test_inspect_prints_the_ir_as_json(tmp_path: Path) -> None:
    import json

    project = copy_example(tmp_path / "p")
    result = run_cli("inspect", cwd=project)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    names = [entity["name"] for entity in data["entities"]]
    assert "Customer" in names
    customer = next(e for e in data["entities"] if e["name"] == "Customer")
    email = next(c for c in customer["columns"] if c["attr"] == "email")
    assert email["max_length"] == 320
    assert not (project / "shop" / "db").exists()


def test_attribute_that_is_not_an_identifier_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "odd.py").write_text(
        "import sqlalchemy as sa\n"
        "from sqlalchemy.orm import DeclarativeBase\n\n\n"
        "class Base(DeclarativeBase):\n"
        "    pass\n\n\n"
        "class Odd(Base):\n"
        '    __table__ = sa.Table("odd", Base.metadata,'
        ' sa.Column("id", sa.Integer, primary_key=True), sa.Column("1st value", sa.Integer))\n'
    )
    before = _files(tmp_path)
    result = run_cli("generate", "--models", "odd", "--out", "db", cwd=tmp_path)
    assert result.returncode == 2
    _assert_one_line_error(result.stderr, "Odd", "'1st value'", "key=")
    assert _files(tmp_path) - before <= {"__pycache__"}
