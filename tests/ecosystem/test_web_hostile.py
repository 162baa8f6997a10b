"""The generated Litestar and FastAPI apps under hostile requests, with debug off, on SQLite and
PostgreSQL: one suite, each case run on both frameworks (one project generates both apps).

Every input a column cannot hold (an integer outside its SQL type's range, NUL in text, a `like`
pattern ending in its escape character, a Decimal that is infinite or huge, an aware datetime for
a naive column and the reverse), sent as a filter, a path parameter, a keyset cursor, `offset` or
a body, answers 400 naming the field, and so does a malformed UUID for a `Uuid(as_uuid=False)`
column; what no type bound catches and the database refuses in a read (a model declaring `str`
for an ENUM, an int beyond 64 bits on SQLite, an Interval beyond SQLite's datetime range) is a
400 from the app's statement-error handler; a CHECK violation 422 naming the constraint; a dangling
foreign key 409 (SQLite included: the app's engine enforces foreign keys); a body beyond the
app's bound (10 MB, announced or chunked) 413. No answer is a 5xx or carries SQL or driver text.
An unexpected error is a plain 500 logged once with its traceback (not re-raised to the server,
which would log it again), and `cache = true` makes the app read through the runtime's cache.

What differs between the frameworks is in FRAMEWORKS: the app module, the test client, the
OpenAPI path. PostgreSQL's own types and rules: test_litestar_hostile_pg.py.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool
from sublimate_runtime import create_async_engine
from sublimate_runtime.keyset_cursor import Position, encode_position, fingerprint

from sublimate.bounds import UUID_TEXT

from .support import lint, make_project, on_path, run

PACKAGE = "webhostile"
MODELS = """
    from __future__ import annotations

    import datetime
    import decimal
    from typing import Literal

    from sqlalchemy import (
        BigInteger,
        CheckConstraint,
        DateTime,
        Enum,
        ForeignKey,
        Interval,
        Numeric,
        SmallInteger,
        String,
        Text,
        Uuid,
    )
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Bin(Base):
        __tablename__ = "bins"
        code: Mapped[str] = mapped_column(String(10), primary_key=True)
        label: Mapped[str | None] = mapped_column(Text)


    class Item(Base):
        __tablename__ = "items"
        __table_args__ = (CheckConstraint("qty >= 0", name="ck_items_qty"),)
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(40), unique=True)
        qty: Mapped[int] = mapped_column(SmallInteger)
        big: Mapped[int | None] = mapped_column(BigInteger)
        price: Mapped[decimal.Decimal | None] = mapped_column(Numeric(8, 2))
        seen_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
        stamped_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
        note: Mapped[str | None] = mapped_column(Text)
        # The declared type wins over String(5)'s bounds: "much too long" reaches the database.
        tag: Mapped[Literal["short", "much too long"] | None] = mapped_column(String(5))
        bin_code: Mapped[str | None] = mapped_column(ForeignKey("bins.code"))
        ref: Mapped[str | None] = mapped_column(Uuid(as_uuid=False))
        span: Mapped[datetime.timedelta | None] = mapped_column(Interval)
        # Declared looser than their columns: no type bound can catch what the database refuses.
        kind: Mapped[str | None] = mapped_column(Enum("bolt", "nut", name="item_kind"))
        count: Mapped[int | None] = mapped_column(Numeric(30, 0))


    class Token(Base):
        __tablename__ = "tokens"
        id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
        label: Mapped[str | None] = mapped_column(Text)
"""


@dataclass(frozen=True)
class Framework:
    """What a case needs to know of one framework's generated app."""

    name: str
    testing: str  # the module of its TestClient
    app: str  # the generated app module, in the package's db
    openapi: str  # where the app serves its OpenAPI schema


FRAMEWORKS = {
    "litestar": Framework("litestar", "litestar.testing", "app", "/schema/openapi.json"),
    "fastapi": Framework("fastapi", "fastapi.testclient", "fastapi_app", "/openapi.json"),
}

