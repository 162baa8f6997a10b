"""`mypy --strict` on the 300-table output, with the machine's speed measured beside it.

    python bench/mypy_output.py                 # 300 tables, 3 interleaved rounds
    python bench/mypy_output.py --runs 5 --baseline /tmp/old/runtime

Issue 14 asks for `mypy --strict` on the 300-table output in at most 20 s, cold. On a shared
2-core machine the same run takes 18 s one minute and 30 s ten minutes later, so each round here
also times a reference workload that does not change: `mypy --strict` of a module that only
imports `sqlalchemy.orm` (typeshed and SQLAlchemy's stubs, the part of every run that is not the
output's). The ratio of the two moves far less than either.

The output is bench/make_big_schema.py's schema generated into an empty project (ruff formats
it: mypy reads the same code either way). Every mypy run starts from an empty cache, as a fresh
clone does. `--baseline DIR` adds a third run per round with ``MYPYPATH=DIR``: another copy of
``sublimate_runtime`` (an older checkout's ``runtime/``), the generated code unchanged, to see
whether a runtime change moves the figure. Not a test: it prints.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from generate import sqlite_database  # bench/ is the script's directory: its sibling

BIN = Path(sys.executable).parent
REFERENCE = "import sqlalchemy.orm\n"


def timed_mypy(target: str, cwd: Path, env: Mapping[str, str] | None = None) -> tuple[float, float]:
    """(wall, user CPU) seconds of one cold `mypy --strict target` in `cwd`."""
    shutil.rmtree(cwd / ".mypy_cache", ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    start = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "mypy"), "--strict", target],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    user = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before
    if done.returncode != 0:
        raise SystemExit(f"mypy --strict {target} failed:\n{done.stdout[-2000:]}")
    return wall, user


def generate(project: Path, tables: int) -> int:
    """The output of a `tables`-table SQLite database in `project`; its module count."""
    url = sqlite_database(project, tables)
    (project / "pyproject.toml").write_text(
        f'[tool.sublimate]\nurl = "{url}"\nout = "app/db"\nformatter = "ruff"\n'
    )
    subprocess.run(
        [str(BIN / "sublimate"), "generate"], cwd=project, check=True, capture_output=True
    )
    (project / "reference.py").write_text(REFERENCE)
    return sum(1 for _ in (project / "app").rglob("*.py"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--tables", type=int, default=300)
    parser.add_argument("--baseline", default="", help="another runtime/ directory (MYPYPATH)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sublimate-mypy-") as scratch:
        project = Path(scratch)
        modules = generate(project, args.tables)
        kinds = {"output": ("app", None), "reference": ("reference.py", None)}
        if args.baseline:
            kinds["output, baseline runtime"] = ("app", {"MYPYPATH": args.baseline})
        times: dict[str, list[tuple[float, float]]] = {kind: [] for kind in kinds}
        for _ in range(args.runs):
            for kind, (target, env) in kinds.items():
                times[kind].append(timed_mypy(target, project, env))
    print(f"mypy --strict, cold cache; {args.tables} tables, {modules} modules; {args.runs} rounds")
    print("| run | wall s (median) | user CPU s (median) | each round's wall s |")
    print("|---|---:|---:|---|")
    for kind, values in times.items():
        walls = [wall for wall, _ in values]
        users = [user for _, user in values]
        rounds = ", ".join(f"{wall:.1f}" for wall in walls)
        print(
            f"| {kind} | {statistics.median(walls):.2f} | {statistics.median(users):.2f} "
            f"| {rounds} |"
        )
    ratios = [o[0] / r[0] for o, r in zip(times["output"], times["reference"], strict=True)]
    print(
        f"output / reference, wall, per round: {', '.join(f'{x:.2f}' for x in ratios)} "
        f"(median {statistics.median(ratios):.2f})"
    )


if __name__ == "__main__":
    main()
