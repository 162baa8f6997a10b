"""`dto = "pydantic"` with `fastapi = true` and `litestar = true`: the apps of the golden case
tests/golden/pydantic_on (the shop's models) on SQLite and PostgreSQL. Bodies and filters are
validated by pydantic and answer as the msgspec flavour does (400 naming the field, once);
Update tells an absent field from null; pages and nested reads encode; the OpenAPI schema shows
the DTOs' bounds."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool
from sublimate_runtime import create_async_engine

CASE = Path(__file__).resolve().parents[1] / "golden" / "pydantic_on"
if str(CASE) not in sys.path:
    sys.path.insert(0, str(CASE))

fastapi_testing = pytest.importorskip("fastapi.testclient")
litestar_testing = pytest.importorskip("litestar.testing")

SETUPS = [(f, d) for f in ("fastapi", "litestar") for d in ("sqlite", "postgresql")]


@contextmanager
def _client(framework: str, dialect: str, scratch_database: Any) -> Iterator[Any]:
    from pyshop.db import app, fastapi_app
    from pyshop.models import Base

    database = scratch_database(dialect, schema=True)
    tables = sa.create_engine(database.url, connect_args=database.connect_args)
    Base.metadata.create_all(tables)
    tables.dispose()
    engine = create_async_engine(
        database.async_url, connect_args=database.async_connect_args, poolclass=NullPool
    )
    test_client: Any
    if framework == "litestar":
        test_client = litestar_testing.TestClient(app.create_app(engine=engine))
        test_client.openapi_path = "/schema/openapi.json"
    else:
        made = fastapi_app.create_app(engine=engine)
        test_client = fastapi_testing.TestClient(made, raise_server_exceptions=False)
        test_client.openapi_path = "/openapi.json"
    test_client.framework = framework
    with test_client:
        yield test_client


@pytest.fixture(params=SETUPS, ids=["-".join(s) for s in SETUPS])
def client(request: pytest.FixtureRequest, scratch_database: Any) -> Iterator[Any]:
    """Both apps on both databases: what reads and writes rows."""
    with _client(*request.param, scratch_database) as test_client:
        yield test_client


@pytest.fixture(params=["fastapi", "litestar"])
def lite_client(request: pytest.FixtureRequest, scratch_database: Any) -> Iterator[Any]:
    """Both apps on SQLite: what validation answers before any SQL, and the schema."""
    with _client(request.param, "sqlite", scratch_database) as test_client:
        yield test_client


def _invalid(answer: Any, key: str, source: str = "body") -> str:
    """The one message of a 400 naming `key`: FastAPI's `extra` names the field and the source;
    Litestar's the body's field (no source), and its `where` is msgspec's text (`- at $.x`)."""
    assert answer.status_code == 400, answer.text
    body = answer.json()
    if "extra" not in body:  # Litestar's `where`: "where: <message> - at `$.<path>`"
        path = key.removeprefix("where").removeprefix(".")
        assert body["detail"].startswith("where: "), body
        assert body["detail"].endswith(
            f" - at `${'.' if path[:1] not in ('', '[') else ''}{path}`"
        ), body
        message: str = body["detail"]
        return message
    extra = body["extra"]
    assert [e.get("key", "body") for e in extra] == [key], extra  # Litestar: no key for the body
    assert all(e.get("source", source) == source for e in extra), extra
    message = extra[0]["message"]
    return message


def test_crud_with_absent_and_null(client: Any) -> None:
    made = client.post("/customers", json={"email": "ann@example.com", "name": "Ann", "note": "v"})
    assert made.status_code == 201, made.text
    ann = made.json()
    assert (ann["name"], ann["note"], ann["birthday"]) == ("Ann", "v", None)
    renamed = client.patch(f"/customers/{ann['id']}", json={"name": "Ann B."}).json()
    assert (renamed["name"], renamed["note"]) == ("Ann B.", "v")
    cleared = client.patch(f"/customers/{ann['id']}", json={"note": None}).json()
    assert (cleared["name"], cleared["note"]) == ("Ann B.", None)
    refused = client.patch(f"/customers/{ann['id']}", json={"name": None})
    assert "string" in _invalid(refused, "name")
    upserted = client.put("/customers", json={"email": "ann@example.com", "name": "Ann C."})
    assert (upserted.status_code, upserted.json()["id"]) == (200, ann["id"])
    assert client.get(f"/customers/{ann['id']}").json()["name"] == "Ann C."
    assert client.delete(f"/customers/{ann['id']}").status_code == 204
    assert client.get(f"/customers/{ann['id']}").status_code == 404


