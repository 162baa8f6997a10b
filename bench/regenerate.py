"""Cold generation vs regeneration after one column change, on a 300-table schema.

    python bench/regenerate.py                 # models input, black (the default), 5 runs each
    python bench/regenerate.py --formatter ruff --runs 3
    python bench/regenerate.py --source url    # the SQLite file itself, through --url
    python bench/regenerate.py --source postgresql   # the same schema on the PostgreSQL server

The schema is make_big_schema.py's (300 tables). `--source models` (default) reads it as
declarative models written by bench/big_schema.py (the 295 tables with a primary key);
`--source url` reads the SQLite file (and also generates the models); `--source postgresql` a
scratch database on $SUBLIMATE_TEST_PG_URL's server (bench/generate.py), dropped afterwards.
Each figure is the median
wall time of `sublimate generate` as a user runs it (a fresh process):

- cold: no output yet and an empty user cache, everything imported, rendered and formatted;
- unchanged: regenerate with nothing changed (the models' IR comes from the user cache);
- one column: regenerate after one column changed (models: VARCHAR(50) -> VARCHAR(80 + run), a
  new length each run so that the models are imported every time; url and postgresql: a
  column added with ALTER TABLE, as SQLite cannot change a column's type).

For models, also the floor: a process that only imports the changed models and configures
their mappers, as any tool reading them must (the ratio to it is the figure that carries over
to another machine); then one in-process run of the one-column case split into phases.

Python's bytecode cache is on for the subprocesses, as on a user's machine, even if this
environment turns it off (PYTHONDONTWRITEBYTECODE): otherwise sublimate's own modules, not only
the changed models file, would be compiled on every run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import big_schema  # noqa: E402
import generate  # noqa: E402
import sqlalchemy as sa  # noqa: E402

SUBLIMATE = Path(sys.executable).with_name("sublimate")
_USER_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _generate(project: Path, cache: Path) -> tuple[float, str]:
    """One `sublimate generate`, with `cache` as the user cache (compiled templates, models IR)."""
    started = time.perf_counter()
    result = subprocess.run(
        [str(SUBLIMATE), "generate"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={**_USER_ENV, "XDG_CACHE_HOME": str(cache)},
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"sublimate generate failed:\n{result.stderr}")
    return elapsed, result.stderr.strip().splitlines()[-1]


def _add_column(url: str, column: str) -> str:
    """A nullable column added to the `class` table on the server; returns the statement."""
    statement = f'ALTER TABLE "class" ADD COLUMN "{column}" VARCHAR(40)'
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(statement)
    finally:
        engine.dispose()
    return statement


def _bare_import(project: Path) -> float:
    """A fresh process that only imports the models and configures their mappers (with the
    garbage collector off, as sublimate runs: the floor any tool reading them can reach)."""
    code = "import gc; gc.disable(); import bigmodels, sqlalchemy.orm as o; o.configure_mappers()"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=project, check=True, env=_USER_ENV)
    return time.perf_counter() - started


def _median(label: str, times: list[float], summary: str) -> float:
    middle = statistics.median(times)
    spread = ", ".join(f"{t:.2f}" for t in times)
    print(f"{label:<12} median {middle:6.2f} s   (runs: {spread})")
    print(f"{'':<12} {summary}")
    return middle


def _phases(project: Path) -> None:
    """One regeneration after a column change, in-process, timed by phase."""
    code = f"""
import gc, sys, time
gc.disable()  # as the CLI does (cli.main)
sys.path.insert(0, {str(project)!r})
clock = time.perf_counter
t0 = clock()
from pathlib import Path
from sublimate import cli
from sublimate.cache import RenderCache
from sublimate.manifest import MANIFEST, describe_schema, read
from sublimate.produce import produce
from sublimate.settings import load
from sublimate.write import apply, plan
settings = load(Path({str(project)!r}), {{}})
t1 = clock()
import bigmodels
t2 = clock()
schema = cli._schema(settings)
t3 = clock()
cache = RenderCache.for_run(schema, settings.out_dir, read(settings.out_dir / MANIFEST),
                            formatter=settings.formatter, line_length=settings.line_length)
t4 = clock()
files = produce(schema, settings, cache)
t5 = clock()
the_plan = plan(files, settings.out_dir, fingerprint=cache.fingerprint.as_dict(),
                schema=describe_schema(schema, cache.hashes.entities),
                old=read(settings.out_dir / MANIFEST), read=cache.read)