# What must never reach a client: SQL, driver names, SQLAlchemy's error footer.
LEAKS = ("SELECT", "INSERT", "UPDATE items", "psycopg", "asyncpg", "sqlite3", "(Background on")
REDIS_URL = os.environ.get("SUBLIMATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NAIVE = "2024-05-01T12:00:00"
AWARE = "2024-05-01T12:00:00+02:00"
MAX_BODY = 10_000_000  # both apps' default bound (Litestar's request_max_body_size)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = make_project(
        tmp_path_factory.mktemp("web-hostile"),
        PACKAGE,
        MODELS,
        extra="litestar = true\nfastapi = true\ncache = true\n",
    )
    (root / "pyproject.toml").write_text(
        (root / "pyproject.toml").read_text()
        + '\n[tool.ruff]\nline-length = 100\nsrc = ["."]\n'
        + '[tool.ruff.lint]\nselect = ["E", "F", "I", "UP", "B", "SIM", "RUF"]\n'
    )
    with on_path(root, PACKAGE):
        result = run("generate", project=root)
        assert result.exit_code == 0, result.output
        yield root


@pytest.fixture(params=sorted(FRAMEWORKS))
def framework(request: pytest.FixtureRequest) -> Framework:
    chosen = FRAMEWORKS[request.param]
    pytest.importorskip(chosen.testing)
    return chosen


