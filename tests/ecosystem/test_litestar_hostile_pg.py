"""The generated Litestar app on PostgreSQL's own types, and on a table a rule rewrites.

PostgreSQL parses the text of INET, CIDR, MACADDR, MONEY and TSVECTOR values itself, and JSONB
refuses a NUL character: none of these is typed more precisely than `Any` in the DTOs, so a
malformed value reaches the server. Each must be a 400 (the write guard's DataError, or the app's
statement-error handler for what the server calls a syntax error), never a 500; they have no
filters, so a filter on them is msgspec's 400. A table whose INSERTs a conditional `DO INSTEAD` rule
rewrites refuses `INSERT ... RETURNING`: the repository raises UnsupportedWriteError, which the
app answers 501 naming the table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool
from sublimate_runtime import create_async_engine

from .support import make_project, on_path, run

litestar_testing = pytest.importorskip("litestar.testing")

PACKAGE = "lshostilepg"
MODELS = """
    from __future__ import annotations

    import datetime
    from typing import Any

    from sqlalchemy import Date, Integer
    from sqlalchemy.dialects.postgresql import CIDR, INET, INTERVAL, JSONB, MACADDR, MONEY, TSVECTOR
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Host(Base):
        __tablename__ = "hosts"
        id: Mapped[int] = mapped_column(primary_key=True)
        address: Mapped[Any | None] = mapped_column(INET)
        network: Mapped[Any | None] = mapped_column(CIDR)
        mac: Mapped[Any | None] = mapped_column(MACADDR)
        fee: Mapped[Any | None] = mapped_column(MONEY)
        words: Mapped[Any | None] = mapped_column(TSVECTOR)
        data: Mapped[Any | None] = mapped_column(JSONB)
        uptime: Mapped[datetime.timedelta | None] = mapped_column(INTERVAL)


    class Payment(Base):
        __tablename__ = "payment"
        id: Mapped[int] = mapped_column(primary_key=True)
        amount: Mapped[int] = mapped_column(Integer)
        paid: Mapped[datetime.date] = mapped_column(Date)
"""
# A conditional DO INSTEAD rule, as helper C's introspection test builds one.
RULE = [
    "CREATE TABLE payment_2024 (CHECK (paid >= '2024-01-01')) INHERITS (payment)",
    "CREATE RULE payment_insert_2024 AS ON INSERT TO payment WHERE (new.paid >= '2024-01-01')"
    " DO INSTEAD INSERT INTO payment_2024 VALUES (DEFAULT, new.amount, new.paid)",
]
LEAKS = ("SELECT", "INSERT", "RETURNING", "psycopg", "asyncpg", "syntax error", "(Background on")
MALFORMED = {
    "address": "999.1.1.1",
    "network": "10.0.0.1/8",  # host bits set: not a network
    "mac": "zz:zz",
    "fee": "a lot",
    "words": "a:b:c'",
    "data": {"k": "nul \x00 inside"},
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = make_project(
        tmp_path_factory.mktemp("litestar-hostile-pg"), PACKAGE, MODELS, extra="litestar = true\n"
    )
    with on_path(root, PACKAGE):
        result = run("generate", project=root)
        assert result.exit_code == 0, result.output
        yield root


@pytest.fixture
def client(project: Path, scratch_database: Any) -> Iterator[Any]:
    from lshostilepg import models  # type: ignore[import-not-found]
    from lshostilepg.db.app import create_app  # type: ignore[import-not-found]

    database = scratch_database("postgresql", schema=True)
    engine = sa.create_engine(database.url, connect_args=database.connect_args)
    models.Base.metadata.create_all(engine)
    with engine.begin() as connection:
        for statement in RULE:
            connection.execute(sa.text(statement))
    engine.dispose()
    app_engine = create_async_engine(
        database.async_url, connect_args=database.async_connect_args, poolclass=NullPool
    )
    app = create_app(engine=app_engine, debug=False)
    with litestar_testing.TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def refused(response: Any, status: int, *names: str) -> None:
    """`response` is `status`, names every one of `names`, and leaks no SQL or driver text."""
    text = response.text
    assert response.status_code == status, (response.status_code, text)
    for name in names:
        assert name in text, (name, text)
    for leak in LEAKS:
        assert leak not in text, (leak, text)


def test_malformed_values_of_server_parsed_types_answer_400(client: Any) -> None:
    created = client.post("/hosts", json={"address": "10.0.0.1", "fee": "12.50"})
    assert created.status_code == 201, created.text
    host = f"/hosts/{created.json()['id']}"
    for field, value in MALFORMED.items():
        refused(client.post("/hosts", json={field: value}), 400, "Host")
        refused(client.patch(host, json={field: value}), 400, "Host")
        # No filter exists on these types: naming one is msgspec's 400.
        conditions = json.dumps({field: {"eq": value}})
        refused(client.get("/hosts", params={"where": conditions}), 400, field)
    # An interval beyond what msgspec decodes as a timedelta.
    refused(client.post("/hosts", json={"uptime": "P9999999999D"}), 400, "uptime")
    refused(client.get("/hosts", params={"where": '{"uptime": {"gt": "P9999999999D"}}'}), 400)
    # Nothing was written, and each next request's session works.
    assert client.get("/hosts").json()["total"] == 1
    assert client.get(host).json()["address"] == "10.0.0.1"


def test_a_write_a_rule_rewrites_answers_501_naming_the_table(client: Any) -> None:
    # PostgreSQL refuses INSERT ... RETURNING under a conditional DO INSTEAD rule whatever the
    # row (the rewrite is planned, not decided per row).
    for paid in ("2023-05-01", "2024-05-01"):
        answer = client.post("/payments", json={"amount": 2, "paid": paid})
        refused(answer, 501, "payment", "rule", "your own SQL")
        assert answer.json()["table"] == "payment"
    # The session was rolled back: the next request reads, and nothing was written.
    assert client.get("/payments").json()["total"] == 0
