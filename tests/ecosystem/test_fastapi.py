"""The generated FastAPI routers and app factory (`fastapi = true`), through FastAPI's test client
on SQLite and PostgreSQL, async routes (the default sessions) and sync ones (`sessions =
["sync"]`): every endpoint, list pages (filter, order, limit/offset, keyset cursor), `load`, the
error answers naming the field, the session per request (commit, rollback) and the OpenAPI
schema's bounds. The hostile-request suite, shared with the Litestar app, is
tests/ecosystem/test_web_hostile.py."""

from __future__ import annotations

import importlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool
from sublimate_runtime import NotFoundError, create_async_engine, create_engine

from .support import lint, make_project, on_path, run

fastapi_testing = pytest.importorskip("fastapi.testclient")
from sublimate_runtime.fastapi import AsyncDbSession, DbSession  # noqa: E402 (FastAPI reads them)

MODELS = """
    from __future__ import annotations

    import enum
    import uuid

    from sqlalchemy import CheckConstraint, Enum, ForeignKey, SmallInteger, String
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


    class Base(DeclarativeBase):
        pass


    class Rating(enum.Enum):
        G = "g"
        R = "r"


    class Genre(Base):
        __tablename__ = "genres"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(40), unique=True)
        films: Mapped[list[Film]] = relationship(back_populates="genre")


    class Film(Base):
        __tablename__ = "films"
        __table_args__ = (CheckConstraint("year > 1800", name="ck_films_year"),)
        id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
        title: Mapped[str] = mapped_column(String(100))
        year: Mapped[int | None]
        genre_id: Mapped[int] = mapped_column(ForeignKey("genres.id"))
        rating: Mapped[Rating] = mapped_column(Enum(Rating, name="film_rating"), default=Rating.G)
        genre: Mapped[Genre] = relationship(back_populates="films")


    class Casting(Base):
        __tablename__ = "castings"
        film_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("films.id"), primary_key=True)
        position: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
        actor: Mapped[str] = mapped_column(String(60))
"""
SESSIONS = {"async": "fa_async", "sync": "fa_sync"}  # the flavour of routes -> its package


@pytest.fixture(scope="module", params=sorted(SESSIONS))
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    flavour, package = request.param, SESSIONS[request.param]
    extra = "fastapi = true\n" + ('sessions = ["sync"]\n' if flavour == "sync" else "")
    root = make_project(tmp_path_factory.mktemp(f"fastapi-{flavour}"), package, MODELS, extra=extra)
    (root / "pyproject.toml").write_text(
        (root / "pyproject.toml").read_text()
        + '\n[tool.ruff]\nline-length = 100\nsrc = ["."]\n'
        + '[tool.ruff.lint]\nselect = ["E", "F", "I", "UP", "B", "SIM", "RUF"]\n'
    )
    with on_path(root, package):
        result = run("generate", project=root)
        assert result.exit_code == 0, result.output
        yield flavour, root, package


@pytest.fixture(params=["sqlite", "postgresql"])
def client(request: pytest.FixtureRequest, project: Any, scratch_database: Any) -> Iterator[Any]:
    flavour, _, package = project
    database = scratch_database(request.param, schema=True)
    models = importlib.import_module(f"{package}.models")
    tables = sa.create_engine(database.url, connect_args=database.connect_args)
    models.Base.metadata.create_all(tables)
    tables.dispose()
    create_app = importlib.import_module(f"{package}.db.fastapi_app").create_app
    engine: Any
    if flavour == "async":
        engine = create_async_engine(
            database.async_url, connect_args=database.async_connect_args, poolclass=NullPool
        )
    else:
        engine = create_engine(database.url, connect_args=database.connect_args, poolclass=NullPool)
    with fastapi_testing.TestClient(
        create_app(engine=engine), raise_server_exceptions=False
    ) as test_client:
        yield test_client


