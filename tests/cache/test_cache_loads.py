"""A cached model's reads with `load=`: they go past the cache (its entries hold the model's own
columns, not related rows), and leave the entries of the plain reads as they were."""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, ForeignKey, String
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)
from sublimate_runtime import (
    Cache,
    Load,
    Repository,
    RepositorySpec,
    UniqueKeySpec,
    create_engine,
    session_factory,
)

from .app import statements
from .conftest import Backend


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    books: Mapped[builtins.list[Book]] = relationship(back_populates="author", order_by="Book.id")


class Book(Base):
    __tablename__ = "books"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(50))
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    author: Mapped[Author] = relationship(back_populates="books")


class AuthorOrder(StrEnum):
    ID = "id"


class AuthorLoad(StrEnum):
    BOOKS = "books"


SPEC = RepositorySpec(
    Author,
    keys={
        "id": UniqueKeySpec(
            constraint_name=None, columns=("id",), sql_columns=("id",), primary=True
        ),
        "name": UniqueKeySpec(constraint_name=None, columns=("name",), sql_columns=("name",)),
    },
    orderable=("id",),
    cursor=tuple[int],
    cached=True,
)


class Authors(Repository[Author, Any, AuthorOrder, AuthorLoad]):
    spec = SPEC

    def get(self, id: int, *, load: Load[AuthorLoad] = None) -> Author:
        return self._get((id,), False, load)

    def get_by_name(self, name: str, *, load: Load[AuthorLoad] = None) -> Author | None:
        return self._get_by("name", (name,), False, load)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite+pysqlite:///{tmp_path / 'loads.sqlite3'}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all([Author(id=1, name="Ann", books=[Book(title="A"), Book(title="B")])])
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine: Engine, backend: Backend) -> sessionmaker[Session]:
    return Cache(backend.region(), namespace=backend.namespace).attach(session_factory(engine))


def test_reads_with_load_go_past_the_cache(factory: sessionmaker[Session], engine: Engine) -> None:
    with factory() as session:  # fill the entries of the plain reads
        repo = Authors(session)
        repo.get(1), repo.get_by_name("Ann"), repo.list(), repo.list_and_count()
    sql = statements(engine)
    for read in (
        lambda repo: repo.get(1, load=AuthorLoad.BOOKS),
        lambda repo: repo.get_by_name("Ann", load=[AuthorLoad.BOOKS]),
        lambda repo: repo.list(load=AuthorLoad.BOOKS)[0],
        lambda repo: repo.list_and_count(load=AuthorLoad.BOOKS)[0][0],
    ):
        sql.clear()
        with factory() as session:
            author = read(Authors(session))
            assert [book.title for book in author.books] == ["A", "B"]
        assert len(sql) == 2, sql  # the author and its books: no entry answered
    sql.clear()
    with factory() as session:  # the plain reads' entries are still there
        repo = Authors(session)
        repo.get(1), repo.list(), repo.list_and_count()
    assert sql == []


def test_an_instance_held_by_the_session_gets_its_load(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        repo = Authors(session)
        held = repo.get(1)
        with pytest.raises(sa.exc.InvalidRequestError, match=r"^Author\.books was not loaded"):
            held.books  # noqa: B018
        assert repo.get(1, load=AuthorLoad.BOOKS) is held
        assert len(held.books) == 2
