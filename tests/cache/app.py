"""A model and its repositories, as the templates generate a cached model's: the runtime's
repository bases with a spec that says ``cached=True``.

Each read hands the spec's ``ModelCache`` the session, what identifies the result and a
zero-argument loader holding the method's own query; each write registers the rows it returned.
The child process of the two-process test imports this module too.
"""

from __future__ import annotations

import builtins
import time
from enum import StrEnum
from typing import Any

import msgspec
from sqlalchemy import Engine, String, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, reconstructor
from sqlalchemy.pool import ConnectionPoolEntry
from sublimate_runtime import (
    AsyncRepository,
    Repository,
    RepositorySpec,
    TextFilter,
    UniqueKeySpec,
)


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


class AccountFilter(msgspec.Struct, kw_only=True):
    email: TextFilter | None = None


class AccountOrder(StrEnum):
    ID = "id"


class AccountUpdate(msgspec.Struct, kw_only=True):
    email: str | msgspec.UnsetType = msgspec.UNSET
    name: str | msgspec.UnsetType = msgspec.UNSET
    tags: str | msgspec.UnsetType = msgspec.UNSET


SPEC = RepositorySpec(
    Account,
    keys={
        "id": UniqueKeySpec(
            constraint_name=None, columns=("id",), sql_columns=("id",), primary=True
        ),
        "email": UniqueKeySpec(constraint_name=None, columns=("email",), sql_columns=("email",)),
    },
    updatable=("email", "name", "tags"),
    orderable=("id",),
    cursor=tuple[int],
    cached=True,
)
_CACHE = SPEC.cache
assert _CACHE is not None


class AccountRepository(Repository[Account, AccountFilter, AccountOrder]):
    spec = SPEC

    def get(self, id: int) -> Account:
        return self._get((id,))

    def get_by_email(self, email: str) -> Account | None:
        return self._get_by("email", (email,))

    def update(self, id: int, **values: Any) -> Account:
        return self._update((id,), AccountUpdate(**values))

    def delete(self, id: int) -> Account:
        return self._delete_key((id,))


class AsyncAccountRepository(AsyncRepository[Account, AccountFilter, AccountOrder]):
    spec = SPEC

    async def get(self, id: int) -> Account:
        return await self._get((id,))

    async def get_by_email(self, email: str) -> Account | None:
        return await self._get_by("email", (email,))

    async def update(self, id: int, **values: Any) -> Account:
        return await self._update((id,), AccountUpdate(**values))


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
