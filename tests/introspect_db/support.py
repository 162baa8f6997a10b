"""Helpers for the live-database tests: generate in-process, import the output, check it.

`generate()` runs the real `sublimate generate` command in this process (Typer's runner), so
the fuzz stays fast; `imported()` imports the generated package from a scratch project and
forgets it afterwards; `lint()` runs mypy --strict and ruff on a project (slow: once per case).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from sublimate_runtime import ReadRepository
from typer.testing import CliRunner

from sublimate.cli import app

BIN = Path(sys.executable).parent
PACKAGE = "app.db"
OUT = "app/db"

# The generated project's own configuration, as a user's project would have it (same as
# generated_example's): ruff sees `app` as first-party, mypy is strict.
PYPROJECT = """\
[tool.sublimate]
out = "app/db"
formatter = "{formatter}"
{options}
[tool.ruff]
line-length = 100
target-version = "py311"
src = ["."]

[tool.ruff.lint]
select = ["E", "F", "I", "UP", "B", "SIM", "RUF"]

[tool.mypy]
strict = true
python_version = "3.11"
"""


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str


# Every output kind a generated name can meet another in (the name tests turn them all on).
EVERY_OUTPUT = "factories = true\nlitestar = true\nfastapi = true\ncache = true\n"


def make_project(root: Path, *, formatter: str = "black", options: str = "") -> Path:
    """A scratch project directory with a pyproject.toml and the `app` package; `options` are
    more lines of its [tool.sublimate] table (`EVERY_OUTPUT`)."""
    (root / "app").mkdir(parents=True, exist_ok=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text(PYPROJECT.format(formatter=formatter, options=options))
    return root


def run(*args: str, project: Path) -> Result:
    """`sublimate <args> --project <project>`, in this process."""
    result = CliRunner().invoke(app, [*args, "--project", str(project)], catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


def generate(url: str | sa.URL, project: Path, *extra: str) -> Result:
    text = url.render_as_string(hide_password=False) if isinstance(url, sa.URL) else url
    result = run("generate", "--url", text, *extra, project=project)
    assert result.code == 0, result.stderr
    return result


def files(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if "__pycache__" not in p.parts and ".mypy_cache" not in p.parts
    }


def forget(prefix: str = "app") -> None:
    for name in [n for n in sys.modules if n == prefix or n.startswith(f"{prefix}.")]:
        del sys.modules[name]


@contextmanager
def imported(project: Path, package: str = PACKAGE) -> Iterator[ModuleType]:
    """The generated package, imported from `project`; forgotten (and off sys.path) after."""
    forget(package.split(".")[0])
    sys.path.insert(0, str(project))
    importlib.invalidate_caches()
    try:
        module = importlib.import_module(package)
        importlib.import_module(f"{package}.models")
        sa.orm.configure_mappers()
        yield module
    finally:
        sys.path.remove(str(project))
        forget(package.split(".")[0])


def mypy_clean(project: Path, cache_dir: Path) -> None:
    """mypy --strict on the generated package finds nothing."""
    env = {**os.environ, "MYPY_CACHE_DIR": str(cache_dir)}
    mypy = subprocess.run(
        [str(BIN / "mypy"), "--strict", "app"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def ruff_clean(project: Path, *ignores: str) -> None:
    """ruff check (the project's rules) on the generated package finds nothing.

    `ignores` are `--extend-per-file-ignores` entries, e.g. "app/db/services/*:E501".
    """
    command = [str(BIN / "ruff"), "check", "--no-cache", "app"]
    command += [f"--extend-per-file-ignores={ignore}" for ignore in ignores]
    ruff = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=300)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr


def lint(project: Path, cache_dir: Path) -> None:
    """mypy --strict and ruff check on the generated package: both must find nothing."""
    mypy_clean(project, cache_dir)
    ruff_clean(project)


def entity_classes(db: ModuleType) -> dict[str, Any]:
    """Model class name -> class, from the generated models package."""
    models = sys.modules[f"{db.__name__}.models"]
    return {
        name: getattr(models, name) for name in models.__all__ if name not in ("Base", "ViewBase")
    }


def repository_for(db: ModuleType, model: type) -> Any:
    """The generated sync repository class of a model (by the repository's `model` attribute)."""
    for name in db.__all__:
        value = getattr(db, name)
        if (
            isinstance(value, type)
            and issubclass(value, ReadRepository)  # sync: the model may be named `Async`
            and getattr(value, "model", None) is model
        ):
            return value
    raise LookupError(model)
