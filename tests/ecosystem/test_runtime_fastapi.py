"""sublimate_runtime.fastapi on an app of one's own (no generated code): `install`, the session
dependency (commit, rollback, a clear error without `install`), msgspec bodies naming the field
(nested ones too), and the OpenAPI components it adds."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import msgspec
import pytest
import sqlalchemy as sa
from sublimate_runtime import create_engine

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402
from sublimate_runtime.fastapi import (  # noqa: E402 (FastAPI resolves these annotations)
    DbSession,
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
