"""The generated example passes `mypy --strict` and `ruff check` with zero findings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .helpers import EXAMPLE

BIN = Path(sys.executable).parent


def test_mypy_strict_finds_nothing_in_the_example() -> None:
    result = subprocess.run(
        [str(BIN / "mypy"), "--strict", "shop", "demo.py"],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_finds_nothing_in_the_example() -> None:
    result = subprocess.run(
        [str(BIN / "ruff"), "check", "--no-cache", "."],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
