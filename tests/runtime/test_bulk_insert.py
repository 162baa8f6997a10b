"""``insert_many``'s bulk path (one ``INSERT ... RETURNING`` of plain new rows) and when it is not
taken: what comes back, what the unit of work would have written, and the fallbacks.

On SQLite, PostgreSQL and MariaDB, through the runtime's engines; a ``before_cursor_execute``
listener counts the statements the driver receives (an executemany counts once).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from dogpile.cache import make_region
from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    column_property,
    mapped_column,
    relationship,
    sessionmaker,
)
from sublimate_runtime import (
    AsyncRepository,
    Cache,
    ConflictError,
    Repository,
    RepositorySpec,
    UniqueKeySpec,
    session_factory,
)


class Base(DeclarativeBase):
    pass


class Shelf(Base):
    __tablename__ = "bulk_shelves"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(20))
    books: Mapped[list[Book]] = relationship(back_populates="shelf")


class Book(Base):
    __tablename__ = "bulk_books"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(50), unique=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="new")
    added_at: Mapped[datetime.datetime] = mapped_column(
        sa.DateTime(), server_default=sa.func.current_timestamp()
    )
    note: Mapped[str | None] = mapped_column(sa.String(50))
    extra: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON())  # None is JSON null
    shelf_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bulk_shelves.id"))
    shelf: Mapped[Shelf | None] = relationship(back_populates="books")


class Counted(Base):
    """A ``version_id_col`` counter: only the unit of work sets it."""

    __tablename__ = "bulk_counted"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(20))
    version: Mapped[int] = mapped_column(nullable=False)
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class Cached(Base):
    __tablename__ = "bulk_cached"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(20))


class Renamed(Base):
    """An attribute named otherwise than its column, and one that is an expression."""

    __tablename__ = "bulk_renamed"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column("label_text", sa.String(20))
    shout: Mapped[str] = column_property(sa.func.upper(label))


class Defaulted(Base):
    """Constant defaults: written once in the statement, or sent per row when a literal of them
    would need the driver's escaping."""

    __tablename__ = "bulk_defaulted"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(20))
    quoted: Mapped[str] = mapped_column(sa.String(20), default="it's")
    percent: Mapped[str] = mapped_column(sa.String(20), default="50% :x $1 ?")
    flag: Mapped[bool] = mapped_column(default=True)
    ratio: Mapped[float] = mapped_column(default=1.5)


PK = {"id": UniqueKeySpec(constraint_name=None, columns=("id",), sql_columns=("id",), primary=True)}
BOOK_KEYS = {
    **PK,
    "title": UniqueKeySpec(
        constraint_name="uq_bulk_books_title", columns=("title",), sql_columns=("title",)
    ),
}


class Books(Repository[Book, Any, Any]):
    spec = RepositorySpec(Book, keys=BOOK_KEYS, cursor=tuple[int])


class AsyncBooks(AsyncRepository[Book, Any, Any]):
    spec = Books.spec


class Counters(Repository[Counted, Any, Any]):
    spec = RepositorySpec(Counted, keys=PK, cursor=tuple[int])


class RenamedRows(Repository[Renamed, Any, Any]):
    spec = RepositorySpec(Renamed, keys=PK, cursor=tuple[int])


class DefaultedRows(Repository[Defaulted, Any, Any]):
    spec = RepositorySpec(Defaulted, keys=PK, cursor=tuple[int])


class CachedRows(Repository[Cached, Any, Any]):
    spec = RepositorySpec(Cached, keys=PK, cursor=tuple[int], cached=True)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        session.connection()  # the dialect knows the server (MariaDB's RETURNING) before counting
        yield session


