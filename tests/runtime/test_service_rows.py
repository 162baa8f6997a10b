"""Service reads from column rows (`list`, `list_after`): the same pages as through ORM objects.

Each model here is declared as a generated module declares it (a spec, repositories extending
the runtime's, services naming their base with the model's types). The row path's pages are
compared with the ORM path's (the same service with `_rows = None`) on SQLite, PostgreSQL and
MariaDB, sync and async; then each rule that keeps a service on its repository is checked.
"""

from __future__ import annotations

import datetime
import enum
import inspect
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from sqlalchemy import JSON, Numeric, String, event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, column_property, mapped_column
from sublimate_runtime import (
    AsyncIdRepository,
    AsyncIdServiceBase,
    AsyncIdSoftDeleteRepository,
    IdRepository,
    IdServiceBase,
    IdSoftDeleteRepository,
    InvalidCursorError,
    RepositorySpec,
    UniqueKeySpec,
    async_routing_session_factory,
    create_async_engine,
    create_async_router,
    create_engine,
    create_router,
    routing_session_factory,
)
from sublimate_runtime.intents import INTENT_KEY

D = Decimal
CURSOR = tuple[int]
KEYS = {
    "id": UniqueKeySpec(constraint_name="pk", columns=("id",), sql_columns=("id",), primary=True)
}


class Base(DeclarativeBase):
    pass


class Size(enum.Enum):
    SMALL = "small"
    LARGE = "large"


class Item(Base):
    """Every kind of value a page carries; `label` is mapped to a column named otherwise."""

    __tablename__ = "row_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column("label_text", String(40))
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    size: Mapped[Size] = mapped_column(sa.Enum(Size, native_enum=False, length=10))
    seen_at: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    born: Mapped[datetime.date | None]
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    blob: Mapped[bytes | None] = mapped_column(sa.LargeBinary(100))
    flag: Mapped[bool] = mapped_column(default=False)
    weight: Mapped[float | None]


class ItemRead(msgspec.Struct, kw_only=True):
    id: int
    label: str
    price: Decimal
    size: Size
    seen_at: datetime.datetime | None
    born: datetime.date | None
    data: dict[str, Any]
    blob: bytes | None
    flag: bool
    weight: float | None


def item_to_read(instance: Item) -> ItemRead:
    return ItemRead(**{name: getattr(instance, name) for name in ItemRead.__struct_fields__})


ITEM_SPEC = RepositorySpec(
    Item, keys=KEYS, orderable=("id", "label", "price", "weight"), cursor=CURSOR
)


class ItemRepository(IdRepository):  # type: ignore[type-arg]
    spec = ITEM_SPEC


class AsyncItemRepository(AsyncIdRepository):  # type: ignore[type-arg]
    spec = ITEM_SPEC


class ItemService(IdServiceBase[Item, ItemRead, Any, Any, Any, Any, Any, int]):
    repository_class = ItemRepository
    _read = staticmethod(item_to_read)
    _model = Item


class AsyncItemService(AsyncIdServiceBase[Item, ItemRead, Any, Any, Any, Any, Any, int]):
    repository_class = AsyncItemRepository
    _read = staticmethod(item_to_read)
    _model = Item


class OrmItemService(ItemService):
    _rows = None  # the repository path, to compare with


class AsyncOrmItemService(AsyncItemService):
    _rows = None


def new_items(count: int) -> list[Item]:
    moment = datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.UTC)
    return [
        Item(
            label=f"item {i % 7}",
            price=D(i % 5) + D("0.25"),
            size=Size.SMALL if i % 3 else Size.LARGE,
            seen_at=None if i % 4 == 0 else moment + datetime.timedelta(hours=i),
            born=None if i % 2 else datetime.date(2000, 1, 1 + i % 28),
            data={"n": i, "tags": ["a", str(i)]},
            blob=None if i % 5 == 0 else bytes([i, 0, 255]),
            flag=i % 2 == 0,
            weight=None if i % 6 == 0 else i / 4,
        )
        for i in range(count)
    ]


@pytest.fixture(params=["sync", "async"])
async def session(request: pytest.FixtureRequest, database: Any) -> AsyncIterator[Any]:
    """A session on a fresh database holding 30 items (committed)."""
    if request.param == "sync":
        engine = create_engine(database.url)
        Base.metadata.create_all(engine)
        with Session(engine) as sync_session:
            sync_session.add_all(new_items(30))
            sync_session.commit()
            yield sync_session
        engine.dispose()
        return
    async_engine = create_async_engine(database.async_url)
    async with async_engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with AsyncSession(async_engine) as async_session:
        async_session.add_all(new_items(30))
        await async_session.commit()
        yield async_session
    await async_engine.dispose()


