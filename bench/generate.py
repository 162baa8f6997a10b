"""`sublimate generate --url` on a 300-table database, next to sqlacodegen on the same database.

    python bench/generate.py                         # SQLite and PostgreSQL, 5 runs each
    python bench/generate.py --runs 3 --formatters ruff --backends sqlite
    make bench-generate                              # the same, sqlacodegen in .venv-bench

The schema is bench/make_big_schema.py's (300 tables: composite keys, association
tables, tables without a key, views, awkward names), as a SQLite file and, when the server is
reachable, loaded into a PostgreSQL database of its own (dropped afterwards; SUBLIMATE_TEST_PG_URL,
default postgresql+psycopg://postgres@127.0.0.1:5432/test).

Each figure is the median wall time of a fresh process, as a user runs it, into an empty output
directory (a cold generation: every file rendered and formatted), and the peak resident memory of
that process (the largest process: black's workers run beside it). sqlacodegen writes models only
(`--generator declarative`); its figure is printed when `--sqlacodegen PATH` names its console
script (the Makefile target installs it in a venv of its own, .venv-bench). Not a test: it prints.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MAKE_SCHEMA = HERE / "make_big_schema.py"
SUBLIMATE = Path(sys.executable).with_name("sublimate")
PG_URL = os.environ.get(
    "SUBLIMATE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@dataclass(frozen=True)
class Figure:
    seconds: list[float]
    peak_mb: float
    lines: int

    def row(self, label: str) -> str:
        median = statistics.median(self.seconds)
        spread = f"{min(self.seconds):.2f}-{max(self.seconds):.2f}"
        lines = f"{self.lines:>8,}" if self.lines else f"{'':>8}"
        return f"  {label:<34} {median:>8.2f} s  ({spread:>11})  {self.peak_mb:>7.0f} MB {lines}"


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall time and peak RSS (MB) of one process; fails loudly when it fails."""
    with tempfile.TemporaryFile() as output:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=output, stderr=output)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            output.seek(0)
            raise SystemExit(f"{' '.join(command)} failed:\n{output.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def count_lines(root: Path) -> int:
    return sum(p.read_text(encoding="utf-8").count("\n") for p in root.rglob("*.py"))


def run_sublimate(url: str, formatter: str, runs: int, scratch: Path) -> Figure:
    seconds, peak, lines = [], 0.0, 0
    for number in range(runs):
        project = scratch / f"sublimate-{formatter}-{number}"
        project.mkdir()
        (project / "pyproject.toml").write_text(
            f'[tool.sublimate]\nout = "app/db"\nformatter = "{formatter}"\n'
        )
        elapsed, mb = timed([str(SUBLIMATE), "generate", "--url", url], project)
        seconds.append(elapsed)
        peak = max(peak, mb)
        lines = count_lines(project / "app" / "db")
        shutil.rmtree(project)
    return Figure(seconds, peak, lines)


def run_sqlacodegen(binary: str, url: str, runs: int, scratch: Path) -> Figure:
    seconds, peak, lines = [], 0.0, 0
    for number in range(runs):
        out = scratch / f"sqlacodegen-{number}.py"
        command = [binary, "--generator", "declarative", "--outfile", str(out), url]
        elapsed, mb = timed(command, scratch)
        seconds.append(elapsed)
        peak = max(peak, mb)
        lines = out.read_text(encoding="utf-8").count("\n")
        out.unlink()
    return Figure(seconds, peak, lines)


def sqlite_database(scratch: Path, tables: int) -> str:
    path = scratch / "big.db"
    subprocess.run(
        [sys.executable, str(MAKE_SCHEMA), "-n", str(tables), "-o", str(path)],
        check=True,
        capture_output=True,
    )
    return f"sqlite:///{path}"


def postgresql_database(scratch: Path, tables: int) -> tuple[str, str] | None:
    """(URL of a fresh database holding the schema, its name), or None without a server."""
    import sqlalchemy as sa

    ddl = scratch / "big.sql"
    subprocess.run(
        [sys.executable, str(MAKE_SCHEMA), "-n", str(tables), "--dialect", "postgresql",
         "--sql-out", str(ddl)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"sublimate_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f"CREATE DATABASE {name}"))
    except sa.exc.OperationalError as error:
        print(f"PostgreSQL skipped: {' '.join(str(error.orig).split())[:200]}")
        return None
    finally:
        admin.dispose()
    url = sa.make_url(PG_URL).set(database=name)
    engine = sa.create_engine(url)
    raw = engine.raw_connection()
    try:
        raw.cursor().execute(ddl.read_text(encoding="utf-8"))
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return url.render_as_string(hide_password=False), name


def drop_postgresql(name: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tables", type=int, default=300)
    parser.add_argument("--formatters", default="black,ruff")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--sqlacodegen", default="", help="sqlacodegen's console script")
    args = parser.parse_args()
    formatters = [f for f in args.formatters.split(",") if f]
    print(f"{args.tables} tables, {args.runs} runs each, {os.cpu_count()} CPUs; median (min-max)")
    print(f"  {'':<34} {'median':>10}  {'range':>13}  {'peak RSS':>10} {'lines':>8}")
    with tempfile.TemporaryDirectory(prefix="sublimate-bench-") as directory:
        scratch = Path(directory)
        for backend in args.backends.split(","):
            dropped = None
            if backend == "sqlite":
                url = sqlite_database(scratch, args.tables)
            elif backend == "postgresql":
                made = postgresql_database(scratch, args.tables)
                if made is None:
                    continue
                url, dropped = made
            else:
                raise SystemExit(f"unknown backend {backend!r}")
            print(backend)
            try:
                if args.sqlacodegen:
                    binary = str(Path(args.sqlacodegen).resolve())
                    figure = run_sqlacodegen(binary, url, args.runs, scratch)
                    print(figure.row("sqlacodegen (models only)"))
                for formatter in formatters:
                    figure = run_sublimate(url, formatter, args.runs, scratch)
                    print(figure.row(f"sublimate, formatter={formatter}"))
            finally:
                if dropped is not None:
                    drop_postgresql(dropped)
    return 0


if __name__ == "__main__":
    sys.exit(main())
