"""`load` over HTTP: the generated Litestar routes return nested Read DTOs, on SQLite and
PostgreSQL.

`load` is a repeatable query parameter whose values are the model's nested Read DTOs' paths (a
`Literal`: the whitelist, an enum in the OpenAPI schema); anything else answers 400, never 500.
One value returns its nested DTO, several the fields of each; the keyset branch (`cursor`) reads
through the service (`list_after_with` / `list_after`). A composite key's `get_with` is printed in
its service and reached from the item route.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from .support import lint, make_project, on_path, run

litestar_testing = pytest.importorskip("litestar.testing")

pytestmark = pytest.mark.filterwarnings(
    "error::litestar.exceptions.base_exceptions.LitestarDeprecationWarning"
)

PACKAGE = "loadapp"
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
        author_id: Mapped[int] = mapped_column(sa.ForeignKey("authors.id"))
        author: Mapped[Author] = relationship(back_populates="books")
        tags: Mapped[list[Tag]] = relationship(secondary=book_tags, back_populates="books")
        reviews: Mapped[list[Review]] = relationship(back_populates="book")


    class Tag(Base):
        __tablename__ = "tags"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(sa.String(20), unique=True)
        books: Mapped[list[Book]] = relationship(secondary=book_tags, back_populates="tags")


    # A composite key: its service prints `get_with`.
    class Review(Base):
        __tablename__ = "reviews"
        book_id: Mapped[int] = mapped_column(sa.ForeignKey("books.id"), primary_key=True)
        number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
        stars: Mapped[int]
        book: Mapped[Book] = relationship(back_populates="reviews")
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = make_project(
        tmp_path_factory.mktemp("loads"), PACKAGE, MODELS, extra="litestar = true\n"
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


def test_output_passes_mypy_strict_and_ruff(project: Path, mypy_cache: Path) -> None:
    db = project / PACKAGE / "db"
    book = (db / "dtos" / "book.py").read_text()
    assert "class BookReadWithAuthor(BookRead, kw_only=True):" in book
    assert "    author: _dtos.author.AuthorRead\n" in book  # NOT NULL foreign key: not optional
    assert "    tags: list[_dtos.tag.TagRead]\n" in book
    assert "def get_with(" in (db / "services" / "review.py").read_text()
    lint(project, mypy_cache)


@pytest.fixture(params=["sqlite", "postgresql"])
def client(request: pytest.FixtureRequest, project: Path, scratch_database: Any) -> Iterator[Any]:
    from loadapp import models  # type: ignore[import-not-found]
    from loadapp.db.app import create_app  # type: ignore[import-not-found]

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
                {"id": 1, "title": "Dune", "author_id": 1},
                {"id": 2, "title": "Emma", "author_id": 1},
                {"id": 3, "title": "Ulysses", "author_id": 2},
            ],
        )
        connection.execute(
            sa.insert(models.Tag), [{"id": 1, "name": "sf"}, {"id": 2, "name": "old"}]
        )
        connection.execute(
            sa.insert(models.book_tags),
            [{"book_id": 1, "tag_id": 1}, {"book_id": 2, "tag_id": 2}, {"book_id": 3, "tag_id": 2}],
        )
        connection.execute(
            sa.insert(models.Review),
            [{"book_id": 1, "number": 1, "stars": 5}, {"book_id": 1, "number": 2, "stars": 3}],
        )
    sync_engine.dispose()
    engine = create_async_engine(
        database.async_url, connect_args=database.async_connect_args, poolclass=NullPool
    )
    with litestar_testing.TestClient(create_app(engine=engine)) as test_client:
        yield test_client


def ok(client: Any, path: str, **params: Any) -> Any:
    answer = client.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_load_returns_nested_dtos(client: Any) -> None:
    plain = ok(client, "/books")["items"]
    assert "author" not in plain[0] and "tags" not in plain[0]
    books = ok(client, "/books", load="author")["items"]
    assert [(b["title"], b["author"]["name"]) for b in books] == [
        ("Dune", "Ann"),
        ("Emma", "Ann"),
        ("Ulysses", "Bo"),
    ]
    assert "tags" not in books[0]
    both = ok(client, "/books", load=["tags", "author", "tags"])["items"]
    assert [(b["author"]["name"], [t["name"] for t in b["tags"]]) for b in both] == [
        ("Ann", ["sf"]),
        ("Ann", ["old"]),
        ("Bo", ["old"]),
    ]
    ann = ok(client, "/authors/1", load="books")
    assert sorted(b["title"] for b in ann["books"]) == ["Dune", "Emma"]
    assert "books" not in ok(client, "/authors/1")
    review = ok(client, "/reviews/1/2", load="book")
    assert review["stars"] == 3 and review["book"]["title"] == "Dune"


def test_load_with_cursor_pages_through_the_service(client: Any) -> None:
    first = ok(client, "/books", cursor="", limit=2, load="reviews", order_by="-title")
    assert [(b["title"], len(b["reviews"])) for b in first["items"]] == [
        ("Ulysses", 0),
        ("Emma", 0),
    ]
    rest = ok(
        client, "/books", cursor=first["next_cursor"], limit=2, load="reviews", order_by="-title"
    )
    assert [(b["title"], len(b["reviews"])) for b in rest["items"]] == [("Dune", 2)]
    assert rest["next_cursor"] is None
    plain = ok(client, "/books", cursor="", limit=5)
    assert [b["title"] for b in plain["items"]] == ["Dune", "Emma", "Ulysses"]


def test_hostile_load_values_answer_400(client: Any) -> None:
    for value in ("nope", "author.books", "", "AUTHOR", "author\x00", "a" * 5000, "__class__"):
        answer = client.get("/books", params={"load": value})
        assert answer.status_code == 400, (value, answer.text)
    assert client.get("/authors/1", params={"load": "tags"}).status_code == 400
    assert client.get("/authors/99", params={"load": "books"}).status_code == 404


def test_openapi_documents_load_where_and_cursor(client: Any) -> None:
    document = client.get("/schema/openapi.json").json()
    parameters = {p["name"]: p for p in document["paths"]["/books"]["get"]["parameters"]}
    assert {"load", "where", "cursor", "order_by"} <= set(parameters)
    load = parameters["load"]
    (array,) = [s for s in load["schema"]["oneOf"] if s.get("type") == "array"]
    assert array["items"]["enum"] == ["author", "reviews", "tags"]  # the whitelist
    assert "repeatable" in load["description"]
    answer = document["paths"]["/books/{item_id}"]["get"]["responses"]["200"]
    refs = [s["$ref"] for s in answer["content"]["application/json"]["schema"]["oneOf"]]
    assert refs == [
        f"#/components/schemas/{name}"
        for name in ("BookRead", "BookReadWithAuthor", "BookReadWithReviews", "BookReadWithTags")
    ]
    schemas = document["components"]["schemas"]
    assert {"BookReadWithAuthor", "BookReadWithTags", "BookReadWithReviews"} <= set(schemas)
    author = schemas["BookReadWithAuthor"]
    assert "author" in author["properties"] and "author" in author.get("required", [])
