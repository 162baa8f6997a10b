"""The generated Litestar controllers and app factory (`litestar = true`), through Litestar's test
client on SQLite and PostgreSQL: every endpoint, including bad input; composite keys (one path
parameter per key column) and read-only entities (a view, a table without a primary key: no write
routes), from models and from a live database."""

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

# The generated code uses no API Litestar has deprecated (inferred dependencies, say): it would
# stop working in Litestar 3.0.
pytestmark = pytest.mark.filterwarnings(
    "error::litestar.exceptions.base_exceptions.LitestarDeprecationWarning"
)

PACKAGE = "lsapp"
MODELS = """
    from __future__ import annotations

    import enum
    import uuid

    from sqlalchemy import Enum, ForeignKey, String
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Rating(enum.Enum):
        G = "g"
        PG = "pg"
        R = "r"


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
        rating: Mapped[Rating] = mapped_column(Enum(Rating, name="film_rating"), default=Rating.G)
        age_rating: Mapped[Rating | None] = mapped_column(Enum(Rating, name="film_rating"))


    # A composite primary key of two types: /castings/{film_id:uuid}/{position:int}.
    class Casting(Base):
        __tablename__ = "castings"
        film_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("films.id"), primary_key=True)
        position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
        actor: Mapped[str] = mapped_column(String(60))


    # Mapped onto a view (the test creates it): read-only, with a key.
    class GenreCount(Base):
        __tablename__ = "genre_counts"
        __table_args__ = ({"info": {"is_view": True}},)
        genre_id: Mapped[int] = mapped_column(primary_key=True)
        films: Mapped[int]
"""
GENRE_COUNTS = (
    "CREATE VIEW genre_counts AS SELECT genre_id, COUNT(*) AS films FROM films GROUP BY genre_id"
)


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
        "casting.py",
        "film.py",
        "genre.py",
        "genre_count.py",
    ]
    plain = make_project(tmp_path / "plain", "plainapp", MODELS)
    with on_path(plain, "plainapp"):
        assert run("generate", project=plain).exit_code == 0
    assert not (plain / "plainapp" / "db" / "controllers").exists()
    assert not (plain / "plainapp" / "db" / "app.py").exists()


