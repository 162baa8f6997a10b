"""sublimate_runtime.litestar on its own: the machinery of the generated app, reused in an app a
user writes (its own routes, its own logger), on SQLite through the runtime's engine. The
generated app's behaviour is proven by test_litestar*.py; this file proves the module stands alone
and stays an optional extra."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.pool import NullPool

litestar_testing = pytest.importorskip("litestar.testing")

from litestar import Litestar, get, post  # noqa: E402
from litestar.di import NamedDependency  # noqa: E402
from litestar.params import FromPath, FromQuery  # noqa: E402
from sublimate_runtime import (  # noqa: E402
    ConflictError,
    DataError,
    ForeignKeyError,
    IntegrityViolationError,
    NotFoundError,
    UnsupportedWriteError,
    create_async_engine,
)
from sublimate_runtime import litestar as runtime_litestar  # noqa: E402
from sublimate_runtime.litestar import (  # noqa: E402
    cache_from_environment,
    exception_handlers,
    session_provider,
)

pytestmark = pytest.mark.filterwarnings(
    "error::litestar.exceptions.base_exceptions.LitestarDeprecationWarning"
)

LOGGER = "myapp.web"
LEAK = "SECRET driver text"

# What each runtime error answers: (error, status, body).
ANSWERS: dict[str, tuple[Exception, int, dict[str, Any]]] = {
    "not-found": (
        NotFoundError("Row", {"id": 7}),
        404,
        {"status_code": 404, "detail": str(NotFoundError("Row", {"id": 7}))},
    ),
    "conflict": (
        ConflictError("Row", ("slug",), Exception(LEAK)),
        409,
        {
            "status_code": 409,
            "detail": "Row conflicts with an existing row on (slug)",
            "columns": ["slug"],
        },
    ),
    "foreign-key": (
        ForeignKeyError("Row", Exception(LEAK)),
        409,
        {"status_code": 409, "detail": "Row violates a foreign key constraint"},
    ),
    "integrity": (
        IntegrityViolationError("Row", Exception(LEAK)),
        422,
        {"status_code": 422, "detail": "Row violates a constraint", "constraint": None},
    ),
    "data": (
        DataError("Row", "qty", Exception(LEAK)),
        400,
        {
            "status_code": 400,
            "detail": "Row: a value does not fit its column (column qty)",
            "columns": ["qty"],
        },
    ),
    "unsupported": (
        UnsupportedWriteError("Row", "rows", Exception(LEAK)),
        501,
        {
            "status_code": 501,
            "detail": "Row: a database rule rewrites writes to table rows; this API cannot write"
            " it (write it with your own SQL)",
            "table": "rows",
        },
    ),
}


@get("/raise/{name:str}", sync_to_thread=False)
def raise_error(name: FromPath[str]) -> None:
    raise ANSWERS[name][0]


@get("/boom", sync_to_thread=False)
def boom() -> None:
    raise OverflowError("arithmetic, not a statement")


@get("/rows", tags=["Row"])
async def read(db_session: NamedDependency[AsyncSession], at_least: FromQuery[int] = 0) -> int:
    """Counts rows: `at_least` beyond 64 bits is a value SQLite's driver refuses."""
    found = await db_session.scalar(
        sa.text("SELECT COUNT(*) FROM rows WHERE id >= :v"), {"v": at_least}
    )
    return int(found or 0)


