"""Run the real `sublimate` console script, as a user would."""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "generated_example"
SUBLIMATE = Path(sys.executable).with_name("sublimate")


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SUBLIMATE), *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def copy_example(target: Path, *, with_output: bool = False) -> Path:
    """The example's sources (and its committed output, if asked) in a scratch directory."""
    ignore = shutil.ignore_patterns("__pycache__", ".mypy_cache", ".ruff_cache", "*.db")
    shutil.copytree(EXAMPLE, target, ignore=ignore)
    if not with_output:
        shutil.rmtree(target / "shop" / "db", ignore_errors=True)
    return target


def tree(root: Path) -> dict[str, bytes]:
    """Every file below root, by relative POSIX path (caches excluded)."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def same_tree(left: Path, right: Path) -> bool:
    return filecmp.dircmp(left, right).diff_files == [] and tree(left) == tree(right)