def test_output_passes_mypy_strict_and_ruff(project: Path, mypy_cache: Path) -> None:
    lint(
        project,
        mypy_cache,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def client(request: pytest.FixtureRequest, project: Path, scratch_database: Any) -> Iterator[Any]:
    from lsapp import models  # type: ignore[import-not-found]
    from lsapp.db.app import create_app  # type: ignore[import-not-found]

    database = scratch_database(request.param, schema=True)
    sync_engine = sa.create_engine(database.url, connect_args=database.connect_args)
    tables = [t for t in models.Base.metadata.sorted_tables if not t.info.get("is_view")]
    models.Base.metadata.create_all(sync_engine, tables=tables)
    with sync_engine.begin() as connection:
        connection.execute(sa.text(GENRE_COUNTS))
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


def test_keyset_pages_in_any_order_both_ways(client: Any) -> None:
    genre = client.post("/genres", json={"name": "noir"}).json()["id"]
    years = [1946, None, 1944, 1946, None, 1945, 1944]
    for i, year in enumerate(years):
        film = {"title": f"F{i}", "year": year, "genre_id": genre}
        assert client.post("/films", json=film).status_code == 201
    order = {"order_by": ["-year", "title"], "limit": 3}
    listed = [
        f["title"] for f in client.get("/films", params={**order, "limit": 50}).json()["items"]
    ]
    assert listed == ["F1", "F4", "F0", "F3", "F5", "F2", "F6"]  # NULLs first when descending
    pages = [client.get("/films", params={**order, "cursor": ""}).json()]
    while pages[-1]["next_cursor"] is not None:
        pages.append(
            client.get("/films", params={**order, "cursor": pages[-1]["next_cursor"]}).json()
        )
    assert [f["title"] for p in pages for f in p["items"]] == listed
    assert pages[0]["prev_cursor"] is None and len(pages) == 3
    back = client.get("/films", params={**order, "cursor": pages[2]["prev_cursor"]}).json()
    assert back["items"] == pages[1]["items"] and back["next_cursor"] is not None
    cursor = pages[1]["next_cursor"]
    for other in ({"order_by": "year"}, {"where": json.dumps({"title": {"startswith": "F"}})}):
        response = client.get("/films", params={**order, **other, "cursor": cursor})
        assert response.status_code == 400
        assert "another order or filter" in response.json()["detail"]
    operation = client.get("/schema/openapi.json").json()["paths"]["/films"]["get"]
    documented = {p["name"]: p.get("description", "") for p in operation["parameters"]}
    assert "prev_cursor" in documented["cursor"] and "NULLs" in documented["order_by"]


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


def alternatives(schema: dict[str, Any], schemas: dict[str, Any]) -> list[dict[str, Any]]:
    """The schemas a property accepts: its oneOf/anyOf branches, `$ref`s resolved."""
    branches = schema.get("oneOf") or schema.get("anyOf") or [schema]
    resolved = []
    for branch in branches:
        if "$ref" in branch:
            branch = schemas[branch["$ref"].rsplit("/", 1)[1]]
        resolved.append(branch)
    return resolved


def allows_null(schema: dict[str, Any], schemas: dict[str, Any]) -> bool:
    for branch in alternatives(schema, schemas):
        kinds = branch.get("type")
        if kinds == "null" or (isinstance(kinds, list) and "null" in kinds):
            return True
    return False


def enum_values(schema: dict[str, Any], schemas: dict[str, Any]) -> set[Any]:
    return {value for branch in alternatives(schema, schemas) for value in branch.get("enum", ())}


def test_openapi_shows_the_dto_constraints(client: Any) -> None:
    schemas = client.get("/schema/openapi.json").json()["components"]["schemas"]
    genre = schemas["GenreCreate"]
    assert genre["properties"]["name"]["maxLength"] == 40
    assert genre["required"] == ["name"]

    def prop(dto: str, name: str) -> dict[str, Any]:
        return dict(schemas[dto]["properties"][name])

    # Enums: the values (what the API takes and returns), not the member names.
    for dto in ("FilmCreate", "FilmUpdate", "FilmRead"):
        assert enum_values(prop(dto, "rating"), schemas) == {"g", "pg", "r"}, dto
        assert enum_values(prop(dto, "age_rating"), schemas) == {"g", "pg", "r"}, dto

    # Nullability: a nullable column accepts and returns null, a NOT NULL one never.
    for dto in ("FilmCreate", "FilmUpdate", "FilmRead"):
        assert allows_null(prop(dto, "year"), schemas), dto
        assert allows_null(prop(dto, "age_rating"), schemas), dto
        assert not allows_null(prop(dto, "title"), schemas), dto
        assert not allows_null(prop(dto, "rating"), schemas), dto
        assert not allows_null(prop(dto, "genre_id"), schemas), dto
    # Required: on create, NOT NULL columns without a default; on read, every column.
    assert sorted(schemas["FilmCreate"]["required"]) == ["genre_id", "title"]
    assert schemas["FilmUpdate"].get("required", []) == []
    assert sorted(schemas["FilmRead"]["required"]) == [
        "age_rating",
        "genre_id",
        "id",
        "rating",
        "title",
        "year",
    ]
    # What the schema says is what the API does.
    genre = client.post("/genres", json={"name": "noir"}).json()
    film = {"title": "Laura", "genre_id": genre["id"], "rating": "pg", "age_rating": None}
    created = client.post("/films", json=film)
    assert created.status_code == 201
    assert {k: created.json()[k] for k in ("rating", "age_rating", "year")} == {
        "rating": "pg",
        "age_rating": None,
        "year": None,
    }
    assert client.post("/films", json={**film, "rating": "PG"}).status_code == 400  # a name
    assert client.post("/films", json={**film, "rating": None}).status_code == 400
    assert client.post("/films", json={**film, "title": None}).status_code == 400
    changed = client.patch(f"/films/{created.json()['id']}", json={"age_rating": "r"})
    assert changed.json()["age_rating"] == "r"
    cleared = client.patch(f"/films/{created.json()['id']}", json={"age_rating": None})
    assert cleared.json()["age_rating"] is None
    assert client.patch(f"/films/{created.json()['id']}", json={"rating": None}).status_code == 400

    # A composite key's columns are both required on create; the Update DTO has neither.
    assert sorted(schemas["CastingCreate"]["required"]) == ["actor", "film_id", "position"]
    assert set(schemas["CastingUpdate"]["properties"]) == {"actor"}
    # The item routes document one path parameter per key column, typed (an integer with the range
    # of its SQL type).
    operation = client.get("/schema/openapi.json").json()["paths"][
        "/castings/{film_id}/{position}"
    ]["get"]
    parameters = {p["name"]: p for p in operation["parameters"] if p["in"] == "path"}
    assert parameters["film_id"]["schema"] == {"type": "string", "format": "uuid"}
    assert parameters["position"]["schema"] == {
        "type": "integer",
        "minimum": -(2**31),
        "maximum": 2**31 - 1,
    }
    assert all(p["required"] for p in parameters.values())


def routes(client: Any, prefix: str) -> set[tuple[str, str]]:
    """(method, path) of every route under `prefix`."""
    app = client.app
    return {
        (method, route.path)
        for route in app.routes
        if route.path.startswith(prefix)
        for method in route.methods
        if method not in ("HEAD", "OPTIONS")
    }


def test_composite_key_item_routes(client: Any) -> None:
    genre = client.post("/genres", json={"name": "noir"}).json()
    film = client.post("/films", json={"title": "Laura", "genre_id": genre["id"]}).json()
    assert routes(client, "/castings") == {
        ("GET", "/castings"),
        ("POST", "/castings"),
        ("PUT", "/castings"),
        ("GET", "/castings/{film_id:uuid}/{position:int}"),
        ("PATCH", "/castings/{film_id:uuid}/{position:int}"),
        ("DELETE", "/castings/{film_id:uuid}/{position:int}"),
    }
    for position, actor in ((1, "Gene Tierney"), (2, "Dana Andrews"), (3, "Clifton Webb")):
        created = client.post(
            "/castings", json={"film_id": film["id"], "position": position, "actor": actor}
        )
        assert created.status_code == 201, created.json()
    item = f"/castings/{film['id']}/2"
    assert client.get(item).json() == {
        "film_id": film["id"],
        "position": 2,
        "actor": "Dana Andrews",
    }
    # The key is both columns: same film, another position is another row (or none).
    assert client.get(f"/castings/{film['id']}/1").json()["actor"] == "Gene Tierney"
    assert client.get(f"/castings/{film['id']}/9").status_code == 404
    assert client.get(f"/castings/{uuid.uuid4()}/2").status_code == 404
    duplicate = client.post(
        "/castings", json={"film_id": film["id"], "position": 2, "actor": "someone"}
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["columns"] == ["film_id", "position"]

    changed = client.patch(item, json={"actor": "Vincent Price"})
    assert changed.status_code == 200
    assert changed.json() == {"film_id": film["id"], "position": 2, "actor": "Vincent Price"}
    assert client.get(f"/castings/{film['id']}/3").json()["actor"] == "Clifton Webb"  # untouched
    assert client.patch(f"/castings/{film['id']}/9", json={"actor": "x"}).status_code == 404
    upserted = client.put("/castings", json={"film_id": film["id"], "position": 3, "actor": "W"})
    assert upserted.status_code == 200 and upserted.json()["actor"] == "W"

    # Keyset pages over the composite key.
    first = client.get("/castings", params={"cursor": "", "limit": 2}).json()
    assert [c["position"] for c in first["items"]] == [1, 2]
    rest = client.get("/castings", params={"cursor": first["next_cursor"], "limit": 2}).json()
    assert ([c["position"] for c in rest["items"]], rest["next_cursor"]) == ([3], None)

    assert client.delete(item).status_code == 204
    assert client.delete(item).status_code == 404
    assert client.get(item).status_code == 404
    assert client.get("/castings").json()["total"] == 2

    # Bad input: 400 with the reason; a key segment of the wrong type matches no route.
    assert client.patch(f"/castings/{film['id']}/1", json={"actor": 5}).status_code == 400
    assert client.patch(f"/castings/{film['id']}/1", json={"position": 7}).status_code == 400
    long_actor = {"film_id": film["id"], "position": 4, "actor": "x" * 61}
    assert client.post("/castings", json=long_actor).status_code == 400
    assert (
        client.post("/castings", json={"film_id": "nope", "position": 4, "actor": "a"}).status_code
        == 400
    )
    assert client.get(f"/castings/{film['id']}/first").status_code == 404
    assert client.get(f"/castings/{film['id']}").status_code == 404  # half a key


def test_a_view_gets_read_routes_only(client: Any) -> None:
    assert routes(client, "/genre-counts") == {
        ("GET", "/genre-counts"),
        ("GET", "/genre-counts/{item_id:int}"),
    }
    noir = client.post("/genres", json={"name": "noir"}).json()
    western = client.post("/genres", json={"name": "western"}).json()
    for title, genre in (("Laura", noir), ("Gilda", noir), ("Shane", western)):
        client.post("/films", json={"title": title, "genre_id": genre["id"]})
    page = client.get("/genre-counts", params={"order_by": "-films"}).json()
    assert [(c["genre_id"], c["films"]) for c in page["items"]] == [
        (noir["id"], 2),
        (western["id"], 1),
    ]
    where = json.dumps({"films": {"lt": 2}})
    assert client.get("/genre-counts", params={"where": where}).json()["total"] == 1
    assert client.get(f"/genre-counts/{noir['id']}").json() == {"genre_id": noir["id"], "films": 2}
    assert client.get("/genre-counts/999").status_code == 404
    assert client.get("/genre-counts", params={"limit": 0}).status_code == 400
    # No write routes: the path exists, the methods do not.
    assert client.post("/genre-counts", json={"genre_id": 5, "films": 1}).status_code == 405
    assert client.put("/genre-counts", json={"genre_id": 5, "films": 1}).status_code == 405
    assert client.patch(f"/genre-counts/{noir['id']}", json={"films": 9}).status_code == 405
    assert client.delete(f"/genre-counts/{noir['id']}").status_code == 405
    assert client.get(f"/genre-counts/{noir['id']}").json()["films"] == 2


# A live database (SQLite file) with a table without a primary key and a view without a key.
DB_PACKAGE = "lsdbapp"
DB_DDL = (
    "CREATE TABLE readings (sensor VARCHAR(20) NOT NULL, value INTEGER NOT NULL, note TEXT,"
    " kind VARCHAR(3) CHECK (kind IN ('in', 'out')))",
    "CREATE VIEW sensor_totals AS SELECT sensor, SUM(value) AS total, COUNT(*) AS n"
    " FROM readings GROUP BY sensor",
)


@pytest.fixture(scope="module")
def db_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("litestar-db")
    (root / DB_PACKAGE).mkdir()
    (root / DB_PACKAGE / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text(
        f'[tool.sublimate]\nout = "{DB_PACKAGE}/db"\nlitestar = true\n'
        '\n[tool.ruff]\nline-length = 100\nsrc = ["."]\n'
        '[tool.ruff.lint]\nselect = ["E", "F", "I", "UP", "B", "SIM", "RUF"]\n'
    )
    source = sa.create_engine(f"sqlite:///{root / 'source.db'}")
    with source.begin() as connection:
        for statement in DB_DDL:
            connection.execute(sa.text(statement))
    source.dispose()
    with on_path(root, DB_PACKAGE):
        result = run("generate", "--url", f"sqlite:///{root / 'source.db'}", project=root)
        assert result.exit_code == 0, result.output
        yield root


def test_read_only_output_passes_mypy_strict_and_ruff(db_project: Path, mypy_cache: Path) -> None:
    controllers = db_project / DB_PACKAGE / "db" / "controllers"
    assert sorted(p.name for p in controllers.glob("*.py")) == [
        "__init__.py",
        "reading.py",
        "sensor_total.py",
    ]
    # Each module says what its source is: the view as a view, the table as a table.
    for package in ("controllers", "repositories", "services", "dtos"):
        view = (db_project / DB_PACKAGE / "db" / package / "sensor_total.py").read_text()
        table = (db_project / DB_PACKAGE / "db" / package / "reading.py").read_text()
        assert 'Source: view "sensor_totals"' in view, package
        assert 'Source: table "readings"' in table, package
    lint(
        db_project,
        mypy_cache,
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_read_only_entities_without_a_key(
    backend: str, db_project: Path, scratch_database: Any
) -> None:
    from lsdbapp.db.app import create_app  # type: ignore[import-not-found]

    database = scratch_database(backend, schema=True)
    engine = sa.create_engine(database.url, connect_args=database.connect_args)
    with engine.begin() as connection:
        for statement in DB_DDL:
            connection.execute(sa.text(statement))
        connection.execute(
            sa.text("INSERT INTO readings (sensor, value, note) VALUES (:s, :v, :n)"),
            [
                {"s": "a", "v": 3, "n": None},
                {"s": "b", "v": 5, "n": "x"},
                {"s": "a", "v": 4, "n": None},
            ],
        )
    engine.dispose()
    async_engine = create_async_engine(
        database.async_url, connect_args=database.async_connect_args, poolclass=NullPool
    )
    with litestar_testing.TestClient(create_app(engine=async_engine)) as client:
        assert routes(client, "/readings") == {("GET", "/readings")}
        assert routes(client, "/sensor-totals") == {("GET", "/sensor-totals")}

        page = client.get("/readings", params={"order_by": ["sensor", "-value"]}).json()
        assert [(r["sensor"], r["value"], r["note"]) for r in page["items"]] == [
            ("a", 4, None),
            ("a", 3, None),
            ("b", 5, "x"),
        ]
        assert (page["total"], page["limit"], page["offset"]) == (3, 50, 0)
        where = json.dumps({"sensor": {"eq": "a"}})
        assert client.get("/readings", params={"where": where}).json()["total"] == 2
        totals = client.get("/sensor-totals", params={"order_by": "sensor"}).json()["items"]
        assert [(t["sensor"], t["n"]) for t in totals] == [("a", 2), ("b", 1)]

        schemas = client.get("/schema/openapi.json").json()["components"]["schemas"]
        kind = schemas["ReadingRead"]["properties"]["kind"]  # CHECK (kind IN ...): a Literal
        assert enum_values(kind, schemas) == {"in", "out", None}
        assert allows_null(kind, schemas)
        assert not allows_null(schemas["ReadingRead"]["properties"]["sensor"], schemas)

        assert client.get("/readings", params={"where": "{bad"}).status_code == 400
        assert client.get("/readings", params={"limit": 1000}).status_code == 400
        assert client.get("/readings", params={"order_by": "nope"}).status_code == 400
        body = {"sensor": "c", "value": 1}
        assert client.post("/readings", json=body).status_code == 405
        assert client.put("/readings", json=body).status_code == 405
        assert client.get("/readings/1").status_code == 404  # no item route
        assert client.get("/readings").json()["total"] == 3
