"""The services' runtime bases: what every generated service inherits instead of printing it.

A hand-written repository (the bases ask only for the `Rows` protocol) on SQLite, so what is
checked is the order of things a generated service relies on: the hook's output is validated
before any SQL, the Read DTO is taken before the commit, `auto_commit` alone commits, and a
violation found at COMMIT rolls back and is raised as the runtime's typed error.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Annotated, Any, Literal

import msgspec
import pytest
from msgspec import UNSET, Meta, UnsetType
from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sublimate_runtime import (
    AsyncServiceBase,
    ForeignKeyError,
    ServiceBase,
    create_async_engine,
    create_engine,
)


class Base(DeclarativeBase):
    pass


class Shelf(Base):
    __tablename__ = "shelves"

    id: Mapped[int] = mapped_column(primary_key=True)


class Book(Base):
    __tablename__ = "books"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(40))
    # Checked at COMMIT: the violation reaches the service's commit, not the repository's flush.
    shelf_id: Mapped[int | None] = mapped_column(
        ForeignKey("shelves.id", deferrable=True, initially="DEFERRED")
    )


class BookCreate(msgspec.Struct, kw_only=True):
    title: Annotated[str, Meta(max_length=40)]
    shelf_id: int | UnsetType | None = UNSET
    id: int | UnsetType = UNSET


class BookCreateWithNote(BookCreate, kw_only=True):
    """A user's Create subclass: `note` is for their own methods, not a column."""

    note: str = ""


class BookRead(msgspec.Struct, kw_only=True):
    id: int
    title: str
    shelf_id: int | None


def book_to_read(instance: Book) -> BookRead:
    return BookRead(id=instance.id, title=instance.title, shelf_id=instance.shelf_id)


Where = str | None  # a title to match
Key = Literal["id"]


