"""Context managers that wrap a repository write and translate its integrity and data errors.

A failed INSERT/UPDATE leaves the transaction aborted on PostgreSQL and the ORM session in a
"needs rollback" state everywhere, so the guard rolls the session back before raising: the session
stays usable, and rows the caller added earlier in the same transaction are discarded rather than
half-committed later. A value the database refuses (too long, out of range) is a ``DataError``,
rolled back the same way: on PostgreSQL it would otherwise leave the session needing a rollback
(``PendingRollbackError`` on its next use). Callers who want to keep earlier work wrap the write in
``session.begin_nested()`` themselves.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.util.concurrency import await_only, in_greenlet

from .errors import DataError, RepositoryError, UniqueKeySpec

if TYPE_CHECKING:  # asyncio support needs greenlet: sync-only apps need not install it
    from sqlalchemy.ext.asyncio import AsyncSession


@contextmanager
def write_guard(
    session: Session,
    model: str,
    keys: Sequence[UniqueKeySpec],
    name_column: Callable[[DataError], DataError] | None = None,
) -> Iterator[None]:
    """Roll back and raise ``ConflictError``/``ForeignKeyError``/... on an ``IntegrityError``
    (and ``IntegrityViolationError`` on a CHECK that MariaDB reports as another error),
    ``DataError`` on a value the database refused, ``UnsupportedWriteError`` on a statement it
    refused as unsupported (a PostgreSQL rule rewrites the table's writes).

    A ``RepositoryError`` raised inside the block (a conflict found after the statement ran, as
    :func:`match_upserted` does) rolls back too. ``name_column`` names the column of a
    ``DataError`` that the driver's error did not name (the repositories check the values they
    wrote).
    """
    try:
        yield
    except IntegrityError as error:
        session.rollback()
        raise _integrity_error(error, model, keys) from error
    except RepositoryError:
        session.rollback()
        raise
    except (DBAPIError, OverflowError) as error:
        refused = _refused(error, model, name_column)
        if refused is None:
            raise
        session.rollback()
        raise refused from error


@asynccontextmanager
async def async_write_guard(
    session: AsyncSession,
    model: str,
    keys: Sequence[UniqueKeySpec],
    name_column: Callable[[DataError], DataError] | None = None,
) -> AsyncIterator[None]:
    """The ``async with`` twin of :func:`write_guard`, for code that awaits inside it (the
    generated queries): the async repositories run :func:`write_guard` itself."""
    try:
        yield
    except IntegrityError as error:
        await session.rollback()
        raise _integrity_error(error, model, keys) from error
    except RepositoryError:
        await session.rollback()
        raise
    except (DBAPIError, OverflowError) as error:
        refused = _refused(error, model, name_column)
        if refused is None:
            raise
        await session.rollback()
        raise refused from error


def _integrity_error(
    error: IntegrityError, model: str, keys: Sequence[UniqueKeySpec]
) -> RepositoryError:
    from .integrity import translate_integrity_error  # the error path loads with the first error

    return translate_integrity_error(error, model, keys)


def _refused(
    error: DBAPIError | OverflowError,
    model: str,
    name_column: Callable[[DataError], DataError] | None,
) -> RepositoryError | None:
    """The typed error of a statement the database refused, or None for any other error."""
    from .data_errors import data_error_of  # the error path loads with the first error
    from .integrity import check_violation
    from .unsupported import unsupported_write

    refused = (
        unsupported_write(error, model)
        or check_violation(error, model)
        or data_error_of(error, model)
    )
    if name_column is not None and isinstance(refused, DataError):
        refused = name_column(refused)
    return refused


def pause(seconds: float) -> None:
    """Sleep between retries, without blocking an event loop: asyncio code runs the sync
    repositories in a greenlet (``AsyncSession.run_sync``), where it awaits ``asyncio.sleep``."""
    if in_greenlet():
        import asyncio

        await_only(asyncio.sleep(seconds))
    else:
        time.sleep(seconds)


_DEADLOCK_CODES = frozenset({1213})  # MySQL/MariaDB: ER_LOCK_DEADLOCK
_DEADLOCK_STATES = frozenset({"40P01"})  # PostgreSQL: deadlock_detected


def is_deadlock(error: BaseException) -> bool:
    """Whether the database broke a deadlock by rolling this transaction back (InnoDB rolls back
    the whole transaction; PostgreSQL aborts it)."""
    if not isinstance(error, DBAPIError) or error.orig is None:
        return False
    original = error.orig
    args = original.args
    if len(args) >= 1 and isinstance(args[0], int):  # pymysql / aiomysql
        return args[0] in _DEADLOCK_CODES
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    return state in _DEADLOCK_STATES
