"""test_web_hostile.py's filter, query and body cases against `dto = "pydantic"` apps (issue 17,
point 5): pydantic decodes what msgspec decodes there, and must answer the same 400s naming the
field, never a 5xx. Kept cheap: its models, generated once more with pydantic DTOs (no lint: the
golden case pydantic_on is linted), SQLite only, both frameworks; plus the decoding cases the
shared suite does not send (oversize text, unknown fields, wrong types, bad enum values, deep
filters, huge integers)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.pool import NullPool
from sublimate_runtime import create_async_engine

from . import test_web_hostile as shared
from .support import make_project, on_path, run

pytest.importorskip("pydantic")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = make_project(
        tmp_path_factory.mktemp("web-hostile-pydantic"),
        shared.PACKAGE,
        shared.MODELS,
        extra='litestar = true\nfastapi = true\ndto = "pydantic"\n',
    )
    with on_path(root, shared.PACKAGE):
        result = run("generate", project=root)
        assert result.exit_code == 0, result.output
        yield root


@pytest.fixture(params=sorted(shared.FRAMEWORKS))
def client(request: pytest.FixtureRequest, project: Path, scratch_database: Any) -> Iterator[Any]:
    framework = shared.FRAMEWORKS[request.param]
    pytest.importorskip(framework.testing)
    database = scratch_database("sqlite")
    shared.make_tables(database.url, database.connect_args)
    engine = create_async_engine(
        database.async_url, connect_args=database.async_connect_args, poolclass=NullPool
    )
    app = shared.create_app(framework)(engine=engine, debug=False)
    with shared.open_client(framework, app) as opened:
        yield opened


def test_the_dtos_are_pydantic(project: Path) -> None:
    dtos = (project / shared.PACKAGE / "db" / "dtos" / "item.py").read_text()
    assert "class ItemCreate(InputModel):" in dtos


def test_shared_filter_cases(client: Any) -> None:
    shared.test_hostile_filters_answer_400_naming_the_field(client)


def test_shared_path_cursor_and_page_cases(client: Any) -> None:
    shared.test_hostile_paths_cursors_and_pages_answer_400(client)


def test_shared_body_cases(client: Any) -> None:
    shared.test_hostile_bodies_answer_400_naming_the_field(client)


def test_decoding_cases_answer_400_never_5xx(client: Any) -> None:
    assert client.post("/bins", json={"code": "A1"}).status_code == 201
    good = {"name": "bolt", "qty": 5}
    created = client.post("/items", json=good)
    assert created.status_code == 201, created.text
    item = f"/items/{created.json()['id']}"
    bad = {
        "name": "n" * 41,  # String(40)
        "qty": "five",
        "big": 10**30,
        "tag": "medium",  # not one of the Literal's values
        "seen_at": "yesterday",
        "ref": 12,
        "note": ["a"],
    }
    for field, value in bad.items():
        shared.refused(client.post("/items", json={**good, "name": "x", field: value}), 400, field)
        shared.refused(client.patch(item, json={field: value}), 400, field)
    shared.refused(client.post("/items", json={**good, "surprise": 1}), 400, "surprise")
    shared.refused(client.patch(item, json={"id": "x", "nope": None}), 400)
    for body in ("[]", '"x"', "{", '{"name": "a\\ud800"}', "1e999999"):
        answer = client.post("/items", content=body, headers={"content-type": "application/json"})
        assert 400 <= answer.status_code < 500, (body, answer.status_code, answer.text)
    deep: dict[str, Any] = {"qty": {"eq": 1}}
    for _ in range(40):
        deep = {"not": deep}
    shared.refused(shared.where(client, json.dumps(deep)), 400, "deeper")
    wide = {"or": [{"qty": {"eq": n}} for n in range(300)]}
    shared.refused(shared.where(client, json.dumps(wide)), 400, "filters")
    for conditions in (
        '{"qty": {"eq": "x"}}',
        '{"qty": {"in": 5}}',
        '{"tag": {"eq": "medium"}}',
        '{"nope": {"eq": 1}}',
        '{"and_": []}',
        '{"or": {"qty": {"eq": 1}}}',
        '{"big": {"eq": 1' + "0" * 600 + "}}",
    ):
        answer = shared.where(client, conditions)
        assert answer.status_code == 400, (conditions, answer.status_code, answer.text[:300])
    assert client.get(item).json()["name"] == "bolt"  # nothing was written
