"""What the behaviour tests share: the engines (SQLite, PostgreSQL, MariaDB), `aw()`, data helpers.

`shop.db` is imported normally: until the generator has written it, every behaviour test fails
to collect, loudly, instead of being skipped.
"""

from __future__ import annotations

import contextlib
import datetime
import inspect
import uuid
from collections.abc import Awaitable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from shop.db import (
    AsyncCategoryRepository,
    AsyncCategoryService,
    AsyncCustomerRepository,
    AsyncCustomerService,
    AsyncOrderLineRepository,
    AsyncOrderLineService,
    AsyncOrderRepository,
    AsyncOrderService,
    AsyncProductRepository,
    AsyncProductService,
    AsyncTagRepository,
    AsyncTagService,
    CategoryRepository,
    CategoryService,
    CustomerRepository,
    CustomerService,
    OrderLineRepository,
    OrderLineService,
    OrderRepository,
    OrderService,
    ProductRepository,
    ProductService,
    TagRepository,
    TagService,
)
from shop.models import Base, Category, Customer, Order, OrderLine, Product, Tag
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session
from sublimate_runtime import create_async_engine, create_engine

T = TypeVar("T")

# kind -> (dialect, scratch backend or None for SQLite, async?)
ENGINES: dict[str, tuple[str, str | None, bool]] = {
    "sqlite-file": ("sqlite", None, False),
    "sqlite-memory": ("sqlite", None, False),
    "aiosqlite-file": ("sqlite", None, True),
    "postgresql-psycopg": ("postgresql", "postgresql", False),
    "postgresql-asyncpg": ("postgresql", "postgresql", True),
    "mariadb-pymysql": ("mariadb", "mysql", False),
    "mariadb-aiomysql": ("mariadb", "mysql", True),
}
ENGINE_KINDS = tuple(ENGINES)

REPOSITORIES: dict[type[Base], tuple[type[Any], type[Any]]] = {
    Customer: (CustomerRepository, AsyncCustomerRepository),
    Category: (CategoryRepository, AsyncCategoryRepository),
    Tag: (TagRepository, AsyncTagRepository),
    Product: (ProductRepository, AsyncProductRepository),
    Order: (OrderRepository, AsyncOrderRepository),
    OrderLine: (OrderLineRepository, AsyncOrderLineRepository),
}

SERVICES: dict[type[Base], tuple[type[Any], type[Any]]] = {
    Customer: (CustomerService, AsyncCustomerService),
    Category: (CategoryService, AsyncCategoryService),
    Tag: (TagService, AsyncTagService),
    Product: (ProductService, AsyncProductService),
    Order: (OrderService, AsyncOrderService),
    OrderLine: (OrderLineService, AsyncOrderLineService),
}


async def aw(value: Awaitable[T] | T) -> T:
    """Await what an async repository/service returned; pass a sync result through."""
    if inspect.isawaitable(value):
        return await value  # type: ignore[no-any-return]
    return value


def at(year: int, month: int, day: int, hour: int = 12) -> datetime.datetime:
    """An aware UTC datetime, as an application would store it."""
    return datetime.datetime(year, month, day, hour, tzinfo=datetime.UTC)