@post("/rows/{row_id:int}", status_code=201)
async def write(
    db_session: NamedDependency[AsyncSession], row_id: FromPath[int], fail: FromQuery[bool] = False
) -> int:
    """Inserts a row, then fails when asked: the request's session must roll the insert back."""
    await db_session.execute(sa.text("INSERT INTO rows (id) VALUES (:id)"), {"id": row_id})
    if fail:
        raise NotFoundError("Row", {"id": row_id})
    return row_id


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "rows.sqlite3"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE rows (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    yield path


class Records(logging.Handler):
    """The records of one logger, whatever Litestar does to the root's handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged() -> Iterator[list[logging.LogRecord]]:
    handler = Records()
    logger = logging.getLogger(LOGGER)
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


@pytest.fixture
def client(database: Path) -> Iterator[Any]:
    # The runtime's engine, as a generated create_app makes it: it marks the statements whose
    # OverflowError is a refused value.
    engine = create_async_engine(f"sqlite+aiosqlite:///{database}", poolclass=NullPool)
    app = Litestar(
        route_handlers=[raise_error, boom, read, write],
        dependencies={"db_session": session_provider(engine)},
        exception_handlers=exception_handlers(logging.getLogger(LOGGER)),
        debug=False,
    )
    with litestar_testing.TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def rows(database: Path) -> list[int]:
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        found = [row[0] for row in connection.execute(sa.text("SELECT id FROM rows ORDER BY id"))]
    engine.dispose()
    return found


def test_the_top_level_package_does_not_import_litestar() -> None:
    """An app without the `litestar` extra imports sublimate_runtime as before."""
    script = (
        "import sys, sublimate_runtime\n"
        "assert 'litestar' not in sys.modules, 'sublimate_runtime imported litestar'\n"
        "assert 'sublimate_runtime.litestar' not in sys.modules\n"
        "import sublimate_runtime.litestar\n"
        "assert 'litestar' in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_public_names() -> None:
    """What generated apps import, and the handlers a user can pick one by one."""
    assert set(runtime_litestar.__all__) == {
        "CURSOR_DOC",
        "LOAD_DOC",
        "MAX_LIMIT",
        "MAX_OFFSET",
        "ORDER_DOC",
        "list_page",
        "parse_where",
        "FilterParameter",
        "FilterSchemaPlugin",
        "filter_parameter",
        "cache_from_environment",
        "conflict",
        "data_error",
        "exception_handlers",
        "foreign_key",
        "integrity_violation",
        "not_found",
        "session_provider",
        "unsupported_write",
    }
    assert all(hasattr(runtime_litestar, name) for name in runtime_litestar.__all__)


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_each_runtime_error_answers_its_status_without_driver_text(client: Any, name: str) -> None:
    _, status, body = ANSWERS[name]
    answer = client.get(f"/raise/{name}")
    assert answer.status_code == status, answer.text
    assert answer.json() == body
    assert LEAK not in answer.text


def test_an_unexpected_error_is_logged_on_the_apps_logger(
    client: Any, logged: list[logging.LogRecord]
) -> None:
    """An OverflowError that no statement raised is not a refused value: logged, plain 500."""
    answer = client.get("/boom")
    assert answer.status_code == 500
    assert answer.json() == {"status_code": 500, "detail": "Internal Server Error"}
    assert [(r.name, r.levelno, r.getMessage()) for r in logged] == [
        (LOGGER, logging.ERROR, "GET /boom failed")
    ]
    assert logged[0].exc_info is not None
    assert isinstance(logged[0].exc_info[1], OverflowError)


def test_a_value_the_database_refuses_in_a_read_is_a_400_named_by_the_route_tag(
    client: Any, logged: list[logging.LogRecord]
) -> None:
    assert client.get("/rows", params={"at_least": 1}).json() == 0
    answer = client.get("/rows", params={"at_least": 2**70})
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"].startswith("Row: a value does not fit its column")
    assert logged == []


def test_the_session_commits_a_request_that_succeeds_and_rolls_back_one_that_fails(
    client: Any, database: Path
) -> None:
    assert client.post("/rows/1").status_code == 201
    assert client.post("/rows/2", params={"fail": True}).status_code == 404
    assert client.post("/rows/3").status_code == 201
    assert rows(database) == [1, 3]


def test_exception_handlers_is_a_fresh_mapping_each_call() -> None:
    """A user adds or replaces handlers in the dict without touching another app's."""
    first = exception_handlers(logging.getLogger(LOGGER))
    first[KeyError] = first[NotFoundError]
    assert KeyError not in exception_handlers(logging.getLogger(LOGGER))


def test_cache_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No $SUBLIMATE_CACHE_URL: no cache. With it, a Redis region under the namespace asked for
    (no connection is made until a read)."""
    pytest.importorskip("redis")
    monkeypatch.delenv("SUBLIMATE_CACHE_URL", raising=False)
    assert cache_from_environment() is None
    monkeypatch.setenv("SUBLIMATE_CACHE_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.delenv("SUBLIMATE_CACHE_NAMESPACE", raising=False)
    default = cache_from_environment()
    assert default is not None and default.namespace == "sublimate"
    monkeypatch.setenv("SUBLIMATE_CACHE_NAMESPACE", "shop")
    named = cache_from_environment()
    assert named is not None and named.namespace == "shop"