def test_routes_follow_the_sessions_setting(project: Any) -> None:
    flavour, root, package = project
    router = (root / package / "db" / "routers" / "film.py").read_text()
    if flavour == "async":
        assert "async def get_item(\n    session: AsyncDbSession," in router
        assert "    await AsyncFilmService(session).delete(item_id)\n" in router
    else:
        assert "\ndef get_item(\n    session: DbSession," in router
        assert "    FilmService(session).delete(item_id)\n" in router
        assert "async def" not in router and "Async" not in router


def test_output_passes_mypy_strict_and_ruff(project: Any, mypy_cache: Path) -> None:
    _, root, _ = project
    lint(root, mypy_cache)


def test_generation_without_fastapi_is_unchanged(project: Any, tmp_path: Path) -> None:
    """`fastapi = true` adds routers/ and fastapi_app.py and changes no other generated file."""
    flavour, root, package = project
    extra = 'sessions = ["sync"]\n' if flavour == "sync" else ""
    plain = make_project(tmp_path, package, MODELS, extra=extra)
    with on_path(plain, package):
        assert run("generate", project=plain).exit_code == 0

    def files(base: Path) -> dict[str, str]:
        out = base / package / "db"
        return {str(p.relative_to(out)): p.read_text() for p in out.rglob("*.py")}

    with_fastapi, without = files(root), files(plain)
    added = sorted(set(with_fastapi) - set(without))
    assert added == [
        "fastapi_app.py",
        "routers/__init__.py",
        "routers/casting.py",
        "routers/film.py",
        "routers/genre.py",
    ]
    assert not set(without) - set(with_fastapi)
    assert all(with_fastapi[name] == text for name, text in without.items())


def genre_and_film(client: Any, name: str = "drama") -> tuple[dict[str, Any], dict[str, Any]]:
    genre = client.post("/genres", json={"name": name})
    assert genre.status_code == 201, genre.text
    film = client.post("/films", json={"title": "Heat", "genre_id": genre.json()["id"]})
    assert film.status_code == 201, film.text
    return genre.json(), film.json()


def test_every_endpoint(client: Any) -> None:
    genre, film = genre_and_film(client)
    assert film["rating"] == "g" and uuid.UUID(film["id"])
    item = f"/films/{film['id']}"
    assert client.get(item).json() == film
    changed = client.patch(item, json={"year": 1995})
    assert changed.status_code == 200 and changed.json()["year"] == 1995
    assert client.get(item).json()["year"] == 1995  # committed: the next request sees it
    upserted = client.put("/genres", json={"name": "drama"})  # upserts on the unique name
    assert upserted.status_code == 200, upserted.text
    assert upserted.json() == genre
    assert client.put("/genres", json={"name": "crime"}).json()["id"] != genre["id"]
    assert client.get("/genres").json()["total"] == 2
    casting = client.post("/castings", json={"film_id": film["id"], "position": 1, "actor": "Al"})
    assert casting.status_code == 201, casting.text
    cast = f"/castings/{film['id']}/1"
    assert client.patch(cast, json={"actor": "Robert"}).json()["actor"] == "Robert"
    deleted = client.delete(cast)
    assert deleted.status_code == 204 and deleted.content == b""
    assert client.get(cast).status_code == 404
    assert client.get("/castings").json()["total"] == 0