class BookRows:
    """The repository part the bases use, written by hand; `calls` records what was asked."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.calls: list[str] = []

    def list_and_count(
        self, where: Where, *, order_by: None, limit: int | None, offset: int
    ) -> tuple[list[Book], int]:
        statement = select(Book).where(*self._conditions(where)).order_by(Book.id)
        rows = list(self.session.scalars(statement.limit(limit).offset(offset)))
        return rows, self.count(where)

    def count(self, where: Where) -> int:
        statement = select(func.count()).select_from(Book).where(*self._conditions(where))
        return self.session.execute(statement).scalar_one()

    def add(self, instance: Book) -> Book:
        self.calls.append("add")
        self.session.add(instance)
        self.session.flush()
        return instance

    def insert_many(self, instances: Sequence[Book]) -> list[Book]:
        self.calls.append(f"insert_many({len(instances)})")
        self.session.add_all(instances)
        self.session.flush()
        return list(instances)

    def upsert(self, instance: Book, *, on: Key) -> Book:
        self.calls.append(f"upsert(on={on})")
        merged = self.session.merge(instance)
        self.session.flush()
        return merged

    @staticmethod
    def _conditions(where: Where) -> list[Any]:
        return [] if where is None else [Book.title == where]


class BookService(ServiceBase[Book, BookRead, Where, None, BookCreate, Key]):
    """What a generated service declares: its types, repository and model parts."""

    repository_class = BookRows
    repository: BookRows
    _read = staticmethod(book_to_read)
    _model = Book
    _create = BookCreate

    def before_create(self, data: BookCreate) -> BookCreate:
        self.repository.calls.append(f"before_create({data.title})")
        return msgspec.structs.replace(data, title=data.title.strip())


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_without_auto_commit_the_caller_owns_the_transaction(session: Session) -> None:
    read = BookService(session).create(BookCreate(title=" Dune "))
    assert read == BookRead(id=read.id, title="Dune", shelf_id=None)  # the hook's output
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Book)) == 0


def test_auto_commit_commits_each_write(session: Session) -> None:
    BookService(session, auto_commit=True).create(BookCreate(title="Dune"))
    session.rollback()
    assert session.scalars(select(Book.title)).all() == ["Dune"]


def test_the_hooks_output_is_validated_before_any_sql(session: Session) -> None:
    service = BookService(session)
    with pytest.raises(msgspec.ValidationError, match="length <= 40"):
        service.create(BookCreate(title="x" * 41))
    assert service.repository.calls == [f"before_create({'x' * 41})"]


def test_to_model_takes_only_set_fields_the_create_dto_declares(session: Session) -> None:
    service = BookService(session)
    book = service.to_model(BookCreateWithNote(title="Dune", note="for me"))
    unset = {"id", "shelf_id"} & set(vars(book))  # left to the database: not set on the row
    assert (book.title, unset) == ("Dune", set())
    assert service.create(BookCreateWithNote(title="Emma", note="x")).title == "Emma"


def test_create_many_runs_the_hook_per_item_and_writes_once(session: Session) -> None:
    service = BookService(session, auto_commit=True)
    reads = service.create_many([BookCreate(title="A"), BookCreate(title="B")])
    assert [r.title for r in reads] == ["A", "B"]
    assert service.repository.calls == ["before_create(A)", "before_create(B)", "insert_many(2)"]
    session.rollback()
    assert service.count() == 2


def test_upsert_passes_on_and_returns_the_row_as_it_is_now(session: Session) -> None:
    service = BookService(session)
    first = service.create(BookCreate(title="Dune"))
    again = service.upsert(BookCreate(id=first.id, title="Dune Messiah"), on="id")
    assert again == BookRead(id=first.id, title="Dune Messiah", shelf_id=None)
    assert service.repository.calls[-1] == "upsert(on=id)"
    assert service.count() == 1


def test_list_is_a_page_of_read_dtos_with_the_total(session: Session) -> None:
    service = BookService(session)
    service.create_many([BookCreate(title=t) for t in ("A", "B", "C", "B")])
    page = service.list(limit=2, offset=1)
    assert [item.title for item in page.items] == ["B", "C"]
    assert (page.total, page.limit, page.offset) == (4, 2, 1)
    assert all(isinstance(item, BookRead) for item in page.items)
    assert service.count("B") == 2
    assert service.list("B").total == 2


def test_a_violation_at_commit_rolls_back_and_names_the_model(session: Session) -> None:
    service = BookService(session, auto_commit=True)
    with pytest.raises(ForeignKeyError) as raised:
        service.create(BookCreate(title="Lost", shelf_id=404))
    assert raised.value.model == "Book"
    assert service.count() == 0  # rolled back: the session is usable and the row is gone


class AsyncBookRows:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.calls: list[str] = []

    async def list_and_count(
        self, where: Where, *, order_by: None, limit: int | None, offset: int
    ) -> tuple[list[Book], int]:
        statement = select(Book).order_by(Book.id).limit(limit).offset(offset)
        return list(await self.session.scalars(statement)), await self.count(where)

    async def count(self, where: Where) -> int:
        statement = select(func.count()).select_from(Book)
        return (await self.session.execute(statement)).scalar_one()

    async def add(self, instance: Book) -> Book:
        self.calls.append("add")
        self.session.add(instance)
        await self.session.flush()
        return instance

    async def insert_many(self, instances: Sequence[Book]) -> list[Book]:
        self.calls.append(f"insert_many({len(instances)})")
        self.session.add_all(instances)
        await self.session.flush()
        return list(instances)

    async def upsert(self, instance: Book, *, on: Key) -> Book:
        self.calls.append(f"upsert(on={on})")
        merged = await self.session.merge(instance)
        await self.session.flush()
        return merged


class AsyncBookService(AsyncServiceBase[Book, BookRead, Where, None, BookCreate, Key]):
    repository_class = AsyncBookRows
    repository: AsyncBookRows
    _read = staticmethod(book_to_read)
    _model = Book
    _create = BookCreate

    async def before_create(self, data: BookCreate) -> BookCreate:
        self.repository.calls.append(f"before_create({data.title})")
        return data


@pytest.fixture
async def async_session() -> AsyncIterator[AsyncSession]:
    engine = create_async_engine("sqlite+aiosqlite://")
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with AsyncSession(engine, expire_on_commit=False) as session:
        yield session
    await engine.dispose()


async def test_async_writes_commit_only_with_auto_commit(async_session: AsyncSession) -> None:
    await AsyncBookService(async_session).create(BookCreate(title="Dune"))
    await async_session.rollback()
    service = AsyncBookService(async_session, auto_commit=True)
    reads = await service.create_many([BookCreate(title="A"), BookCreate(title="B")])
    await service.upsert(BookCreate(id=reads[0].id, title="A2"), on="id")
    await async_session.rollback()
    page = await service.list(limit=1, offset=1)
    assert ([i.title for i in page.items], page.total) == (["B"], 2)
    assert service.repository.calls == [
        "before_create(A)", "before_create(B)", "insert_many(2)",
        "before_create(A2)", "upsert(on=id)",
    ]  # fmt: skip
    assert (await service.list()).items[0].title == "A2"


async def test_async_validation_and_commit_time_violation(async_session: AsyncSession) -> None:
    service = AsyncBookService(async_session, auto_commit=True)
    with pytest.raises(msgspec.ValidationError):
        await service.create(BookCreate(title="x" * 41))
    with pytest.raises(ForeignKeyError) as raised:
        await service.create(BookCreate(title="Lost", shelf_id=404))
    assert raised.value.model == "Book"
    assert service.repository.calls == [f"before_create({'x' * 41})", "before_create(Lost)", "add"]
    assert await service.count() == 0


def test_importing_the_runtime_does_not_import_asyncio_support() -> None:
    """The async bases name AsyncSession for the type checker only: a sync-only application
    (no greenlet) imports sublimate_runtime without SQLAlchemy's asyncio extension."""
    code = (
        "import sys, sublimate_runtime.service, sublimate_runtime.service_async\n"
        "assert 'sqlalchemy.ext.asyncio' not in sys.modules, 'asyncio extension imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