def services(session: Any) -> tuple[Any, Any]:
    """(row path, repository path) services on ``session``."""
    if isinstance(session, AsyncSession):
        return AsyncItemService(session), AsyncOrmItemService(session)
    return ItemService(session), OrmItemService(session)


async def call(value: Any) -> Any:
    """Await what an asyncio service returned; pass a sync one's value through."""
    return await value if inspect.isawaitable(value) else value


@pytest.fixture
def loaded() -> Iterator[list[int]]:
    """The ids of the Item objects the ORM loads from rows while the test runs."""
    found: list[int] = []

    def record(target: Item, _context: Any) -> None:
        found.append(target.id)

    event.listen(Item, "load", record)
    yield found
    event.remove(Item, "load", record)


PAGES = [
    {"limit": 10},
    {"where": Item.price >= D(2), "order_by": "-price", "limit": 7, "offset": 3},
    {"order_by": ["label", "-weight"], "limit": 8, "offset": 20},
    {"where": Item.label == "item 3", "limit": 50},
    {"where": Item.label == "none", "limit": 5},
    {"limit": 5, "offset": 100},  # past the last page: a second count
    {"limit": 0},
]


async def test_the_row_path_returns_the_repository_paths_pages(
    session: Any, loaded: list[int]
) -> None:
    rows, orm = services(session)
    assert rows._rows is not None and rows._rows.plan is not None
    for page in PAGES:
        session.expunge_all()
        found = await call(rows.list(**page))
        assert loaded == [], page  # no ORM object was made
        expected = await call(orm.list(**page))
        assert loaded == [item.id for item in expected.items]
        loaded.clear()
        assert found == expected, page
    assert [item.id for item in (await call(rows.list(limit=3))).items] == [1, 2, 3]


async def test_list_after_walks_the_same_pages(session: Any) -> None:
    rows, orm = services(session)
    where = Item.flag.is_(True)
    cursors: list[str | None] = [None]
    walked: list[ItemRead] = []
    while True:
        found = await call(rows.list_after(cursors[-1], 4, where=where))
        assert found == await call(orm.list_after(cursors[-1], 4, where=where))
        walked += found.items
        if found.next_cursor is None:
            break
        cursors.append(found.next_cursor)
    assert [item.id for item in walked] == list(range(1, 31, 2))
    assert len(cursors) == 4
    with pytest.raises(InvalidCursorError):
        await call(rows.list_after("not a cursor", 4))


async def test_one_statement_per_page_declared_as_a_read(session: Any) -> None:
    """Every statement carries READ_INTENT (a routed session sends it to a replica)."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    intents: list[object] = []
    original = sync.get_bind

    def get_bind(*args: Any, **kwargs: Any) -> Any:
        intents.append(kwargs.get(INTENT_KEY))
        return original(*args, **kwargs)

    sync.get_bind = get_bind
    rows, _ = services(session)
    page = await call(rows.list(limit=5))
    assert (len(page.items), page.total, intents) == (5, 30, ["read"])
    await call(rows.list(limit=5, offset=100))
    await call(rows.list_after(None, 5))
    assert intents == ["read"] * 4  # past the last page: the page, then its count


async def test_what_the_session_has_not_flushed_is_listed(session: Any) -> None:
    """The row statement autoflushes as the repository's does."""
    rows, _ = services(session)
    session.add(Item(label="pending", price=D(1), size=Size.SMALL, data={}))
    page = await call(rows.list(Item.label == "pending"))
    assert [item.label for item in page.items] == ["pending"]
    assert page.total == 1


# --- when the service stays on its repository -------------------------------------------


def sqlite_session() -> Session:
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    session = Session(engine)
    session.add_all(new_items(6))
    session.commit()
    return session


def test_a_user_read_is_kept() -> None:
    class Custom(ItemService):
        @staticmethod
        def _read(instance: Item) -> ItemRead:  # type: ignore[override]
            return msgspec.structs.replace(item_to_read(instance), label="mine")

    assert Custom._rows is None
    assert {item.label for item in Custom(sqlite_session()).list().items} == {"mine"}


def test_a_user_repository_that_overrides_a_read_is_kept() -> None:
    class Mine(ItemRepository):
        def list_and_count(self, *args: Any, **kwargs: Any) -> Any:
            items, total = super().list_and_count(*args, **kwargs)
            return items[:1], total

    class Added(ItemRepository):
        def recent(self) -> list[Item]:  # a query of the user's own: the row path stays
            return self.list(limit=1)

    class Custom(ItemService):
        repository_class = Mine

    class Other(ItemService):
        repository_class = Added

    assert Custom._rows is None and Other._rows is not None
    assert len(Custom(sqlite_session()).list().items) == 1
    assert len(Other(sqlite_session()).list().items) == 6


