"""The generated Litestar controllers and app factory (`litestar = true`), through Litestar's test
client on SQLite and PostgreSQL: every endpoint, including bad input."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from .support import lint, make_project, on_path, run

litestar_testing = pytest.importorskip("litestar.testing")

PACKAGE = "lsapp"
MODELS = """
    from __future__ import annotations

    import uuid

    from sqlalchemy import ForeignKey, String
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Genre(Base):
        __tablename__ = "genres"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(40), unique=True)


    class Film(Base):
        __tablename__ = "films"
        id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
        title: Mapped[str] = mapped_column(String(100))
        year: Mapped[int | None]
        genre_id: Mapped[int] = mapped_column(ForeignKey("genres.id"))
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = make_project(
        tmp_path_factory.mktemp("litestar"), PACKAGE, MODELS, extra="litestar = true\n"
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


def test_generated_only_when_asked(project: Path, tmp_path: Path) -> None:
    out = project / PACKAGE / "db"
    assert (out / "app.py").is_file()
    assert sorted(p.name for p in (out / "controllers").glob("*.py")) == [
        "__init__.py",
        "film.py",
        "genre.py",
    ]
    plain = make_project(tmp_path / "plain", "plainapp", MODELS)
    with on_path(plain, "plainapp"):
        assert run("generate", project=plain).exit_code == 0
    assert not (plain / "plainapp" / "db" / "controllers").exists()
    assert not (plain / "plainapp" / "db" / "app.py").exists()


def test_output_passes_mypy_strict_and_ruff(project: Path, pytestconfig: pytest.Config) -> None:
    lint(
        project,
        pytestconfig.cache.mkdir("ecosystem-mypy")
        if getattr(pytestconfig, "cache", None)
        else Path(),
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def client(request: pytest.FixtureRequest, project: Path, scratch_database: Any) -> Iterator[Any]:
    from lsapp import models  # type: ignore[import-not-found]
    from lsapp.db.app import create_app  # type: ignore[import-not-found]

    database = scratch_database(request.param, schema=True)
    sync_engine = sa.create_engine(database.url, connect_args=database.connect_args)
    models.Base.metadata.create_all(sync_engine)
    sync_engine.dispose()
    # NullPool: the test client runs the app on an event loop of its own.
    engine = create_async_engine(
        database.async_url, connect_args=database.async_connect_args, poolclass=NullPool
    )
    with litestar_testing.TestClient(create_app(engine=engine)) as test_client:
        yield test_client


def test_every_endpoint(client: Any) -> None:
    created = client.post("/genres", json={"name": "noir"})
    assert created.status_code == 201
    noir = created.json()
    assert noir == {"id": noir["id"], "name": "noir"}

    duplicate = client.post("/genres", json={"name": "noir"})
    assert duplicate.status_code == 409
    assert duplicate.json()["columns"] == ["name"]
    # The failed insert was rolled back: the session of the next request works.
    assert client.post("/genres", json={"name": "western"}).status_code == 201

    assert client.get(f"/genres/{noir['id']}").json() == noir
    assert client.get("/genres/999").status_code == 404

    films = [
        client.post("/films", json={"title": t, "year": y, "genre_id": noir["id"]}).json()
        for t, y in (("Laura", 1944), ("Gilda", 1946), ("Detour", 1945))
    ]
    assert all(uuid.UUID(film["id"]) for film in films)

    page = client.get("/films", params={"order_by": "-year", "limit": 2}).json()
    assert [f["title"] for f in page["items"]] == ["Gilda", "Detour"]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
    where = json.dumps({"title": {"startswith": "L"}})
    assert [f["title"] for f in client.get("/films", params={"where": where}).json()["items"]] == [
        "Laura"
    ]

    changed = client.patch(f"/films/{films[0]['id']}", json={"year": 1945})
    assert changed.status_code == 200 and changed.json()["year"] == 1945
    assert changed.json()["title"] == "Laura"
    assert client.patch(f"/films/{uuid.uuid4()}", json={"year": 1}).status_code == 404

    upserted = client.put("/genres", json={"name": "noir"})
    assert upserted.status_code == 200 and upserted.json()["id"] == noir["id"]
    assert client.put("/genres", json={"name": "horror"}).status_code == 200
    assert client.get("/genres").json()["total"] == 3

    assert client.delete(f"/films/{films[1]['id']}").status_code == 204
    assert client.delete(f"/films/{films[1]['id']}").status_code == 404
    assert client.get("/films").json()["total"] == 2


def test_keyset_pages(client: Any) -> None:
    for name in ("a", "b", "c"):
        assert client.post("/genres", json={"name": name}).status_code == 201
    names: list[str] = []
    cursor = ""  # empty: the first keyset page
    pages = 0
    while cursor is not None:
        response = client.get("/genres", params={"limit": 2, "cursor": cursor})
        assert response.status_code == 200
        page = response.json()
        assert "total" not in page
        names.extend(g["name"] for g in page["items"])
        cursor = page["next_cursor"]
        pages += 1
    assert (names, pages) == (["a", "b", "c"], 2)


def test_bad_input_is_400_with_the_reason(client: Any) -> None:
    cases = {
        "where": ({"where": "{bad"}, "where: JSON is malformed"),
        "unknown filter field": ({"where": json.dumps({"nope": {"eq": 1}})}, "where: "),
        "order": ({"order_by": "nope"}, "Invalid enum value 'nope'"),
        "limit": ({"limit": 10_000}, "<= 200"),
        "offset": ({"offset": -1}, ">= 0"),
        "cursor": ({"cursor": "zzz"}, "cursor: invalid cursor"),
        "cursor and offset": ({"cursor": "zzz", "offset": 3}, "cannot be combined"),
    }
    for name, (params, reason) in cases.items():
        response = client.get("/films", params=params)
        assert response.status_code == 400, name
        assert reason in json.dumps(response.json()), (name, response.json())
    long_name = client.post("/genres", json={"name": "x" * 41})
    assert long_name.status_code == 400
    assert client.post("/genres", json={"title": "no name"}).status_code == 400
    assert client.get("/films/not-a-uuid").status_code == 404  # no route matches


def test_foreign_key_violation_is_409(client: Any, request: pytest.FixtureRequest) -> None:
    if request.node.callspec.params["client"] == "sqlite":
        pytest.skip("SQLite does not enforce foreign keys without PRAGMA foreign_keys")
    orphan = client.post("/films", json={"title": "Orphan", "genre_id": 12345})
    assert orphan.status_code == 409
    assert client.get("/films").json()["total"] == 0


def test_openapi_shows_the_dto_constraints(client: Any) -> None:
    schemas = client.get("/schema/openapi.json").json()["components"]["schemas"]
    genre = schemas["GenreCreate"]
    assert genre["properties"]["name"]["maxLength"] == 40
    assert genre["required"] == ["name"]