def utc(value: datetime.datetime) -> datetime.datetime:
    """SQLite gives DateTime(timezone=True) back naive: the values stored here are all UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)


def new_customer(name: str, **values: Any) -> Customer:
    values.setdefault("email", f"{name.lower()}@example.com")
    return Customer(name=name, **values)


def new_product(sku: str, **values: Any) -> Product:
    values.setdefault("name", f"Product {sku}")
    values.setdefault("price", Decimal("10.00"))
    return Product(sku=sku, **values)


@dataclass
class Db:
    """One database and one open session on it, sync or async."""

    kind: str
    engine: sa.Engine | AsyncEngine
    session: Any  # Session | AsyncSession; Any so tests call either without casts
    is_async: bool
    _statement_sink: list[list[str]] = field(default_factory=list)

    @property
    def dialect(self) -> str:
        """The dialect: "sqlite", "postgresql" or "mariadb"."""
        return ENGINES[self.kind][0]

    @property
    def sync_engine(self) -> sa.Engine:
        return self.engine.sync_engine if isinstance(self.engine, AsyncEngine) else self.engine

    def repo(self, model: type[Base]) -> Any:
        sync_class, async_class = REPOSITORIES[model]
        return (async_class if self.is_async else sync_class)(self.session)

    def service(self, model: type[Base], *, auto_commit: bool = False) -> Any:
        sync_class, async_class = SERVICES[model]
        return (async_class if self.is_async else sync_class)(self.session, auto_commit=auto_commit)

    async def commit(self) -> None:
        await aw(self.session.commit())

    async def rollback(self) -> None:
        await aw(self.session.rollback())

    async def seed(self, *objects: Any) -> list[Any]:
        """Insert with plain SQLAlchemy (not the code under test) and commit."""
        self.session.add_all(objects)
        await self.commit()
        return list(objects)

    async def scalar(self, statement: sa.Executable) -> Any:
        return await aw(self.session.scalar(statement))

    async def scalars(self, statement: sa.Executable) -> list[Any]:
        result = await aw(self.session.scalars(statement))
        return list(result.all())

    async def rows(self, model: type[Base]) -> int:
        """How many rows the table holds, asked of the database (not the identity map)."""
        return int(await self.scalar(sa.select(sa.func.count()).select_from(model)))

    async def column(self, column: Any, *where: Any) -> list[Any]:
        """One column's values straight from the database, in primary-key order."""
        entity = column.class_
        statement = sa.select(column).where(*where)
        statement = statement.order_by(*sa.inspect(entity).primary_key)
        return await self.scalars(statement)

    def forget(self) -> None:
        """Empty the identity map, so the next read really goes to the database."""
        self.session.expunge_all()

    @contextlib.contextmanager
    def count_statements(self) -> Iterator[list[str]]:
        """Record every statement sent to the driver while the block runs."""
        statements: list[str] = []

        def record(
            conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
        ) -> None:
            statements.append(statement)

        sa.event.listen(self.sync_engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            sa.event.remove(self.sync_engine, "before_cursor_execute", record)

    async def close(self) -> None:
        await aw(self.session.close())
        await aw(self.engine.dispose())


async def open_db(kind: str, tmp_path: Path, scratch: Any = None) -> Db:
    """Open `kind` with the runtime's engine factories, as an application would.

    Server kinds need `scratch`, a ScratchDatabase from tests/conftest.py. On SQLite the runtime
    turns foreign keys on, shares one connection for `:memory:` and batches INSERTs of rows with
    a database-assigned key (`batch_sqlite_inserts`).
    """
    path = tmp_path / "shop.sqlite3"
    engine: sa.Engine | AsyncEngine
    if ENGINES[kind][1] is not None:
        if ENGINES[kind][2]:
            engine = create_async_engine(scratch.async_url, connect_args=scratch.async_connect_args)
        else:
            engine = create_engine(scratch.url, connect_args=scratch.connect_args)
    elif kind == "sqlite-file":
        engine = create_engine(f"sqlite+pysqlite:///{path}")
    elif kind == "sqlite-memory":
        engine = create_engine("sqlite+pysqlite:///:memory:")
    elif kind == "aiosqlite-file":
        engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    else:
        raise ValueError(kind)

    if isinstance(engine, AsyncEngine):
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        session: Session | AsyncSession = AsyncSession(engine, expire_on_commit=False)
    else:
        Base.metadata.create_all(engine)
        session = Session(engine, expire_on_commit=False)
    return Db(kind=kind, engine=engine, session=session, is_async=isinstance(engine, AsyncEngine))


async def walk_keyset(
    repository: Any, *, limit: int, where: Any = None, max_pages: int = 10_000
) -> tuple[list[Any], int]:
    """Follow `list_after` from the start to the end; returns every item and the page count."""
    items: list[Any] = []
    cursor: Any = None
    pages = 0
    while True:
        page = await aw(repository.list_after(cursor, limit=limit, where=where))
        pages += 1
        assert len(page.items) <= limit
        items.extend(page.items)
        if page.next_cursor is None:
            return items, pages
        assert pages < max_pages, "list_after never reached the end"
        cursor = page.next_cursor


def _mariadb_uuid_order(value: uuid.UUID) -> tuple[str, ...]:
    text = value.hex
    return (text[20:32], text[16:20], text[12:16], text[8:12], text[0:8])


def in_key_order(db: Db, values: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """UUID keys in the order the database sorts them (what `list()` and `list_after()` follow).

    PostgreSQL compares UUIDs byte by byte and SQLite stores them as 32 hex digits, both the
    order of Python's `sorted`; MariaDB's native UUID type compares the groups from the last to
    the first (measured on 10.11 for UUIDv1, v4 and edge values).
    """
    if db.dialect == "mariadb":
        return sorted(values, key=_mariadb_uuid_order)
    return sorted(values)


def keys(objects: Sequence[Any], *attrs: str) -> list[Any]:
    """`keys(products, "sku")` -> ["a", "b"]; with several attrs, tuples."""
    if len(attrs) == 1:
        return [getattr(o, attrs[0]) for o in objects]
    return [tuple(getattr(o, a) for a in attrs) for o in objects]
