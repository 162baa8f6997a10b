"""sublimate_runtime.fastapi on an app of one's own (no generated code): `install`, the session
dependency (commit, rollback, a clear error without `install`), msgspec bodies naming the field
(nested ones too), the OpenAPI components it adds, the body bound (413) and the 500 logged once."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated, Any

import msgspec
import pytest
import sqlalchemy as sa
from sublimate_runtime import create_engine

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402
from starlette.exceptions import HTTPException  # noqa: E402
from sublimate_runtime.fastapi import (  # noqa: E402 (FastAPI resolves these annotations)
    DbSession,
    bounded_body,
    encoded,
    install,
    json_body,
    json_responses,
    request_body,
)

LINES = sa.Table("lines", sa.MetaData(), sa.Column("qty", sa.Integer, nullable=False))


class Line(msgspec.Struct, forbid_unknown_fields=True):
    qty: Annotated[int, msgspec.Meta(ge=0, le=100)]


class Order(msgspec.Struct, forbid_unknown_fields=True):
    lines: list[Line]


def order_app(fail_after_write: bool = False) -> Any:
    app = fastapi.FastAPI()

    @app.post("/orders", responses=json_responses(200, Order, description="stored"),
              openapi_extra=request_body(Order))  # fmt: skip
    def store(session: DbSession, data: Annotated[Order, json_body(Order)]) -> Any:
        session.execute(LINES.insert(), [{"qty": line.qty} for line in data.lines])
        if fail_after_write:
            raise RuntimeError("after the write")
        return encoded(data)

    @app.get("/count")
    def count(session: DbSession) -> int:
        return int(session.execute(sa.select(sa.func.count()).select_from(LINES)).scalar_one())

    return app


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    engine = create_engine(f"sqlite:///{tmp_path / 'own.db'}")
    LINES.metadata.create_all(engine)
    return engine


def test_install_commits_and_names_nested_fields(engine: sa.Engine) -> None:
    app = install(order_app(), engine, logger=logging.getLogger("own"), schemas=[Order])
    with TestClient(app) as client:
        stored = client.post("/orders", json={"lines": [{"qty": 1}, {"qty": 2}]})
        assert stored.json() == {"lines": [{"qty": 1}, {"qty": 2}]}
        assert client.get("/count").json() == 2
        bad = client.post("/orders", json={"lines": [{"qty": 1}, {"qty": 101}]})
        assert bad.status_code == 400
        assert bad.json()["extra"] == [
            {"key": "lines[1].qty", "source": "body", "message": "Expected `int` <= 100"}
        ]
        unknown = client.post("/orders", json={"lines": [{"qty": 1, "price": 2}]})
        assert unknown.json()["extra"][0]["key"] == "lines[0].price"
        schema = client.get("/openapi.json").json()  # Line: a component Order's refers to
        assert schema["components"]["schemas"]["Line"]["properties"]["qty"]["maximum"] == 100
        body = schema["paths"]["/orders"]["post"]["requestBody"]["content"]["application/json"]
        assert body["schema"] == {"$ref": "#/components/schemas/Order"}


def test_an_error_after_a_write_rolls_it_back(engine: sa.Engine) -> None:
    app = install(order_app(fail_after_write=True), engine, logger=logging.getLogger("own"))
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.post("/orders", json={"lines": [{"qty": 1}]})
        assert answer.status_code == 500
        assert answer.json() == {"status_code": 500, "detail": "Internal Server Error"}
        assert client.get("/count").json() == 0


def test_without_install_the_session_dependency_says_what_is_missing() -> None:
    with pytest.raises(RuntimeError, match=r"install\(app"), TestClient(order_app()) as client:
        client.get("/count")


def test_a_body_past_the_bound_is_413_announced_or_chunked(engine: sa.Engine) -> None:
    app = install(order_app(), engine, logger=logging.getLogger("own"), max_body_size=100)
    small = b'{"lines": [{"qty": 1}]}'
    big = b'{"lines": [' + b'{"qty": 1},' * 20 + b'{"qty": 1}]}'  # 232 bytes
    with TestClient(app) as client:
        assert client.post("/orders", content=small).status_code == 200
        announced = client.post("/orders", content=big)
        assert announced.status_code == 413
        assert announced.json() == {"status_code": 413, "detail": "Request Entity Too Large"}
        chunked = client.post("/orders", content=iter([big[:90], big[90:]]))
        assert chunked.status_code == 413
        bad = client.post("/orders", content=small, headers={"content-length": "+23"})
        assert bad.status_code == 400
        assert client.get("/count").json() == 1


def test_a_body_is_never_read_past_the_bound() -> None:
    """An endless chunked body: reading stops at the first chunk past the bound."""
    app = fastapi.FastAPI()
    app.state.sublimate_max_body_size = 10_000
    received = 0

    async def receive() -> dict[str, Any]:
        nonlocal received
        received += 1
        return {"type": "http.request", "body": b"x" * 1_000, "more_body": True}

    scope = {"type": "http", "method": "POST", "path": "/", "headers": [], "app": app}
    request = fastapi.Request(scope, receive)
    with pytest.raises(HTTPException) as raised:
        asyncio.run(bounded_body(request))
    assert raised.value.status_code == 413
    assert received == 11


def test_an_unexpected_error_is_logged_once_and_not_raised_to_the_server(
    engine: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """Starlette's 500 handler re-raises for the server, which logged it a second time; the
    test client raises what reaches the server, so this request would raise without the fix."""
    app = install(order_app(fail_after_write=True), engine, logger=logging.getLogger("own"))
    with caplog.at_level(logging.ERROR), TestClient(app) as client:
        answer = client.post("/orders", json={"lines": [{"qty": 1}]})
    assert answer.status_code == 500
    assert answer.json() == {"status_code": 500, "detail": "Internal Server Error"}
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [(r.name, r.getMessage()) for r in errors] == [("own", "POST /orders failed")]