def test_list_filter_order_limit_offset_and_cursor(client: Any) -> None:
    genre = client.post("/genres", json={"name": "drama"}).json()
    for number, title in enumerate(["Alien", "Brazil", "Casino", "Dune", "Akira"]):
        body = {"title": title, "genre_id": genre["id"], "year": 1979 + number}
        assert client.post("/films", json=body).status_code == 201
    where = json.dumps({"title": {"startswith": "A"}})
    page = client.get("/films", params={"where": where, "order_by": ["-title"]}).json()
    assert [f["title"] for f in page["items"]] == ["Alien", "Akira"] and page["total"] == 2
    page = client.get("/films", params={"order_by": ["title"], "limit": 2, "offset": 1}).json()
    assert [f["title"] for f in page["items"]] == ["Alien", "Brazil"] and page["total"] == 5
    seen: list[str] = []
    params: dict[str, Any] = {"cursor": "", "order_by": ["-year"], "limit": 2}
    while True:
        page = client.get("/films", params=params).json()
        seen += [f["title"] for f in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == ["Akira", "Dune", "Casino", "Brazil", "Alien"]
    # A cursor made for another order is refused, naming the parameter.
    other = client.get("/films", params={**params, "order_by": ["title"]})
    assert other.status_code == 400 and other.json()["extra"][0]["key"] == "cursor"
    both = client.get("/films", params={"cursor": "", "offset": 1})
    assert both.status_code == 400 and "offset" in both.json()["detail"]


def test_load_returns_nested_dtos(client: Any) -> None:
    genre, _ = genre_and_film(client)
    one = client.get(f"/genres/{genre['id']}", params={"load": ["films"]}).json()
    assert [f["title"] for f in one["films"]] == ["Heat"]
    assert "films" not in client.get(f"/genres/{genre['id']}").json()
    page = client.get("/films", params={"load": ["genre"]}).json()
    assert page["items"][0]["genre"] == genre
    keyset = client.get("/films", params={"load": ["genre"], "cursor": ""}).json()
    assert keyset["items"][0]["genre"]["name"] == "drama"
    bad = client.get("/films", params={"load": ["genre.films", "nope"]})
    assert bad.status_code == 400 and bad.json()["extra"][0]["key"].startswith("load")


def test_errors_name_the_field(client: Any) -> None:
    genre, film = genre_and_film(client)
    missing = client.get(f"/films/{uuid.uuid4()}")
    assert missing.status_code == 404 and "Film" in missing.json()["detail"]
    # FastAPI's own answers take the same shape.
    assert client.get("/nope").json() == {"status_code": 404, "detail": "Not Found"}
    not_allowed = client.put(f"/films/{film['id']}")
    assert not_allowed.status_code == 405 and not_allowed.json()["status_code"] == 405
    assert "GET" in not_allowed.headers["allow"]
    conflict = client.post("/genres", json={"name": "drama"})
    assert conflict.status_code == 409 and conflict.json()["columns"] == ["name"]
    check = client.post("/films", json={"title": "Old", "genre_id": genre["id"], "year": 1700})
    assert check.status_code == 422, check.text
    assert check.json()["constraint"] == "ck_films_year"
    dangling = client.post("/films", json={"title": "Lost", "genre_id": 999})
    assert dangling.status_code == 409, dangling.text
    for body, key in (
        ({"name": "x" * 41}, "name"),
        ({"name": 5}, "name"),
        ({"nme": "typo", "name": "y"}, "nme"),
    ):
        answer = client.post("/genres", json=body)
        assert answer.status_code == 400, answer.text
        assert [(e["key"], e["source"]) for e in answer.json()["extra"]] == [(key, "body")]
        assert key in answer.json()["detail"]
    malformed = client.post("/genres", content=b'{"name": ')
    assert malformed.status_code == 400 and malformed.json()["extra"][0]["source"] == "body"
    for path, key in (
        ("/genres/2147483648", "item_id"),
        ("/films/nope", "item_id"),
        (f"/castings/{film['id']}/70000", "position"),
    ):
        answer = client.get(path)
        assert answer.status_code == 400 and answer.json()["extra"][0]["key"] == key
    bad_where = client.get("/films", params={"where": '{"year": {"gt": "soon"}}'})
    assert bad_where.status_code == 400
    assert bad_where.json()["extra"] == [
        {"key": "where.year.gt", "source": "query", "message": "Expected `int`, got `str`"}
    ]
    for params, key in (({"limit": 201}, "limit"), ({"order_by": ["nope"]}, "order_by")):
        answer = client.get("/films", params=params)
        assert answer.status_code == 400 and answer.json()["extra"][0]["key"].startswith(key)


def test_a_failed_request_rolls_back_and_the_next_one_works(client: Any, project: Any) -> None:
    """The session dependency: what a route wrote before it raised is rolled back (a route of
    the test's own, on the app's session, writes a row, flushes it and then fails)."""
    flavour, _, package = project
    genre_model = importlib.import_module(f"{package}.models").Genre

    async def write_then_fail(session: AsyncDbSession) -> None:
        session.add(genre_model(id=77, name="ghost"))
        await session.flush()
        raise NotFoundError("Genre", {"id": 78})

    def write_then_fail_sync(session: DbSession) -> None:
        session.add(genre_model(id=77, name="ghost"))
        session.flush()
        raise NotFoundError("Genre", {"id": 78})

    route = write_then_fail if flavour == "async" else write_then_fail_sync
    client.app.add_api_route("/ghost", route, methods=["POST"])
    assert client.post("/ghost").status_code == 404
    assert client.get("/genres/77").status_code == 404  # rolled back
    _, film = genre_and_film(client)
    refused = client.patch(f"/films/{film['id']}", json={"year": 1700, "title": "Changed"})
    assert refused.status_code == 422
    assert client.get(f"/films/{film['id']}").json()["title"] == "Heat"
    assert client.post("/genres", json={"name": "drama"}).status_code == 409
    assert client.post("/genres", json={"name": "noir"}).status_code == 201
    assert client.get("/genres").json()["total"] == 2


def test_openapi_documents_every_bound(client: Any) -> None:
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    assert components["GenreCreate"]["properties"]["name"]["maxLength"] == 40
    assert "HTTPValidationError" not in components  # FastAPI's 422 is our 400
    genres = schema["paths"]["/genres"]
    listing = {p["name"]: p for p in genres["get"]["parameters"]}
    limit = listing["limit"]["schema"]
    assert (limit["minimum"], limit["maximum"]) == (1, 200)
    assert listing["offset"]["schema"]["maximum"] == 2**63 - 1
    where = listing["where"]["schema"]
    assert where["contentSchema"] == {"$ref": "#/components/schemas/GenreFilter"}
    assert "GenreFilter" in components and "cursor" in listing and "load" in listing
    assert genres["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/GenreCreate"
    }
    answers = genres["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert {"$ref": "#/components/schemas/OffsetPage_GenreRead_"} in answers["anyOf"]
    item = schema["paths"]["/castings/{film_id}/{position}"]["get"]
    key = next(p for p in item["parameters"] if p["name"] == "position")["schema"]
    assert (key["minimum"], key["maximum"]) == (-32768, 32767)
    assert "400" in item["responses"] and "422" not in item["responses"]
    for ref in json.dumps(schema).split('"$ref": "#/components/schemas/')[1:]:
        assert ref.split('"')[0] in components  # every reference resolves


CLASHING = """
    from sqlalchemy import String
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    # Key columns named like what a route binds: their path parameters get names of their own.
    class Slot(Base):
        __tablename__ = "slots"
        session: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
        data: Mapped[str] = mapped_column(String(5), primary_key=True)
        router: Mapped[str | None]
"""


def test_key_columns_named_like_route_parameters(tmp_path: Path) -> None:
    package = "fa_clash"
    root = make_project(tmp_path, package, CLASHING, extra='fastapi = true\nsessions = ["sync"]\n')
    with on_path(root, package):
        assert run("generate", project=root).exit_code == 0
        router = (root / package / "db" / "routers" / "slot.py").read_text()
        assert '"/{session_2}/{data_2}"' in router
        models = importlib.import_module(f"{package}.models")
        create_app = importlib.import_module(f"{package}.db.fastapi_app").create_app
        engine = create_engine(f"sqlite:///{tmp_path / 'clash.db'}")
        models.Base.metadata.create_all(engine)
        with fastapi_testing.TestClient(create_app(engine=engine)) as client:
            body = {"session": 3, "data": "ab", "router": "r"}
            assert client.post("/slots", json=body).status_code == 201
            assert client.get("/slots/3/ab").json() == body
            assert client.patch("/slots/3/ab", json={"router": "s"}).json()["router"] == "s"
            answer = client.get("/slots/3/abcdef")
            assert answer.status_code == 400 and answer.json()["extra"][0]["key"] == "data_2"
            assert client.delete("/slots/3/ab").status_code == 204
