"""Typed SQL: a generated query function against the same statement hand-written with
SQLAlchemy Core and msgspec, in the same run (issue 16's bench).

A 3-table join of Chinook (track, album, artist) returning 1,000 rows, encoded as JSON bytes.
The hand-written side is what a careful person writes: the `sa.text` statement built once,
`session.execute`, a msgspec Struct per row, `msgspec.json.encode`. Both run interleaved on one
session, best of 7 rounds of 200 calls each, three times (the median ratio is printed). Then a
`:many_after` page of 50 rows of the same join, after its 1,000th row, against a hand-written
keyset page for that one order (see `_pages`).

On SQLite (a file, loaded from tests/data/sampledb), and on PostgreSQL and MariaDB when they
answer (SUBLIMATE_TEST_PG_URL / SUBLIMATE_TEST_MYSQL_URL, the test suite's defaults otherwise):
Chinook is loaded into a scratch database of its own, dropped at the end. A server that does
not answer is reported and skipped.

    python bench/queries.py [sqlite] [postgresql] [mysql]     (all three by default)
"""

from __future__ import annotations

import base64
import importlib
import os
import re
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sublimate.cli import app  # noqa: E402
from tests.queries.support import load_chinook  # noqa: E402

SERVERS = {
    "postgresql": os.environ.get(
        "SUBLIMATE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
    "mysql": os.environ.get("SUBLIMATE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}

SQL = """\
SELECT t.TrackId, t.Name, t.Milliseconds, t.UnitPrice, al.Title, ar.Name AS Artist
FROM Track t JOIN Album al ON al.AlbumId = t.AlbumId JOIN Artist ar ON ar.ArtistId = al.ArtistId
WHERE t.TrackId > :after ORDER BY t.TrackId LIMIT :n"""
# The same join read in keyset pages of 50 (`:many_after`), from the 1,000th row.
PAGED = SQL.replace("WHERE t.TrackId > :after ORDER BY t.TrackId LIMIT :n", "ORDER BY t.TrackId")


class HandRow(msgspec.Struct):
    track_id: int
    name: str
    milliseconds: int
    unit_price: Any  # float on SQLite (REAL), Decimal on the servers (NUMERIC)
    title: str
    artist: str | None


def _chinook(directory: Path) -> str:
    path = directory / "chinook.db"
    script = (ROOT / "tests/data/sampledb/chinook/Chinook_Sqlite.sql").read_text("utf-8-sig")
    with sqlite3.connect(path) as connection:
        connection.executescript(script)
    return f"sqlite:///{path}"


def _sql(backend: str, sql: str = SQL) -> str:
    """PostgreSQL's Chinook spells its names in snake_case (`TrackId` -> track_id)."""
    if backend != "postgresql":
        return sql
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", sql).lower()


def _generate(directory: Path, url: str, backend: str) -> Any:
    project = directory / f"project_{backend}"
    package = f"app_{backend}"
    (project / package).mkdir(parents=True)
    (project / package / "__init__.py").write_text("")
    (project / "queries").mkdir()
    hint = "-- column UnitPrice: float\n" if backend == "sqlite" else ""  # SQLite: REAL
    unique = _sql(backend, "-- unique: TrackId\n")
    (project / "queries" / "music.sql").write_text(
        f"-- name: Tracks :many\n{hint}{_sql(backend)};\n\n"
        f"-- name: TracksAfter :many_after\n{unique}{hint}{_sql(backend, PAGED)};\n"
    )
    (project / "pyproject.toml").write_text(
        f'[tool.sublimate]\nurl = "{url}"\nout = "{package}/db"\nformatter = "ruff"\n'
    )
    result = CliRunner().invoke(app, ["generate", "--project", str(project)])
    if result.exit_code:
        raise SystemExit(result.output)
    sys.path.insert(0, str(project))
    return importlib.import_module(f"{package}.db.queries.music")


def _best(function: Callable[[], bytes], rounds: int = 7, calls: int = 200) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            function()
        times.append((time.perf_counter() - start) / calls)
    return min(times)


def _measure(backend: str, url: str, directory: Path) -> None:
    music = _generate(directory, url, backend)
    engine = sa.create_engine(url)
    hand = sa.text(_sql(backend))
    with Session(engine) as session:

        def generated() -> bytes:
            return msgspec.json.encode(music.tracks(session, after=0, n=1000))

        def by_hand() -> bytes:
            rows = session.execute(hand, {"after": 0, "n": 1000})
            return msgspec.json.encode([HandRow(*row) for row in rows])

        assert len(msgspec.json.decode(generated())) == 1000
        assert generated() == by_hand()
        _report(f"{backend}, 1,000 rows", generated, by_hand)
        _pages(backend, music, session, hand)
    engine.dispose()


def _pages(backend: str, music: Any, session: Session, hand: sa.TextClause) -> None:
    """A page of 50 after the 1,000th row: the generated `:many_after` (the runtime's keyset:
    the subquery, the seek condition built per call, a cursor bound to the parameters) against
    what a person writes for this one order: `WHERE id > :after LIMIT 51` and the last id as a
    base64 JSON cursor."""
    cursor = music.tracks_after(session, limit=1000).next_cursor

    def generated() -> bytes:
        return msgspec.json.encode(music.tracks_after(session, cursor=cursor, limit=50))

    hand_cursor = base64.urlsafe_b64encode(msgspec.json.encode(1000)).decode()

    def by_hand() -> bytes:
        after = msgspec.json.decode(base64.urlsafe_b64decode(hand_cursor), type=int)
        rows = [HandRow(*row) for row in session.execute(hand, {"after": after, "n": 51})]
        more = len(rows) > 50
        next_cursor = (
            base64.urlsafe_b64encode(msgspec.json.encode(rows[49].track_id)).decode()
            if more
            else None
        )
        return msgspec.json.encode({"items": rows[:50], "next_cursor": next_cursor})

    got = msgspec.json.decode(generated())["items"]
    assert got == msgspec.json.decode(by_hand())["items"] and len(got) == 50
    _report(f"{backend}, a page of 50", generated, by_hand)


def _report(what: str, generated: Callable[[], bytes], by_hand: Callable[[], bytes]) -> None:
    rounds = []
    for _ in range(3):  # interleaved: both see the same machine state
        a, b = _best(generated), _best(by_hand)
        rounds.append((a / b, a, b))
    ratio, a, b = sorted(rounds)[1]  # the median round, its own times
    print(
        f"{what}: generated {a * 1e3:.3f} ms, hand-written {b * 1e3:.3f} ms per call;"
        f" ratio {ratio:.3f}x (the median of 3 rounds, each best of 7 x 200)",
        flush=True,
    )


def _server(backend: str, directory: Path) -> None:
    """Chinook in a scratch database of the server, measured, dropped."""
    admin = sa.create_engine(
        SERVERS[backend], isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    name = f"sbq_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f"CREATE DATABASE {name}"))
    except sa.exc.DBAPIError as error:
        print(f"{backend}: skipped, the server does not answer ({error.orig})")
        admin.dispose()
        return
    url = admin.url.set(database=name)
    try:
        load_chinook(url)
        _measure(backend, url.render_as_string(hide_password=False), directory)
    finally:
        force = " WITH (FORCE)" if backend == "postgresql" else ""
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE {name}{force}"))
        admin.dispose()


def main(backends: list[str]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        for backend in backends:
            if backend == "sqlite":
                _measure(backend, _chinook(directory), directory)
            else:
                _server(backend, directory)


if __name__ == "__main__":
    os.environ.setdefault("SUBLIMATE_NO_CACHE", "1")
    chosen = sys.argv[1:] or ["sqlite", "postgresql", "mysql"]
    unknown = sorted(set(chosen) - {"sqlite", *SERVERS})
    if unknown:
        raise SystemExit(f"unknown backend {unknown[0]!r}: sqlite, postgresql or mysql")
    main(chosen)
