"""Fixtures for the behaviour tests of the generated code in `generated_example/shop/db`.

Every test that takes `db` runs seven times: synchronous SQLite on a file, synchronous SQLite in
memory (one shared connection, `StaticPool`), asynchronous SQLite on a file (aiosqlite), and on
PostgreSQL (psycopg, asyncpg; a schema of the test's own) and MariaDB (pymysql, aiomysql; a database
of the test's own), dropped afterwards. The servers are skipped when unreachable (failed with
SUBLIMATE_REQUIRE_SERVERS=1): see tests/conftest.py. The test body is written once, as a
coroutine; `aw()` awaits what the async classes return and passes through what the sync ones return.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).resolve().parents[2] / "generated_example"
if str(EXAMPLE) not in sys.path:
    sys.path.insert(0, str(EXAMPLE))

import pytest  # noqa: E402

from ._support import ENGINE_KINDS, ENGINES, Db, open_db  # noqa: E402


@pytest.fixture(params=ENGINE_KINDS)
async def db(
    request: pytest.FixtureRequest, tmp_path: Path, scratch_database: Any
) -> AsyncIterator[Db]:
    backend = ENGINES[request.param][1]
    scratch = scratch_database(backend, schema=True) if backend is not None else None
    database = await open_db(request.param, tmp_path, scratch)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def count_statements(db: Db) -> Callable[[], AbstractContextManager[list[str]]]:
    """`with count_statements() as statements:` lists every statement the driver receives.

    A `before_cursor_execute` listener on the engine: an executemany counts once; the driver's
    own BEGIN/COMMIT (pysqlite, aiosqlite) never pass through it.
    """
    return db.count_statements
