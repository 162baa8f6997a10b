"""The golden cases: one project per configuration in `tests/golden/<case>/`, output committed.

Shared by the test (tests/golden/test_golden_cases.py: regenerate into a temp dir, compare byte for
byte, lint) and by `make golden` (`python tests/golden/cases.py`: regenerate the same way and put
the result in place of the committed output). Both generate in a scratch copy of the case through
the real `sublimate` console script, so the committed output is exactly what a user gets, and
nothing of the machine (the temp dir's name, the user cache) can reach it.

Kept free of package-relative imports so that `make golden` can run it as a plain script.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUBLIMATE = Path(sys.executable).with_name("sublimate")

# Never copied into the scratch project, never compared: caches, and the SQLite file a case builds.
IGNORED = ("__pycache__", ".mypy_cache", ".ruff_cache", "*.db")


@dataclass(frozen=True)
class Case:
    """One configuration: its folder and where its generated package sits inside it."""

    name: str
    root: Path
    out: str
    extend: tuple[str, ...] = ()  # models given a user module (`sublimate extend`), from
    # [tool.golden] extend = [...] in the case's pyproject.toml; none: a plain `generate`

    @property
    def output(self) -> Path:
        """The committed generated package (`<case>/<out>`)."""
        return self.root / self.out


def load(root: Path) -> Case:
    """The case in `root`, read from its pyproject.toml (`out` says where the output goes)."""
    tools = tomllib.loads((root / "pyproject.toml").read_text())["tool"]
    extend = tuple(str(name) for name in tools.get("golden", {}).get("extend", ()))
    return Case(name=root.name, root=root, out=str(tools["sublimate"]["out"]), extend=extend)


def all_cases() -> list[Case]:
    """Every folder of tests/golden/ that holds a project (a pyproject.toml), sorted by name."""
    return [load(p.parent) for p in sorted(HERE.glob("*/pyproject.toml"))]


def generate(case: Case, scratch: Path) -> Path:
    """Copy the case's inputs (not its committed output) to `scratch` and generate there.

    Returns the scratch project's root. A case with a `schema.sql` is a live SQLite database: the
    script is run into `lite.db` first, which the case's `url = "sqlite:///lite.db"` reads
    (relative, so that no absolute path of this machine reaches the output).
    """
    shutil.copytree(case.root, scratch, ignore=shutil.ignore_patterns(*IGNORED))
    shutil.rmtree(scratch / case.out, ignore_errors=True)
    schema = scratch / "schema.sql"
    if schema.exists():
        with sqlite3.connect(scratch / "lite.db") as connection:
            connection.executescript(schema.read_text())
        connection.close()
    # No user cache: a stale IR or template cache of this machine must not decide the output.
    env = {**os.environ, "SUBLIMATE_NO_CACHE": "1"}
    result = subprocess.run(
        [str(SUBLIMATE), "extend", *case.extend] if case.extend else [str(SUBLIMATE), "generate"],
        cwd=scratch,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    if result.returncode != 0:
        raise RuntimeError(f"sublimate generate failed in case {case.name}:\n{result.stderr}")
    return scratch


def tree(root: Path) -> dict[str, bytes]:
    """Every file below root, by relative POSIX path (caches and SQLite files excluded)."""
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".db"
    }


def rewrite(case: Case, scratch: Path) -> None:
    """Regenerate the case and replace its committed output with the result (`make golden`)."""
    project = generate(case, scratch)
    shutil.rmtree(case.output, ignore_errors=True)
    shutil.copytree(project / case.out, case.output, ignore=shutil.ignore_patterns(*IGNORED))


def main() -> None:
    """`make golden`: rewrite every case's committed output on purpose."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for case in all_cases():
            rewrite(case, Path(tmp) / case.name)
            print(f"golden: {case.name} -> {case.output.relative_to(HERE.parents[1])}")


if __name__ == "__main__":
    main()
