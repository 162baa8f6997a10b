"""Fixtures for the cross-database tests: the generated example on SQLite, PostgreSQL and MariaDB.

`db` is the behaviour suite's fixture (tests/behaviour/_support.py): seven engine kinds, sync and
async, each test in a schema or database of its own. The server machinery is tests/conftest.py.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).resolve().parents[2] / "generated_example"
if str(EXAMPLE) not in sys.path:
    sys.path.insert(0, str(EXAMPLE))

import pytest  # noqa: E402
from behaviour._support import ENGINE_KINDS, ENGINES, Db, open_db  # noqa: E402


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
