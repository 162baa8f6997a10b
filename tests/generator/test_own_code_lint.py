"""Our own code meets the bar we set for generated code: `mypy --strict` and `ruff check`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .helpers import ROOT

BIN = Path(sys.executable).parent


def test_mypy_strict_on_the_generator_and_the_runtime() -> None:
    result = subprocess.run(
        [str(BIN / "mypy"), "--strict", "sublimate", "runtime/sublimate_runtime"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_on_the_generator_the_runtime_and_the_tests() -> None:
    result = subprocess.run(
        [str(BIN / "ruff"), "check", "--no-cache", "sublimate", "runtime", "tests", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
