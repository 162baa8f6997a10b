"""The committed example output is exactly what the generator produces today."""

from __future__ import annotations

import difflib
from pathlib import Path

from .helpers import EXAMPLE, copy_example, run_cli, tree


def _diff(expected: dict[str, bytes], actual: dict[str, bytes]) -> str:
    out: list[str] = []
    for path in sorted(set(expected) | set(actual)):
        old = expected.get(path, b"").decode().splitlines(keepends=True)
        new = actual.get(path, b"").decode().splitlines(keepends=True)
        if old != new:
            out.extend(difflib.unified_diff(old, new, f"committed/{path}", f"generated/{path}"))
    return "".join(out)


def test_regenerating_the_example_matches_the_committed_tree_byte_for_byte(tmp_path: Path) -> None:
    """The example extends one model (Customer), to show a user module next to the others."""
    project = copy_example(tmp_path / "example")
    result = run_cli("extend", "Customer", cwd=project)
    assert result.returncode == 0, result.stderr
    committed = tree(EXAMPLE / "shop" / "db")
    generated = tree(project / "shop" / "db")
    assert committed, "generated_example/shop/db is missing: run `make example`"
    assert generated == committed, "golden record is stale (run `make example`):\n" + _diff(
        committed, generated
    )


def test_two_runs_give_identical_trees(tmp_path: Path) -> None:
    first = copy_example(tmp_path / "a")
    second = copy_example(tmp_path / "b")
    assert run_cli("generate", cwd=first).returncode == 0
    assert run_cli("generate", cwd=second).returncode == 0
    assert tree(first / "shop" / "db") == tree(second / "shop" / "db")


def test_regenerating_in_place_rewrites_nothing(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "example")
    assert run_cli("generate", cwd=project).returncode == 0
    before = {p: p.stat().st_mtime_ns for p in (project / "shop" / "db").rglob("*.py")}
    result = run_cli("generate", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "0 written" in result.stderr
    after = {p: p.stat().st_mtime_ns for p in (project / "shop" / "db").rglob("*.py")}
    assert before == after