def test_hostile_bodies_answer_400_naming_the_field(lite_client: Any) -> None:
    client = lite_client
    long_name = {"email": "a@b.c", "name": "x" * 101}
    assert "100" in _invalid(client.post("/customers", json=long_name), "name")
    _invalid(client.post("/customers", json={"email": "a@b.c", "name": "a\x00"}), "name")
    naive = {"email": "a@b.c", "name": "A", "created_at": "2024-01-01T00:00:00"}
    assert "timezone" in _invalid(client.post("/customers", json=naive), "created_at")
    _invalid(client.post("/customers", json={"email": "a@b.c", "name": "A", "vip": 1}), "vip")
    _invalid(client.post("/customers", json={"name": "A"}), "email")
    if client.framework == "fastapi":  # Litestar answers malformed JSON itself, without a key
        _invalid(client.post("/customers", content=b"{not", headers={"content-type": "x"}), "body")
    price = {"sku": "s", "name": "n", "price": "1e999999"}
    assert "digits before the decimal point" in _invalid(
        client.post("/products", json=price), "body"
    )
    big = {"sku": "s", "name": "n", "price": "1", "category_id": 2**31}
    _invalid(client.post("/products", json=big), "category_id")
    assert client.get("/customers").status_code == 200


def test_filters_pages_and_nested_reads(client: Any) -> None:
    ann = client.post("/customers", json={"email": "ann@example.com", "name": "Ann"}).json()
    client.post("/customers", json={"email": "bob@example.com", "name": "Bob"})
    order = {"customer_id": ann["id"], "placed_at": "2024-01-02T00:00:00Z", "total": "5.00"}
    assert client.post("/orders", json=order).status_code == 201
    where = json.dumps({"or": [{"name": {"eq": "Bob"}}, {"orders": {"total": {"ge": "5"}}}]})
    page = client.get("/customers", params={"where": where, "order_by": "-name"}).json()
    assert [c["name"] for c in page["items"]] == ["Bob", "Ann"]
    assert (page["total"], page["limit"], page["offset"]) == (2, 50, 0)
    keyset = client.get("/customers", params={"cursor": "", "limit": 1, "order_by": "name"})
    assert keyset.status_code in (200, 400), keyset.text
    loaded = client.get(f"/customers/{ann['id']}", params={"load": "orders"}).json()
    assert [o["total"] for o in loaded["orders"]] == ["5.00"]
    listed = client.get("/customers", params={"load": "orders", "order_by": "name"}).json()
    assert [len(c["orders"]) for c in listed["items"]] == [1, 0]
    bad = client.get("/customers", params={"where": json.dumps({"name": {"regex": "."}})})
    _invalid(bad, "where.name.regex", "query")
    deep = json.dumps({"not": {"not": {"not": {"not": {"not": {"not": {"not": {}}}}}}}})
    assert "deeper" in _invalid(
        client.get("/customers", params={"where": deep}), "where.not", "query"
    )
    nested_bad = json.dumps({"or": [{"orders": {"total": {"ge": "x"}}}]})
    answer = client.get("/customers", params={"where": nested_bad})
    _invalid(answer, "where.or[0].orders.total.ge", "query")


def test_openapi_documents_the_pydantic_bounds(lite_client: Any) -> None:
    client = lite_client
    document = client.get(client.openapi_path).json()
    components = document["components"]["schemas"]
    create = components["CustomerCreate"]
    assert create["properties"]["name"]["maxLength"] == 100
    assert "default" not in create["properties"]["id"]  # UNSET: absent, no default shown
    # The wire names, not the Python ones (Litestar's plugin reads `alias`: issue 17, point 3).
    customer_filter = components["CustomerFilter"]["properties"]
    assert {"and", "or", "not"} <= set(customer_filter) and "and_" not in customer_filter
    eq = next(v for k, v in components.items() if k.startswith("EqFilter"))["properties"]
    assert "in" in eq and "in_" not in eq
    if client.framework == "fastapi":
        assert create["additionalProperties"] is False
        assert "OffsetPage_CustomerRead_" in components
    refs = json.dumps(document)
    for ref in set(part.split('"')[0] for part in refs.split("#/components/schemas/")[1:]):
        assert ref in components, ref


@pytest.mark.parametrize(
    ("where", "key"),
    [
        ({"name": {"like": "50\\"}}, "where.name.like"),  # ends in the escape character
        ({"name": {"eq": "a\x00"}}, "where.name.eq"),  # NUL
        ({"orders": {"id": {"gt": 2**31}}}, "where.orders.id.gt"),  # beyond INTEGER
        ({"created_at": {"lt": "2024-01-01T00:00:00"}}, "where.created_at.lt"),  # naive
        ({"orders": {"total": {"eq": "Infinity"}}}, "where.orders.total.eq"),  # by pydantic
        ({"orders": {"total": {"eq": "1e999999"}}}, "where.orders"),  # the Filter's own check
        ({"and": [{"name": {"in": "x"}}]}, "where.and[0].name.in"),
        ({"and_": []}, "where.and_"),  # Python names are not wire names
    ],
)
def test_hostile_filters_answer_400_naming_the_field(
    lite_client: Any, where: dict[str, Any], key: str
) -> None:
    answer = lite_client.get("/customers", params={"where": json.dumps(where)})
    _invalid(answer, key, "query")
