"""Shared by the typed-SQL tests: a Chinook project with a queries/ directory, generated in
this process, and the comparison of generated results with the same SQL run by hand."""

from __future__ import annotations

import decimal
import importlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import sqlalchemy as sa

from tests.introspect_db.support import Result, imported, make_project, run

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "sampledb" / "chinook"


def chinook_script(backend: str) -> str:
    if backend == "sqlite":
        return (SAMPLES / "Chinook_Sqlite.sql").read_text(encoding="utf-8-sig")
    text = (SAMPLES / "Chinook_PostgreSql.sql").read_text(encoding="utf-8-sig")
    return text.split("\\c chinook;", 1)[1]  # it drops and creates "chinook": not ours


def project_with(root: Path, url: str, queries: Mapping[str, str]) -> Path:
    project = make_project(root, formatter="ruff")
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(
        text.replace("[tool.sublimate]\n", f"[tool.sublimate]\nurl = {url!r}\n", 1)
    )
    (project / "queries").mkdir(exist_ok=True)
    for name, sql in queries.items():
        (project / "queries" / name).write_text(sql)
    return project


def sublimate(project: Path, *args: str) -> Result:
    return run(*args, project=project)


@contextmanager
def query_module(project: Path, name: str) -> Iterator[ModuleType]:
    with imported(project):
        yield importlib.import_module(f"app.db.queries.{name}")


def plain(value: Any) -> Any:
    """A value as the comparison sees it: Decimals as floats (SQLite's REAL sums)."""
    if isinstance(value, decimal.Decimal):
        return round(float(value), 6)
    if isinstance(value, float):
        return round(value, 6)
    return value


def as_rows(structs: list[Any]) -> list[tuple[Any, ...]]:
    return [tuple(plain(v) for v in msgspec.structs.astuple(s)) for s in structs]


def by_hand(engine: sa.Engine, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """The same statement through SQLAlchemy Core, untyped: what a person would run."""
    if engine.dialect.name == "sqlite":  # sqlite3 takes no Decimal: a person passes a float
        params = {k: float(v) if isinstance(v, decimal.Decimal) else v for k, v in params.items()}
    with engine.connect() as connection:
        rows = connection.execute(sa.text(sql), dict(params)).all()
    return [tuple(plain(v) for v in row) for row in rows]


def load_chinook(url: sa.URL) -> None:
    """Chinook into the (empty) server database at `url`: PostgreSQL or MariaDB."""
    backend = url.get_backend_name()
    connect_args: dict[str, Any] = {}
    if backend == "postgresql":
        script = chinook_script("postgresql")
    else:
        from pymysql.constants import CLIENT  # type: ignore[import-untyped]

        script = (SAMPLES / "Chinook_MySql.sql").read_text(encoding="utf-8-sig")
        script = script.split("USE `Chinook`;", 1)[1]
        connect_args = {"client_flag": CLIENT.MULTI_STATEMENTS}
    engine = sa.create_engine(url, connect_args=connect_args)
    raw: Any = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(script)
        while backend != "postgresql" and cursor.nextset():
            pass
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