@pytest.fixture(params=["sqlite", "postgresql"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def create_app(framework: Framework) -> Any:
    """The `create_app` of the framework's generated app module."""
    return importlib.import_module(f"{PACKAGE}.db.{framework.app}").create_app


def open_client(framework: Framework, app: Any, *, raise_server_exceptions: bool = False) -> Any:
    testing = importlib.import_module(framework.testing)
    return testing.TestClient(app, raise_server_exceptions=raise_server_exceptions)


def make_tables(url: Any, connect_args: dict[str, Any] | None = None) -> None:
    from webhostile import models  # type: ignore[import-not-found]

    engine = sa.create_engine(url, connect_args=connect_args or {})
    models.Base.metadata.create_all(engine)
    engine.dispose()


@pytest.fixture
def client(
    framework: Framework, dialect: str, project: Path, scratch_database: Any
) -> Iterator[Any]:
    database = scratch_database(dialect, schema=True)
    make_tables(database.url, database.connect_args)
    engine = create_async_engine(
        database.async_url, connect_args=database.async_connect_args, poolclass=NullPool
    )
    app = create_app(framework)(engine=engine, debug=False)
    with open_client(framework, app) as opened:
        yield opened


def refused(response: Any, status: int, *names: str) -> None:
    """`response` is `status`, names every one of `names`, and leaks no SQL or driver text."""
    text = response.text
    assert response.status_code == status, (response.status_code, text)
    for name in names:
        assert name in text, (name, text)
    for leak in LEAKS:
        assert leak not in text, (leak, text)


def where(client: Any, conditions: str) -> Any:
    return client.get("/items", params={"where": conditions})


def test_output_passes_mypy_strict_and_ruff(project: Path, mypy_cache: Path) -> None:
    # Bounded types inside the generic filters, the cache wiring, both apps: all typed.
    db = project / PACKAGE / "db"
    filters = (db / "dtos" / "item.py").read_text()
    assert "qty: RangeFilter[Int16] | None" in filters  # Int16: the SMALLINT's range
    assert (db / "app.py").is_file() and (db / "fastapi_app.py").is_file()
    lint(
        project,
        mypy_cache,
    )


def test_hostile_filters_answer_400_naming_the_field(client: Any) -> None:
    cases = {
        "qty": '{"qty": {"eq": 70000}}',
        "big": '{"big": {"gt": 10000000000000000000}}',
        "id": '{"id": {"in": [1, 2147483648]}}',
        "note": json.dumps({"note": {"eq": "a\x00b"}}),
        "name": json.dumps({"name": {"like": "ab\\"}}),
        "seen_at": json.dumps({"seen_at": {"lt": AWARE}}),
        "stamped_at": json.dumps({"stamped_at": {"ge": NAIVE}}),
    }
    for field, conditions in cases.items():
        refused(where(client, conditions), 400, field)
    for operand in ("1e999999", '"Infinity"', '"NaN"', '"-Infinity"', "123456789"):
        refused(where(client, f'{{"price": {{"lt": {operand}}}}}'), 400, "price")
    # In bounds, the same filters work.
    assert where(client, '{"qty": {"eq": 32767}, "price": {"lt": 1.005}}').status_code == 200
    assert where(client, json.dumps({"name": {"like": "a\\%"}})).status_code == 200


def keyed(model: str, *values: Any) -> str:
    """A cursor of the list's keyset pages (no filter, the default order: the primary key)
    holding `values`, as a client could forge one: its fingerprint is no secret."""
    position = Position(values=values, backward=False, inclusive=False)
    return encode_position(fingerprint(model, (), None, False), position)


def test_hostile_paths_cursors_and_pages_answer_400(client: Any) -> None:
    for path in ("/items/2147483648", "/items/-2147483649", "/items/99999999999999999999"):
        refused(client.get(path), 400, "item_id")
        refused(client.patch(path, json={"qty": 1}), 400, "item_id")
        refused(client.delete(path), 400, "item_id")
    refused(client.get("/bins/a%00b"), 400, "item_id")
    refused(client.get("/bins/" + "x" * 11), 400, "item_id")
    for cursor in (keyed("Item", 2**31), keyed("Item", 10**19), keyed("Item", "x")):
        refused(client.get("/items", params={"cursor": cursor}), 400, "cursor")
    refused(client.get("/bins", params={"cursor": keyed("Bin", "a\x00")}), 400, "cursor")
    both = client.get("/items", params={"cursor": "", "offset": 5})
    refused(both, 400, "cursor", "cannot be combined with offset")
    refused(client.get("/items", params={"offset": 10**19}), 400, "offset")
    refused(client.get("/items", params={"limit": 10**19}), 400, "limit")
    assert client.get("/items", params={"offset": 2**63 - 1}).json()["items"] == []


def test_hostile_bodies_answer_400_naming_the_field(client: Any) -> None:
    assert client.post("/bins", json={"code": "A1"}).status_code == 201
    good = {"name": "bolt", "qty": 5, "bin_code": "A1"}
    created = client.post("/items", json=good)
    assert created.status_code == 201, created.text
    item = f"/items/{created.json()['id']}"
    bad = {
        "qty": 70000,
        "big": 2**63,
        "name": "a\x00b",
        "note": "nul \x00 inside",
        "seen_at": AWARE,
        "stamped_at": NAIVE,
        "price": "Infinity",
    }
    for field, value in bad.items():
        refused(client.post("/items", json={**good, "name": "nut", field: value}), 400, field)
        refused(client.patch(item, json={field: value}), 400, field)
        refused(client.put("/items", json={**good, field: value}), 400, field)
    refused(client.post("/items", json={**good, "name": "nut", "price": 1e300}), 400, "price")
    refused(client.post("/bins", json={"code": "B\x00"}), 400, "code")
    # Nothing was written, and the session of each next request works.
    assert client.get("/items").json()["total"] == 1
    assert client.patch(item, json={"qty": 32767}).json()["qty"] == 32767


UUID = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
NOT_UUIDS = ("nope", UUID[:-1], UUID + "\n", "{" + UUID + "}", UUID + "\x00", "g" * 32)


def test_uuid_text_is_bounded_in_filters_paths_cursors_and_bodies(
    client: Any, framework: Framework
) -> None:
    """`Uuid(as_uuid=False)` is typed `str`: a malformed UUID was PostgreSQL's "invalid input
    syntax for type uuid", a 500 (and stored as it was on SQLite). Now a pattern refuses it."""
    for text in NOT_UUIDS:
        refused(where(client, json.dumps({"ref": {"eq": text}})), 400, "ref")
        refused(client.post("/items", json={"name": "nut", "qty": 1, "ref": text}), 400, "ref")
        refused(client.post("/tokens", json={"id": text}), 400, "id")
        cursor = keyed("Token", text)
        refused(client.get("/tokens", params={"cursor": cursor}), 400, "cursor")
    for path in ("/tokens/nope", f"/tokens/{UUID}x", f"/tokens/{UUID[:-1]}"):
        refused(client.get(path), 400, "item_id")
        refused(client.patch(path, json={"label": "x"}), 400, "item_id")
        refused(client.delete(path), 400, "item_id")
    # The OpenAPI schema shows the pattern (body, path parameter).
    schema = client.get(framework.openapi).text
    assert schema.count(json.dumps(UUID_TEXT)) >= 2, schema
    # Well-formed UUIDs, hyphenated or not, work everywhere.
    assert client.post("/tokens", json={"id": UUID, "label": "a"}).status_code == 201
    assert client.get(f"/tokens/{UUID}").json()["label"] == "a"
    assert client.patch(f"/tokens/{UUID}", json={"label": "b"}).status_code == 200
    plain = UUID.replace("-", "")
    created = client.post("/items", json={"name": "nut", "qty": 1, "ref": plain})
    assert created.status_code == 201, created.text
    assert where(client, json.dumps({"ref": {"eq": plain}})).json()["total"] == 1
    assert client.get("/tokens", params={"cursor": keyed("Token", UUID)}).status_code == 200


def test_a_value_the_database_refuses_in_a_read_answers_400(client: Any, dialect: str) -> None:
    """A filter operand no type bound catches (the model declares `str` for an ENUM, `int` for a
    NUMERIC(30)) and the database refuses: a DataError on a read, 400, not 500."""
    if dialect == "sqlite":
        # sqlite3 cannot bind an int beyond 64 bits (OverflowError); the bind is named.
        answer = where(client, json.dumps({"count": {"eq": 2**64 - 1}}))
        refused(answer, 400, "count", "does not fit")
        assert answer.json()["columns"] == ["count"]
    else:
        # PostgreSQL: invalid input value for enum item_kind (SQLSTATE 22P02), named by the
        # runtime engine's hook from the bind the filter made.
        answer = where(client, json.dumps({"kind": {"eq": "screw"}}))
        refused(answer, 400, "Item", "does not fit", "kind")
        assert answer.json()["columns"] == ["kind"]
    # The request's session was rolled back: the next requests read and write.
    assert where(client, json.dumps({"kind": {"eq": "bolt"}})).json()["total"] == 0
    assert client.post("/items", json={"name": "bolt", "qty": 1, "kind": "bolt"}).status_code == 201
    assert where(client, json.dumps({"kind": {"eq": "bolt"}})).json()["total"] == 1


def test_an_interval_beyond_what_the_column_stores_answers_400(client: Any, dialect: str) -> None:
    """SQLAlchemy stores a non-native Interval (SQLite) as 1970-01-01 plus the value: a timedelta
    beyond the datetime range overflowed in its bind processor, a 500 in a filter and a body."""
    far = ("P999999999D", "-P999999999D", "P2932897D")
    if dialect == "sqlite":
        for value in far:
            refused(where(client, json.dumps({"span": {"gt": value}})), 400, "Item", "does not fit")
            body = {"name": "nut", "qty": 1, "span": value}
            refused(client.post("/items", json=body), 400, "Item", "does not fit")
        assert client.get("/items").json()["total"] == 0
    else:  # a native INTERVAL holds every timedelta
        for number, value in enumerate(far):
            body = {"name": f"nut{number}", "qty": 1, "span": value}
            assert client.post("/items", json=body).json()["span"] == value
            assert where(client, json.dumps({"span": {"eq": value}})).json()["total"] == 1
    near = client.post("/items", json={"name": "bolt", "qty": 1, "span": "P2932896D"})
    assert near.status_code == 201, near.text


def test_constraint_violations_answer_4xx(client: Any) -> None:
    assert client.post("/bins", json={"code": "A1"}).status_code == 201
    negative = client.post("/items", json={"name": "bolt", "qty": -1})
    refused(negative, 422, "ck_items_qty")
    assert negative.json()["constraint"] == "ck_items_qty"
    refused(client.post("/items", json={"name": "bolt", "qty": 1, "bin_code": "nope"}), 409)
    created = client.post("/items", json={"name": "bolt", "qty": 1, "bin_code": "A1"})
    assert created.status_code == 201
    refused(client.patch(f"/items/{created.json()['id']}", json={"qty": -5}), 422, "ck_items_qty")
    refused(client.post("/items", json={"name": "bolt", "qty": 2}), 409, "name")
    assert client.get(f"/items/{created.json()['id']}").json()["qty"] == 1


def test_a_value_the_database_refuses_answers_400(client: Any, dialect: str) -> None:
    """What no DTO bound catches (a declared type looser than the column) is a DataError: 400."""
    long = client.post("/items", json={"name": "bolt", "qty": 1, "tag": "much too long"})
    if dialect == "sqlite":
        assert long.status_code == 201, long.text  # SQLite does not enforce VARCHAR lengths
        return
    refused(long, 400, "does not fit", "tag")
    assert long.json()["columns"] == ["tag"]
    assert client.post("/items", json={"name": "bolt", "qty": 1}).status_code == 201


def test_a_body_beyond_the_bound_answers_413(client: Any) -> None:
    """Announced (Content-Length) or chunked (none), a body past 10 MB is refused, not read."""
    body = b'{"code": "' + b"x" * MAX_BODY + b'"}'
    refused(client.post("/bins", content=body, headers={"content-type": "application/json"}), 413)

    def chunks() -> Iterator[bytes]:
        yield b'{"code": "'
        for _ in range(11):
            yield b"x" * 1_000_000
        yield b'"}'

    chunked = client.post("/bins", content=chunks(), headers={"content-type": "application/json"})
    refused(chunked, 413)
    assert client.get("/bins").json()["total"] == 0
    # Within the bound, a large body is read (and refused by the DTO: the code is too long).
    refused(client.post("/bins", json={"code": "x" * 1_000_000}), 400, "code")


def test_the_app_enforces_foreign_keys_on_sqlite(
    framework: Framework, project: Path, tmp_path: Path
) -> None:
    """The app builds its engine with the runtime's constructor: PRAGMA foreign_keys is on."""
    path = tmp_path / "app.sqlite3"
    make_tables(f"sqlite:///{path}")
    app = create_app(framework)(f"sqlite+aiosqlite:///{path}")
    with open_client(framework, app) as client:
        refused(client.post("/items", json={"name": "bolt", "qty": 1, "bin_code": "no"}), 409)
        assert client.get("/items").json()["total"] == 0


class Records(logging.Handler):
    """Every record a logger passes on (Litestar replaces the root's handlers when it starts, so
    caplog's root handler cannot be relied on: this one sits on the app module's logger)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_an_unexpected_error_is_logged_once_and_answers_a_plain_500(
    framework: Framework, project: Path, tmp_path: Path
) -> None:
    """Logged once, by the app: the exception does not go on to the server (the test client
    raises what reaches it), where uvicorn would log it a second time."""
    path = tmp_path / "app.sqlite3"
    make_tables(f"sqlite:///{path}")
    with sa.create_engine(f"sqlite:///{path}").begin() as connection:
        connection.execute(sa.text("DROP TABLE items"))  # a missing migration
    app = create_app(framework)(f"sqlite+aiosqlite:///{path}")
    logger = logging.getLogger(f"{PACKAGE}.db.{framework.app}")
    handler = Records()
    logger.addHandler(handler)
    try:
        with open_client(framework, app, raise_server_exceptions=True) as client:
            answer = client.get("/items", params={"where": '{"name": {"eq": "secret"}}'})
    finally:
        logger.removeHandler(handler)
    assert answer.status_code == 500
    assert answer.json() == {"status_code": 500, "detail": "Internal Server Error"}
    records = [r for r in handler.records if r.levelno >= logging.WARNING]
    assert len(records) == 1, records
    assert records[0].getMessage() == "GET /items failed"
    assert records[0].levelno == logging.ERROR
    assert records[0].exc_info is not None and "no such table" in str(records[0].exc_info[1])
    assert "secret" not in records[0].getMessage()


@pytest.mark.server
def test_cache_true_reads_through_redis(
    framework: Framework, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if os.environ.get("SUBLIMATE_REQUIRE_SERVERS") == "1":
            pytest.fail(f"redis unreachable at {REDIS_URL}: {error}")
        pytest.skip(f"redis unreachable at {REDIS_URL}: {error}")

    namespace = f"sublimate-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("SUBLIMATE_CACHE_URL", REDIS_URL)
    monkeypatch.setenv("SUBLIMATE_CACHE_NAMESPACE", namespace)
    path = tmp_path / "app.sqlite3"
    make_tables(f"sqlite:///{path}")
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    statements: list[str] = []
    sa.event.listen(
        engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_: statements.append(statement),
    )
    store = redis.Redis.from_url(REDIS_URL)
    try:
        app = create_app(framework)(engine=engine)
        with open_client(framework, app, raise_server_exceptions=True) as client:
            created = client.post("/items", json={"name": "bolt", "qty": 1}).json()
            item = f"/items/{created['id']}"
            assert client.get(item).json()["qty"] == 1  # a miss: read and stored
            reads = len(statements)
            assert client.get(item).json()["qty"] == 1  # a hit: no statement
            assert len(statements) == reads
            assert list(store.scan_iter(match=f"*{namespace}*"))
            # A write through the app invalidates: the next read sees it.
            assert client.patch(item, json={"qty": 2}).status_code == 200
            assert client.get(item).json()["qty"] == 2
    finally:
        keys = list(store.scan_iter(match=f"*{namespace}*"))
        if keys:
            store.delete(*keys)
        store.close()
