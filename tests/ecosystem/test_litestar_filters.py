"""Composable filters over HTTP: a generated Litestar app whose models have to-one, to-many and
many-to-many relationships, on SQLite and PostgreSQL.

The `where` query parameter takes the whole tree (relationship fields, and/or/not); a tree past the
limits, JSON nested past msgspec's recursion, or an invalid node deep inside answers 400 naming
what was wrong, never 500; the OpenAPI document shows `where` as JSON text of the model's Filter,
whose component schema is recursive.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sublimate_runtime import MAX_FILTER_CONDITIONS, MAX_FILTER_DEPTH

from .support import lint, make_project, on_path, run

litestar_testing = pytest.importorskip("litestar.testing")

pytestmark = pytest.mark.filterwarnings(
    "error::litestar.exceptions.base_exceptions.LitestarDeprecationWarning"
)

PACKAGE = "fltapp"
MODELS = """
    from __future__ import annotations

    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


    class Base(DeclarativeBase):
        pass


    book_tags = sa.Table(
        "book_tags",
        Base.metadata,
        sa.Column("book_id", sa.ForeignKey("books.id"), primary_key=True),
        sa.Column("tag_id", sa.ForeignKey("tags.id"), primary_key=True),
    )


    class Author(Base):
        __tablename__ = "authors"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(sa.String(40))
        books: Mapped[list[Book]] = relationship(back_populates="author")


    class Book(Base):
        __tablename__ = "books"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(sa.String(80))
        rating: Mapped[int | None]
        author_id: Mapped[int] = mapped_column(sa.ForeignKey("authors.id"))
        author: Mapped[Author] = relationship(back_populates="books")
        tags: Mapped[list[Tag]] = relationship(secondary=book_tags, back_populates="books")


    class Tag(Base):
        __tablename__ = "tags"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(sa.String(20), unique=True)
        books: Mapped[list[Book]] = relationship(secondary=book_tags, back_populates="tags")
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = make_project(
        tmp_path_factory.mktemp("filters"), PACKAGE, MODELS, extra="litestar = true\n"
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


def test_output_with_cyclic_filter_modules_passes_mypy_strict_and_ruff(
    project: Path, mypy_cache: Path
) -> None:
    dtos = project / PACKAGE / "db" / "dtos"
    # Related Filters through the package, which imports the modules one level deep.
    assert "books: _dtos.book.BookFilter | None = None" in (dtos / "author.py").read_text()
    assert "author: _dtos.author.AuthorFilter | None = None" in (dtos / "book.py").read_text()
    assert "from . import book as book" in (dtos / "__init__.py").read_text()
    lint(project, mypy_cache)


@pytest.fixture(params=["sqlite", "postgresql"])
def client(request: pytest.FixtureRequest, project: Path, scratch_database: Any) -> Iterator[Any]:
    from fltapp import models  # type: ignore[import-not-found]
    from fltapp.db.app import create_app  # type: ignore[import-not-found]

    database = scratch_database(request.param, schema=True)
    sync_engine = sa.create_engine(database.url, connect_args=database.connect_args)
    models.Base.metadata.create_all(sync_engine)
    with sync_engine.begin() as connection:
        connection.execute(
            sa.insert(models.Author), [{"id": 1, "name": "Ann"}, {"id": 2, "name": "Bo"}]
        )
        connection.execute(
            sa.insert(models.Book),
            [
                {"id": 1, "title": "Dune", "rating": 5, "author_id": 1},
                {"id": 2, "title": "Emma", "rating": None, "author_id": 1},
                {"id": 3, "title": "Ulysses", "rating": 2, "author_id": 2},
            ],
        )
        connection.execute(
            sa.insert(models.Tag), [{"id": 1, "name": "sf"}, {"id": 2, "name": "old"}]
        )
        connection.execute(
            sa.insert(models.book_tags),
            [{"book_id": 1, "tag_id": 1}, {"book_id": 2, "tag_id": 2}, {"book_id": 3, "tag_id": 2}],
        )
    sync_engine.dispose()
    engine = create_async_engine(
        database.async_url, connect_args=database.async_connect_args, poolclass=NullPool
    )
    with litestar_testing.TestClient(create_app(engine=engine)) as test_client:
        yield test_client


def titles(client: Any, path: str, where: Any) -> list[str]:
    answer = client.get(path, params={"where": json.dumps(where)})
    assert answer.status_code == 200, answer.text
    return [item.get("title") or item.get("name") for item in answer.json()["items"]]


def test_where_takes_the_whole_tree(client: Any) -> None:
    assert titles(client, "/books", {"author": {"name": {"eq": "Bo"}}}) == ["Ulysses"]
    assert titles(client, "/books", {"tags": {"name": {"eq": "old"}}}) == ["Emma", "Ulysses"]
    old_not_bo = {"tags": {"name": {"eq": "old"}}, "not": {"author": {"name": {"eq": "Bo"}}}}
    assert titles(client, "/books", old_not_bo) == ["Emma"]
    # NULL ratings are "not rated 5 or more": `not` is the complement, NULL rows included.
    assert titles(client, "/books", {"not": {"rating": {"ge": 5}}}) == ["Emma", "Ulysses"]
    either = {
        "or": [{"rating": {"le": 2}}, {"title": {"eq": "Emma"}, "rating": {"is_null": False}}]
    }
    assert titles(client, "/authors", {"books": either}) == ["Bo"]
    assert titles(client, "/authors", {"books": {"tags": {"name": {"eq": "sf"}}}}) == ["Ann"]
    assert titles(client, "/tags", {"books": {"author": {"name": {"eq": "Bo"}}}}) == ["old"]
    assert titles(client, "/books", {"or": []}) == []
    # Keyset pages take the same tree.
    page = client.get(
        "/books", params={"where": json.dumps({"author": {"name": {"eq": "Ann"}}}), "cursor": ""}
    )
    assert [book["title"] for book in page.json()["items"]] == ["Dune", "Emma"]


def nested(levels: int) -> str:
    return '{"not":' * (levels - 1) + "{}" + "}" * (levels - 1)


def test_hostile_trees_answer_400_with_the_reason(client: Any) -> None:
    many = {"or": [{"title": {"eq": "x"}}] * MAX_FILTER_CONDITIONS}
    cases = {
        "too deep": (nested(MAX_FILTER_DEPTH + 1), f"deeper than {MAX_FILTER_DEPTH} levels"),
        # Past msgspec's recursion (about 1,000 levels; 10,000 in tests/runtime/test_filter_tree.py:
        # a URL this client sends holds 64 KiB).
        "two thousand deep": (nested(2_000), f"deeper than {MAX_FILTER_DEPTH} levels"),
        "a JSON bomb of lists": ('{"or":[' * 2_000 + "{}" + "]}" * 2_000, "deeper than"),
        "too many": (json.dumps(many), f"more than {MAX_FILTER_CONDITIONS}"),
        "unknown field deep inside": (
            json.dumps({"author": {"books": {"nope": {}}}}),
            "Object contains unknown field `nope` - at `$.author.books`",
        ),
        "or not a list": (json.dumps({"or": {}}), "Expected `array | null`, got `object`"),
        "bad operand deep inside": (
            json.dumps({"or": [{"author": {"id": {"eq": 2**40}}}]}),
            "at `$.or[0].author.id.eq`",
        ),
    }
    for name, (where, reason) in cases.items():
        answer = client.get("/books", params={"where": where})
        assert answer.status_code == 400, (name, answer.text)
        detail = answer.json()["detail"]
        assert detail.startswith("where: ") and reason in detail, (name, detail)
    assert client.get("/books", params={"where": nested(MAX_FILTER_DEPTH)}).status_code == 200


def test_openapi_shows_where_as_json_of_the_recursive_filter(client: Any) -> None:
    document = client.get("/schema/openapi.json").json()
    schemas = document["components"]["schemas"]
    parameters = {p["name"]: p for p in document["paths"]["/books"]["get"]["parameters"]}
    where = parameters["where"]["schema"]
    assert where["type"] == "string" and where["contentMediaType"] == "application/json"
    assert where["contentSchema"] == {"$ref": "#/components/schemas/BookFilter"}

    def refs(schema: dict[str, Any]) -> set[str]:
        branches = schema.get("oneOf") or schema.get("anyOf") or [schema]
        found = set()
        for branch in branches:
            target = branch.get("items", branch).get("$ref", "")
            found.add(target.rsplit("/", 1)[-1])
        return found - {""}

    book = schemas["BookFilter"]["properties"]
    assert {"title", "rating", "author", "tags", "and", "or", "not"} <= set(book)
    assert refs(book["and"]) == refs(book["or"]) == refs(book["not"]) == {"BookFilter"}
    assert refs(book["author"]) == {"AuthorFilter"} and refs(book["tags"]) == {"TagFilter"}
    assert refs(schemas["AuthorFilter"]["properties"]["books"]) == {"BookFilter"}
