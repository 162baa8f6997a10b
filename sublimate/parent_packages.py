"""The packages between the project and the output package: `app/` of `--out app/db`.

The generated code imports itself absolutely from the project root (Alembic's env.py reads
`app.db.models`), so every directory between the root and the output package is a package.
Without `app/__init__.py`, `mypy --strict app` stops with "Source file found twice under
different module names". `generate` therefore creates each missing `__init__.py` there, empty,
once: from then on it is the user's file, like `custom/`, never rewritten and never removed (it
lies outside the output package, which is all `generate` ever rewrites or deletes).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["create_parent_packages", "missing_parent_packages"]


def missing_parent_packages(root: Path, out: str) -> list[Path]:
    """The `__init__.py` files missing between `root` (excluded) and the output package `out`
    (relative to the root, as configured; excluded), outermost first. The path is taken as
    written (a symbolic link in it is a directory of the project, as the imports see it); none
    when `out` leaves the project."""
    relative = Path(os.path.normpath(out))
    if relative.is_absolute():
        try:
            relative = relative.relative_to(root.resolve())
        except ValueError:
            return []
    if ".." in relative.parts:
        return []
    missing: list[Path] = []
    directory = root
    for part in relative.parts[:-1]:
        directory = directory / part
        init = directory / "__init__.py"
        if not init.exists():
            missing.append(init)
    return missing


def create_parent_packages(root: Path, out: str) -> list[Path]:
    """Create the missing `__init__.py` files (empty), never replacing a file that appeared
    meanwhile; the ones created, for the report."""
    created: list[Path] = []
    for init in missing_parent_packages(root, out):
        init.parent.mkdir(parents=True, exist_ok=True)
        try:
            with init.open("x", encoding="utf-8"):
                pass
        except FileExistsError:
            continue
        created.append(init)
    return created