class Statements:
    """The statements an engine's driver receives while counting."""

    def __init__(self, engine: Engine) -> None:
        self.sent: list[str] = []
        event.listen(engine, "before_cursor_execute", self.record)

    def record(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        self.sent.append(statement)


def titles(books: list[Book]) -> list[str]:
    return [book.title for book in books]


def test_plain_new_rows_are_one_insert_returning_new_rows_in_input_order(
    session: Session, engine: Engine
) -> None:
    given = [Book(title=f"b{i:03d}") for i in reversed(range(120))]
    given[7].note = "set on some rows only"  # a column without default: NULL on the others
    statements = Statements(engine)
    added = Books(session).insert_many(given)
    assert len(statements.sent) == 1 and statements.sent[0].lstrip().upper().startswith("INSERT")
    assert titles(added) == titles(given)
    assert len({book.id for book in added}) == 120
    assert {book.status for book in added} == {"new"}  # Python-side default
    assert all(isinstance(book.added_at, datetime.datetime) for book in added)  # server default
    assert added[7].note == "set on some rows only" and added[8].note is None
    # New instances, persistent in the session; the given ones were only read.
    assert all(sa.inspect(book).persistent for book in added)
    assert all(sa.inspect(book).transient and book.id is None for book in given)
    assert session.get(Book, added[0].id) is added[0]
    session.commit()
    stored = dict(session.execute(sa.select(Book.id, Book.title)).all())
    assert {stored[book.id] for book in added} == set(titles(given))


def test_rows_sent_to_core_as_they_are_still_come_back_in_input_order(
    session: Session, engine: Engine
) -> None:
    """Parameter keys that are column keys go to Core untouched; a session hook still sees an
    INSERT (routing and hooks that look for writes keep working)."""
    seen: list[bool] = []
    event.listen(session, "do_orm_execute", lambda state: seen.append(state.is_insert))
    given = [Book(title=f"c{i}", extra={"i": i}) for i in (5, 3, 9, 1)]
    statements = Statements(engine)
    added = Books(session).insert_many(given)
    assert len(statements.sent) == 1 and seen == [True]
    assert [(book.title, book.extra) for book in added] == [
        (f"c{i}", {"i": i}) for i in (5, 3, 9, 1)
    ]
    assert [book.id for book in added] == sorted(book.id for book in added)


def test_attributes_named_otherwise_than_their_columns_are_translated(
    session: Session, engine: Engine
) -> None:
    statements = Statements(engine)
    added = RenamedRows(session).insert_many([Renamed(label=f"r{i}") for i in (2, 1, 3)])
    assert len(statements.sent) == 1
    assert [(row.label, row.shout) for row in added] == [("r2", "R2"), ("r1", "R1"), ("r3", "R3")]
    session.commit()
    stored = session.execute(sa.text("SELECT label_text FROM bulk_renamed ORDER BY id")).all()
    assert [row[0] for row in stored] == ["r2", "r1", "r3"]


def test_constant_defaults_are_written_into_the_statement(session: Session, engine: Engine) -> None:
    statements = Statements(engine)
    repo = DefaultedRows(session)
    added = repo.insert_many([Defaulted(name=f"d{i}") for i in range(3)])
    own = repo.insert_many([Defaulted(name="own", quoted="mine", flag=False)])
    assert len(statements.sent) == 2
    assert "it''s" in statements.sent[0] and "50%" not in statements.sent[0]
    expected = ("it's", "50% :x $1 ?", True, 1.5)
    assert {(row.quoted, row.percent, row.flag, row.ratio) for row in added} == {expected}
    assert [(row.quoted, row.flag) for row in own] == [("mine", False)]
    session.commit()
    columns = sa.select(Defaulted.quoted, Defaulted.percent, Defaulted.flag, Defaulted.ratio)
    stored = [tuple(row) for row in session.execute(columns.order_by(Defaulted.id))]
    assert stored == [expected] * 3 + [("mine", "50% :x $1 ?", False, 1.5)]


def test_none_means_what_the_unit_of_work_reads_it_as(session: Session) -> None:
    """None on a column with a default: the default; on JSON: JSON null; else NULL."""
    repo = Books(session)
    (bulk,) = repo.insert_many([Book(title="bulk", status=None, note=None, extra=None)])
    flushed = repo.add(Book(title="unit of work", status=None, note=None, extra=None))
    session.commit()
    columns = sa.select(Book.status, Book.note.is_(None), Book.extra.is_(None), Book.title)
    rows = {row.title: row[:3] for row in session.execute(columns)}
    assert rows["bulk"] == rows["unit of work"]
    assert rows["bulk"][0] == "new" and bulk.status == flushed.status == "new"


def test_rows_set_alike_are_read_as_they_are_and_a_none_still_means_the_default(
    session: Session, engine: Engine
) -> None:
    """Rows setting the same columns are sent from the objects' own attributes (nothing built per
    row): the objects stay as they were; one None on a defaulted column among them is still the
    default (those rows go to the unit of work, as before)."""
    repo = Books(session)
    alike = [Book(title=f"alike {i}", note=f"n{i}", status="old") for i in range(3)]
    before = [dict(vars(book)) for book in alike]
    statements = Statements(engine)
    added = repo.insert_many(alike)
    assert len(statements.sent) == 1 and [book.note for book in added] == ["n0", "n1", "n2"]
    assert [dict(vars(book)) for book in alike] == before and not set(added) & set(alike)
    last_none = [Book(title="own status", status="old"), Book(title="none", status=None)]
    assert [book.status for book in repo.insert_many(last_none)] == ["old", "new"]
    session.commit()
    stored = session.execute(sa.select(Book.title, Book.status).order_by(Book.id)).all()
    assert [tuple(row) for row in stored[-2:]] == [("own status", "old"), ("none", "new")]


def test_what_the_unit_of_work_must_see_is_flushed(session: Session, engine: Engine) -> None:
    repo = Books(session)
    shelved = [Book(title="shelved", shelf=Shelf(label="top")), Book(title="plain")]
    pending = Book(title="pending")
    session.add(pending)
    mixed = [Book(title="own status", status="old"), Book(title="default status")]
    for given in (shelved, [pending], mixed):
        added = repo.insert_many(given)
        assert all(a is g for a, g in zip(added, given, strict=True))  # the unit of work ran
    assert shelved[0].shelf_id is not None and shelved[0].shelf_id == shelved[0].shelf.id
    assert [book.status for book in mixed] == ["old", "new"]
    (counted,) = Counters(session).insert_many([Counted(name="one")])
    assert counted.version == 1
    session.commit()
    assert session.scalar(sa.select(sa.func.count()).select_from(Book)) == 5


def test_insert_listeners_make_it_flush(session: Session) -> None:
    seen: list[str] = []

    def record(_mapper: object, _connection: object, target: Book) -> None:
        seen.append(target.title)

    event.listen(Book, "before_insert", record)
    try:
        added = Books(session).insert_many([Book(title="x"), Book(title="y")])
    finally:
        event.remove(Book, "before_insert", record)
    assert seen == ["x", "y"] and added[0].title == "x"


def test_a_duplicate_raises_conflict_and_the_session_goes_on(session: Session) -> None:
    repo = Books(session)
    with pytest.raises(ConflictError) as caught:
        repo.insert_many([Book(title="twice"), Book(title="once"), Book(title="twice")])
    assert caught.value.columns == ("title",)
    assert repo.count() == 0
    assert titles(repo.insert_many([Book(title="twice")])) == ["twice"]


def test_the_cache_forgets_what_insert_many_wrote(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the cache's part is the same on every database")
    Base.metadata.create_all(engine)
    cache = Cache(make_region().configure("dogpile.cache.memory"), namespace="bulk")
    factory: sessionmaker[Session] = cache.attach(session_factory(engine))
    with factory() as session:
        assert CachedRows(session).count() == 0  # cached
    with factory.begin() as session:
        added = CachedRows(session).insert_many([Cached(name="a"), Cached(name="b")])
        assert sa.inspect(added[0]).persistent
    with factory() as session:
        assert CachedRows(session).count() == 2


async def test_async_plain_new_rows_are_one_insert(async_engine: AsyncEngine) -> None:
    async with async_engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with AsyncSession(async_engine, expire_on_commit=False) as session:
        await session.connection()
        statements = Statements(async_engine.sync_engine)
        given = [Book(title=f"a{i}") for i in (3, 1, 2)]
        added = await AsyncBooks(session).insert_many(given)
        assert len(statements.sent) == 1
        assert titles(added) == ["a3", "a1", "a2"]
        assert all(isinstance(book.added_at, datetime.datetime) for book in added)
        assert all(sa.inspect(book).persistent for book in added)
        await session.commit()


def test_add_many_keeps_the_objects_it_was_given(session: Session) -> None:
    """`add_many` is the unit of work's: the objects passed in come back, persistent, keys filled
    (code that reads `book.id` after `add_many([book])` keeps working); `insert_many` is the
    bulk path that returns new objects."""
    given = [Book(title="kept"), Book(title="also kept")]
    added = Books(session).add_many(given)
    assert [a is g for a, g in zip(added, given, strict=True)] == [True, True]
    assert all(book.id is not None and book in session for book in given)
    (inserted,) = Books(session).insert_many([Book(title="new")])
    assert inserted.id is not None and inserted in session