def test_a_repository_without_a_spec_is_kept() -> None:
    class Hand:
        def __init__(self, session: Session) -> None:
            self.session = session

    class Custom(ItemService):
        repository_class = Hand  # type: ignore[assignment]

    assert Custom._rows is None


class Cached(Base):
    __tablename__ = "row_cached"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))


class CachedRead(msgspec.Struct, kw_only=True):
    id: int
    name: str


class CachedRepository(IdRepository):  # type: ignore[type-arg]
    spec = RepositorySpec(Cached, keys=KEYS, cursor=CURSOR, cached=True)


def test_a_cached_model_reads_through_its_cache() -> None:
    class CachedService(IdServiceBase[Cached, CachedRead, Any, Any, Any, Any, Any, int]):
        repository_class = CachedRepository
        _read = staticmethod(lambda instance: CachedRead(id=instance.id, name=instance.name))

    assert CachedService._rows is None


class Shelf(Base):
    __tablename__ = "row_shelves"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    upper: Mapped[str] = column_property(func.upper(name))
    kind: Mapped[str] = mapped_column(String(10), default="shelf")
    __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "shelf"}  # noqa: RUF012


class Rack(Shelf):
    """Single-table inheritance: its rows are the shelves of kind "rack"."""

    levels: Mapped[int | None] = mapped_column(default=3)
    __mapper_args__ = {"polymorphic_identity": "rack"}  # noqa: RUF012


class ShelfRead(msgspec.Struct, kw_only=True):
    id: int
    name: str
    kind: str


class ShelfUpperRead(ShelfRead, kw_only=True):
    upper: str


class RackRead(ShelfRead, kw_only=True):
    levels: int | None


def service_of(model: type[Any], read: type[msgspec.Struct]) -> type[Any]:
    """A service as generated for ``model`` and ``read``."""

    class Repository(IdRepository):  # type: ignore[type-arg]
        spec = RepositorySpec(model, keys=KEYS, orderable=("id",), cursor=CURSOR)

    class Service(IdServiceBase[model, read, Any, Any, Any, Any, Any, int]):  # type: ignore[valid-type]
        repository_class = Repository
        _read = staticmethod(
            lambda instance: read(**{f: getattr(instance, f) for f in read.__struct_fields__})
        )
        _model = model

    return Service


@pytest.mark.parametrize(
    ("model", "read", "rows"),
    [
        (Shelf, ShelfRead, True),  # plain columns (a polymorphic base reads its own table)
        (Shelf, ShelfUpperRead, False),  # a column_property expression
        (Rack, RackRead, False),  # an inheritance subclass
    ],
)
def test_a_read_dto_of_other_than_own_columns_reads_objects(
    model: type[Any], read: type[msgspec.Struct], rows: bool
) -> None:
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all([Shelf(name="a"), Rack(name="b", levels=5), Shelf(name="c")])
        session.commit()
        service = service_of(model, read)(session)
        assert (service._rows.plan is not None) is rows
        page = service.list()
        session.expunge_all()
        orm = list(session.scalars(select(model).order_by(model.id)))
        expected = [read(**{f: getattr(o, f) for f in read.__struct_fields__}) for o in orm]
        assert (page.items, page.total) == (expected, len(expected))


# --- soft delete -------------------------------------------------------------------------


class Note(Base):
    __tablename__ = "row_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(20))
    deleted_at: Mapped[datetime.datetime | None]


class NoteRead(msgspec.Struct, kw_only=True):
    id: int
    text: str
    deleted_at: datetime.datetime | None


NOTE_SPEC = RepositorySpec(
    Note, keys=KEYS, orderable=("id", "text"), cursor=CURSOR, soft_delete="deleted_at"
)


class NoteRepository(IdSoftDeleteRepository):  # type: ignore[type-arg]
    spec = NOTE_SPEC


class AsyncNoteRepository(AsyncIdSoftDeleteRepository):  # type: ignore[type-arg]
    spec = NOTE_SPEC


def note_to_read(instance: Note) -> NoteRead:
    return NoteRead(id=instance.id, text=instance.text, deleted_at=instance.deleted_at)


class NoteService(IdServiceBase[Note, NoteRead, Any, Any, Any, Any, Any, int]):
    repository_class = NoteRepository
    _read = staticmethod(note_to_read)


class AsyncNoteService(AsyncIdServiceBase[Note, NoteRead, Any, Any, Any, Any, Any, int]):
    repository_class = AsyncNoteRepository
    _read = staticmethod(note_to_read)


