"""Helpers for the ecosystem tests: a throwaway project, the CLI in-process, module hygiene."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from sublimate.cli import app


def make_project(root: Path, package: str, models: str, *, extra: str = "") -> Path:
    """`<root>/<package>/models.py` and a pyproject generating into `<package>/db`."""
    (root / package).mkdir(parents=True)
    (root / package / "__init__.py").write_text("")
    (root / package / "models.py").write_text(textwrap.dedent(models).lstrip())
    (root / "pyproject.toml").write_text(
        f'[tool.sublimate]\nmodels = "{package}.models"\nout = "{package}/db"\n{extra}'
    )
    return root


def run(*args: str, project: Path, input: str | None = None) -> Result:
    return CliRunner().invoke(
        app, [*args, "--project", str(project)], input=input, catch_exceptions=False
    )


def forget(prefix: str) -> None:
    for name in [n for n in sys.modules if n == prefix or n.startswith(f"{prefix}.")]:
        del sys.modules[name]


@contextmanager
def on_path(project: Path, package: str) -> Iterator[None]:
    """The project importable for the test; its modules forgotten afterwards."""
    sys.path.insert(0, str(project))
    forget(package)
    try:
        yield
    finally:
        forget(package)
        while str(project) in sys.path:
            sys.path.remove(str(project))


VENV_BIN = Path(sys.executable).parent


def lint(project: Path, cache: Path) -> None:
    """ruff and mypy --strict on a generated project, as its owner would run them."""
    ruff = subprocess.run(
        [VENV_BIN / "ruff", "check", "--no-cache", "."], cwd=project, capture_output=True, text=True
    )
    assert ruff.returncode == 0, ruff.stdout
    mypy = subprocess.run(
        [VENV_BIN / "mypy", "--strict", "--cache-dir", str(cache), "."],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert mypy.returncode == 0, mypy.stdout[-3000:]