apply(the_plan, settings.out_dir, force=False)
t6 = clock()
rows = (
    ("import sublimate and SQLAlchemy", t1 - t0),
    ("import the models (SQLAlchemy maps them)", t2 - t1),
    ("introspection: models -> IR", t3 - t2),
    ("manifest, IR hashes, fingerprint", t4 - t3),
    ("render, format (through the cache)", t5 - t4),
    ("plan and write", t6 - t5),
)
for label, seconds in rows:
    print(f"  {{label:<42}} {{seconds:6.3f}} s")
print(f"  {{'sublimate after the IR':<42}} {{t6 - t3:6.3f}} s   {{cache.stats}}")
"""
    subprocess.run([sys.executable, "-c", code], cwd=project, check=True, env=_USER_ENV)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tables", type=int, default=300)
    parser.add_argument("--formatter", choices=("black", "ruff"), default="black")
    parser.add_argument("--source", choices=("models", "url", "postgresql"), default="models")
    args = parser.parse_args()

    with contextlib.ExitStack() as cleanup:
        scratch = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="sublimate-bench-"))
        project = Path(scratch) / "project"
        project.mkdir()
        pristine = big_schema.build_sqlite(Path(scratch) / "big.db", args.tables)
        database = Path(shutil.copy(pristine, project / "big.db"))
        models = big_schema.write_models(database, project / "bigmodels.py")
        original = models.read_text()
        source = 'models = "bigmodels"' if args.source == "models" else 'url = "sqlite:///big.db"'
        url = ""
        if args.source == "postgresql":
            made = generate.postgresql_database(Path(scratch), args.tables)
            if made is None:
                raise SystemExit("no PostgreSQL server")
            url, dropped = made
            cleanup.callback(generate.drop_postgresql, dropped)
            source = f"url = {json.dumps(url)}"
        (project / "pyproject.toml").write_text(
            f'[tool.sublimate]\n{source}\nout = "db"\nformatter = "{args.formatter}"\n'
        )
        print(
            f"{args.tables} tables from {args.source}, formatter {args.formatter},"
            f" {os.cpu_count()} CPUs, median of {args.runs} runs of `sublimate generate`"
        )

        warm = Path(scratch) / "cache"  # the user cache of daily use, kept between runs
        cold = []
        for run in range(args.runs):
            shutil.rmtree(project / "db", ignore_errors=True)
            # Cold is a first run: no output and an empty user cache.
            elapsed, summary = _generate(project, Path(scratch) / f"cold-cache-{run}")
            cold.append(elapsed)
        lines = sum(p.read_text().count("\n") for p in (project / "db").rglob("*.py"))
        cold_median = _median("cold", cold, f"{summary}; {lines} lines")
        generated = Path(shutil.copytree(project / "db", Path(scratch) / "generated"))

        unchanged = []
        _generate(project, warm)  # fills the user cache
        for _ in range(args.runs):
            elapsed, summary = _generate(project, warm)
            unchanged.append(elapsed)
        _median("unchanged", unchanged, summary)

        changed = []
        for run in range(args.runs):
            models.write_text(original)
            shutil.copy(pristine, database)
            shutil.rmtree(project / "db")
            shutil.copytree(generated, project / "db")
            if args.source == "models":
                # A new length each run: the models' IR cache must not have seen this file.
                line = big_schema.change_column(models, new=f"VARCHAR(length={80 + run})")
            elif args.source == "postgresql":
                line = _add_column(url, f"nickname_{run}")
            else:
                line = big_schema.add_column(database)
            elapsed, summary = _generate(project, warm)
            changed.append(elapsed)
        one_column = _median("one column", changed, f"{summary}; changed: {line}")
        print(f"one column vs cold: {cold_median / one_column:.0f}x faster")
        if args.source != "models":
            return

        # What any tool that reads the models pays after a change: Python importing them and
        # SQLAlchemy mapping and configuring them, with nothing of sublimate's.
        floor = []
        for run in range(args.runs):
            models.write_text(original)
            big_schema.change_column(models, new=f"VARCHAR(length={200 + run})")
            floor.append(_bare_import(project))
        what = "python -c 'gc.disable(); import bigmodels; configure_mappers()'"
        bare = _median("bare import", floor, what)
        print(f"one column vs bare import: {one_column / bare:.2f}x")

        print("one column, in-process, by phase:")
        models.write_text(original)
        shutil.rmtree(project / "db")
        shutil.copytree(generated, project / "db")
        big_schema.change_column(models, new="VARCHAR(length=79)")
        _phases(project)


if __name__ == "__main__":
    main()
