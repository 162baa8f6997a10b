"""Helpers of the factory tests: a scratch project generated with `factories = true`, imported.

`generate` runs the real `sublimate generate` in this process (as tests/introspect_db does);
`imported` imports the generated package from the project and forgets it afterwards, so that
each project's models (and the factories' per-model sequence counters) start afresh.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa

from tests.introspect_db.support import PYPROJECT, forget, run

EXAMPLE = Path(__file__).resolve().parents[2] / "generated_example"


def factories_project(root: Path, *, formatter: str = "ruff") -> Path:
    """A scratch project (`app`, output `app/db`) whose configuration asks for factories."""
    (root / "app").mkdir(parents=True, exist_ok=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text(
        PYPROJECT.format(formatter=formatter, options="factories = true\n")
    )
    return root


def example_project(root: Path) -> Path:
    """The example's models (`shop.models`), output in `shop/db`, with factories."""
    ignore = shutil.ignore_patterns("__pycache__", ".mypy_cache", ".ruff_cache", "*.db", "db")
    shutil.copytree(EXAMPLE, root, ignore=ignore)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text().replace('out = "shop/db"\n', 'out = "shop/db"\nfactories = true\n')
    pyproject.write_text(text)
    result = run("generate", project=root)
    assert result.code == 0, result.stderr
    return root


def generate_from(url: str | sa.URL, project: Path) -> None:
    text = url.render_as_string(hide_password=False) if isinstance(url, sa.URL) else url
    result = run("generate", "--url", text, project=project)
    assert result.code == 0, result.stderr


@contextmanager
def imported(project: Path, package: str) -> Iterator[ModuleType]:
    """`<package>.factories` imported from `project` (with its models); forgotten after, and
    the modules of that name loaded before (the committed example's `shop`, which other tests
    imported at collection) put back: msgspec resolves a DTO's annotations on first use in
    ``sys.modules[cls.__module__]``, so a test that left them missing breaks later tests."""
    top = package.split(".")[0]
    before = {n: m for n, m in sys.modules.items() if n == top or n.startswith(f"{top}.")}
    forget(top)
    sys.path.insert(0, str(project))
    importlib.invalidate_caches()
    try:
        factories = importlib.import_module(f"{package}.factories")
        sa.orm.configure_mappers()
        yield factories
    finally:
        sys.path.remove(str(project))
        forget(top)
        sys.modules.update(before)


def factory_classes(factories: ModuleType, flavour: str = "") -> dict[str, Any]:
    """Model class name -> its factory class (`flavour` "Async" for the asyncio ones)."""
    found = {}
    for name in factories.__all__:
        cls = getattr(factories, name)
        if name.startswith("Async") == (flavour == "Async"):
            found[cls._model.__name__] = cls
    return found