async def test_soft_deleted_rows_are_left_out(session: Any) -> None:
    is_async = isinstance(session, AsyncSession)
    gone = datetime.datetime(2024, 1, 1)
    session.add_all([Note(text=f"n{i}", deleted_at=gone if i % 2 else None) for i in range(6)])
    await call(session.flush())
    service = (AsyncNoteService if is_async else NoteService)(session)
    orm = type("Orm", (type(service),), {"_rows": None})(session)
    assert service._rows.plan is not None
    page = await call(service.list(order_by="-text"))
    assert [note.text for note in page.items] == ["n4", "n2", "n0"] and page.total == 3
    assert page == await call(orm.list(order_by="-text"))
    first = await call(service.list_after(None, 2))
    assert first == await call(orm.list_after(None, 2))
    second = await call(service.list_after(first.next_cursor, 2))
    assert [note.text for note in first.items + second.items] == ["n0", "n2", "n4"]
    assert second.next_cursor is None


def test_a_session_wide_criterion_applies_to_the_row_statement() -> None:
    """A `do_orm_execute` hook adding `with_loader_criteria` (multi-tenancy, say) filters the
    row path's statement as it filters the repository's: with a hook registered, the statement
    goes through `Session.execute`, not straight to the connection."""
    session = sqlite_session()

    @event.listens_for(session, "do_orm_execute")
    def only_flagged(state: Any) -> None:
        if state.is_select:
            criterion = sa.orm.with_loader_criteria(Item, Item.flag.is_(True))
            state.statement = state.statement.options(criterion)

    page = ItemService(session).list()
    assert page == OrmItemService(session).list()
    assert ([item.id for item in page.items], page.total) == ([1, 3, 5], 3)


def test_without_autoflush_the_row_path_reads_the_database() -> None:
    """The one difference by design: an object changed and not flushed is read as stored."""
    session = sqlite_session()
    session.autoflush = False
    held = session.get(Item, 1)
    assert held is not None
    held.label = "changed"
    assert ItemService(session).list(limit=1).items[0].label == "item 0"
    assert OrmItemService(session).list(limit=1).items[0].label == "changed"


class Tally(Base):
    """Attributes named like a row's tuple methods, and a column named otherwise."""

    __tablename__ = "row_tallies"

    index: Mapped[int] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column("n")


class TallyRead(msgspec.Struct, kw_only=True):
    index: int
    count: int


def test_cursors_are_read_off_dtos_not_rows() -> None:
    """`row.count` is the tuple method: the keyset page is made of DTOs before its cursors."""
    tally = service_of(Tally, TallyRead)

    class Repository(tally.repository_class):  # type: ignore[name-defined,misc]
        spec = RepositorySpec(Tally, keys=KEYS, orderable=("index", "count"), cursor=CURSOR)

    class Tallies(tally):  # type: ignore[valid-type,misc]
        repository_class = Repository

    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all([Tally(index=i, count=10 - i % 4) for i in range(1, 9)])
        session.flush()
        rows = Tallies(session)
        orm = type("Orm", (Tallies,), {"_rows": None})(session)
        assert rows._rows.plan is not None
        cursor = None
        walked = []
        while True:
            page = rows.list_after(cursor, 3, order_by="-count")
            assert page == orm.list_after(cursor, 3, order_by="-count")
            walked += [(item.count, item.index) for item in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert walked == sorted(walked, key=lambda pair: (-pair[0], pair[1])) and len(walked) == 8


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_a_routed_session_reads_pages_on_its_replica(tmp_path: Path, is_async: bool) -> None:
    """The row statements declare READ_INTENT: a RoutingSession sends them to the replica
    (here a file holding other rows than the primary's), until the session writes."""
    paths = {name: tmp_path / f"{name}.sqlite3" for name in ("primary", "replica")}
    for name, path in paths.items():
        engine = sa.create_engine(f"sqlite:///{path}")
        Base.metadata.create_all(engine)
        with Session(engine) as seeding:
            seeding.add_all(new_items(3 if name == "primary" else 5))
            seeding.commit()
        engine.dispose()
    driver = "aiosqlite" if is_async else "pysqlite"
    urls = [f"sqlite+{driver}:///{paths[name]}" for name in ("primary", "replica")]
    if is_async:
        router: Any = create_async_router(urls[0], urls[1:])
        session: Any = async_routing_session_factory(router)()
    else:
        router = create_router(urls[0], urls[1:])
        session = routing_session_factory(router)()
    try:
        rows, _ = services(session)
        assert (await call(rows.list())).total == 5  # the replica's
        assert len((await call(rows.list_after(None, 10))).items) == 5
        session.add(Item(label="new", price=D(1), size=Size.SMALL, data={}))
        assert (await call(rows.list())).total == 4  # flushed to the primary, read there
    finally:
        await call(session.close())
        await call(router.dispose())
