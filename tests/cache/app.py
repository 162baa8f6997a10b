"""A model and a repository written the way the templates are to generate cached repositories.

Each read hands the runtime's ``ModelCache`` the session, what identifies the result and a
zero-argument loader holding the method's own query; each write registers the rows it returned.
The child process of the two-process test imports this module too.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Engine, String, delete, event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, reconstructor
from sqlalchemy.pool import ConnectionPoolEntry
from sublimate_runtime import READ_INTENT, WRITE_INTENT, ModelCache, NotFoundError


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    tags: Mapped[str] = mapped_column(String(100), default="")

    @reconstructor
    def _loaded(self) -> None:
        """Runs when the ORM loads a row, and must run when the cache rebuilds one."""
        self.reconstructed = True


class Note(Base):
    """A second table: lists of accounts filtered through it depend on it too."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int]
    text: Mapped[str] = mapped_column(String(100))


_CACHE = ModelCache(Account, unique_keys={"email": ("email",)})
_FRESH = {"populate_existing": True}
_BULK = {"synchronize_session": False}


class AccountRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, id: int) -> Account:
        instance = _CACHE.get(
            self.session, (id,), lambda: self.session.get(Account, id, bind_arguments=READ_INTENT)
        )
        if instance is None:
            raise NotFoundError("Account", {"id": id})
        return instance

    def get_by_email(self, email: str) -> Account | None:
        statement = select(Account).where(Account.email == email)
        return _CACHE.get_by(
            self.session,
            "email",
            (email,),
            lambda: self.session.scalars(statement, bind_arguments=READ_INTENT).one_or_none(),
        )

    def list(
        self, where: Sequence[ColumnElement[bool]] = (), *, limit: int | None = None
    ) -> builtins.list[Account]:
        statement = select(Account).where(*where).order_by(Account.id).limit(limit)
        return _CACHE.list(
            self.session,
            statement,
            lambda: builtins.list(self.session.scalars(statement, bind_arguments=READ_INTENT)),
        )

    def list_and_count(
        self, where: Sequence[ColumnElement[bool]] = (), *, limit: int | None = None
    ) -> tuple[builtins.list[Account], int]:
        statement = (
            select(Account, func.count().over()).where(*where).order_by(Account.id).limit(limit)
        )

        def load() -> tuple[builtins.list[Account], int]:
            rows = self.session.execute(statement, bind_arguments=READ_INTENT).all()
            return [row[0] for row in rows], (rows[0][1] if rows else 0)

        return _CACHE.list_and_count(self.session, statement, load)

    def count(self, where: Sequence[ColumnElement[bool]] = ()) -> int:
        statement = select(func.count()).select_from(Account).where(*where)
        return _CACHE.scalar(
            self.session,
            statement,
            lambda: self.session.execute(statement, bind_arguments=READ_INTENT).scalar_one(),
        )

    def add(self, instance: Account) -> Account:
        self.session.add(instance)
        self.session.flush()
        _CACHE.invalidate(self.session, [instance])
        return instance

    def update(self, id: int, **values: Any) -> Account:
        statement = update(Account).where(Account.id == id).values(values)
        returning = statement.returning(Account).execution_options(**_BULK)
        result = self.session.scalars(
            returning, execution_options=_FRESH, bind_arguments=WRITE_INTENT
        )
        instance = result.one_or_none()
        if instance is None:
            raise NotFoundError("Account", {"id": id})
        _CACHE.invalidate(self.session, [instance])
        return instance

    def delete(self, id: int) -> Account:
        statement = delete(Account).where(Account.id == id).returning(Account)
        found = builtins.list(self.session.scalars(statement, bind_arguments=WRITE_INTENT))
        _CACHE.invalidate(self.session, found)
        for instance in found:
            if instance in self.session:
                self.session.expunge(instance)
        if not found:
            raise NotFoundError("Account", {"id": id})
        return found[0]


class AsyncAccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, id: int) -> Account:
        # AsyncSession.get() takes no bind_arguments: a SELECT is routed as a read by default.
        instance = await _CACHE.aget(self.session, (id,), lambda: self.session.get(Account, id))
        if instance is None:
            raise NotFoundError("Account", {"id": id})
        return instance

    async def get_by_email(self, email: str) -> Account | None:
        statement = select(Account).where(Account.email == email)

        async def load() -> Account | None:
            return (await self.session.scalars(statement, bind_arguments=READ_INTENT)).one_or_none()

        return await _CACHE.aget_by(self.session, "email", (email,), load)

    async def list(
        self, where: Sequence[ColumnElement[bool]] = (), *, limit: int | None = None
    ) -> builtins.list[Account]:
        statement = select(Account).where(*where).order_by(Account.id).limit(limit)

        async def load() -> builtins.list[Account]:
            return builtins.list(await self.session.scalars(statement, bind_arguments=READ_INTENT))

        return await _CACHE.alist(self.session, statement, load)

    async def count(self, where: Sequence[ColumnElement[bool]] = ()) -> int:
        statement = select(func.count()).select_from(Account).where(*where)

        async def load() -> int:
            result = await self.session.execute(statement, bind_arguments=READ_INTENT)
            return int(result.scalar_one())

        return await _CACHE.ascalar(self.session, statement, load)

    async def update(self, id: int, **values: Any) -> Account:
        statement = update(Account).where(Account.id == id).values(values)
        returning = statement.returning(Account).execution_options(**_BULK)
        result = await self.session.scalars(
            returning, execution_options=_FRESH, bind_arguments=WRITE_INTENT
        )
        instance = result.one_or_none()
        if instance is None:
            raise NotFoundError("Account", {"id": id})
        _CACHE.invalidate(self.session, [instance])
        return instance


def add_sleep_function(engine: Engine) -> None:
    """``sleep_ms(n)`` in SQL: a query that takes long enough for a stampede to pile up."""

    @event.listens_for(engine, "connect")
    def register(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.create_function("sleep_ms", 1, _sleep_ms)


def _sleep_ms(milliseconds: int) -> int:
    time.sleep(milliseconds / 1000)
    return 0


def statements(engine: Engine) -> builtins.list[str]:
    """Every statement the engine sends from now on (a before_cursor_execute listener)."""
    seen: builtins.list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    return seen
