"""Per-dialect statement building for the few operations SQL does not spell the same everywhere.

Generated code asks these functions for a statement (or whether RETURNING is available) and
executes it itself, so the SQL it runs stays visible in the generated repository.

What the servers really do (measured on PostgreSQL 15, MariaDB 10.11, SQLite 3.40): MariaDB runs
``INSERT ... RETURNING``, ``INSERT ... ON DUPLICATE KEY UPDATE ... RETURNING`` (the updated values
come back) and ``DELETE ... RETURNING``, but not ``UPDATE ... RETURNING`` (a syntax error);
SQLAlchemy reports exactly that. MySQL has no RETURNING at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Insert, and_, case, inspect
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import Session

if TYPE_CHECKING:  # asyncio support needs greenlet: sync-only apps need not install it
    from sqlalchemy.ext.asyncio import AsyncSession


def dialect_of(session: Session | AsyncSession) -> Dialect:
    """The dialect of the session's bind, initialised from the server when possible.

    SQLAlchemy learns the server version on the engine's first connection; until then a MariaDB
    engine looks like MySQL (no RETURNING). For a sync session this connects once if needed. An
    ``AsyncSession`` cannot connect here: use ``await async_dialect_of(session)`` in async code.
    """
    bind = session.get_bind()
    uninitialised = bind.dialect.server_version_info is None
    if uninitialised and isinstance(bind, Engine) and isinstance(session, Session):
        bind.connect().close()  # the engine's first connection runs dialect.initialize()
    return bind.dialect


async def async_dialect_of(session: AsyncSession) -> Dialect:
    """:func:`dialect_of` for async code: initialises the dialect on the engine's first use."""
    dialect = session.get_bind().dialect
    if dialect.server_version_info is None:
        dialect = await session.run_sync(dialect_of)
    return dialect


def upsert_statement(
    dialect: Dialect, model: type[Any], conflict: Sequence[str], update: Sequence[str]
) -> Insert:
    """``INSERT ... ON CONFLICT (conflict) DO UPDATE SET update = excluded`` for ``model``.

    ``conflict`` and ``update`` are database column names. With nothing to update, the first
    conflict column is set to itself, so the row still comes back through RETURNING.

    MariaDB/MySQL have no conflict target: ON DUPLICATE KEY UPDATE fires on whichever unique key
    the row collides with first (the primary key before the others). So each assignment is
    guarded, ``col = IF(<conflict columns match>, VALUES(col), col)``: a row that collided on
    another key is left as it was and comes back under its own key, which
    :meth:`UniqueKeySpec.match_upserted` reports as a ``ConflictError``, as PostgreSQL and
    SQLite would.

    Execute it as an ORM bulk statement (``session.scalars(stmt.returning(Model), rows)``, rows
    keyed by attribute name): that is one statement per 1,000 rows on all three databases. Do not
    ask for ``sort_by_parameter_order=True``: with an upsert SQLAlchemy 2.1 then runs one statement
    per row (SQLite, MariaDB, PostgreSQL with a client-side key), and on PostgreSQL with an
    autoincrement key it sorts updated rows by their old ids, not by parameter order.
    """
    table = inspect(model).local_table
    by_name: dict[str, Column[Any]] = {column.name: column for column in table.columns}
    missing = [name for name in (*conflict, *update) if name not in by_name]
    if missing or not conflict:
        raise ValueError(f"upsert on {table.name}: unknown columns {missing} or empty conflict")
    targets = [by_name[name] for name in (update or conflict[:1])]
    # The dialect packages are imported here, not at the top: an application loads only its own
    # database's (its engine already did), not all three on `import sublimate_runtime`.
    if dialect.name in ("postgresql", "sqlite"):
        from sqlalchemy.dialects import postgresql, sqlite

        on_conflict = (
            postgresql.insert(model) if dialect.name == "postgresql" else sqlite.insert(model)
        )
        return on_conflict.on_conflict_do_update(
            index_elements=[by_name[name] for name in conflict],
            set_={column: on_conflict.excluded[column.key] for column in targets},
        )
    if dialect.name in ("mysql", "mariadb"):
        from sqlalchemy.dialects import mysql

        on_duplicate = mysql.insert(model)
        matched = and_(
            *(by_name[name] == on_duplicate.inserted[by_name[name].key] for name in conflict)
        )
        return on_duplicate.on_duplicate_key_update(
            {
                column.key: case((matched, on_duplicate.inserted[column.key]), else_=column)
                for column in targets
            }
        )
    raise NotImplementedError(
        f"sublimate_runtime has no upsert for the {dialect.name!r} dialect "
        "(supported: postgresql, mysql/mariadb, sqlite)"
    )


def upsert_returns(dialect: Dialect) -> bool:
    """Whether :func:`upsert_statement` can carry RETURNING: PostgreSQL, SQLite, MariaDB >= 10.5."""
    return dialect.name in ("postgresql", "sqlite", "mysql", "mariadb") and dialect.insert_returning


def update_returns(dialect: Dialect) -> bool:
    """Whether ``UPDATE ... RETURNING`` works (PostgreSQL, SQLite >= 3.35; not MariaDB/MySQL)."""
    return dialect.update_returning


def delete_returns(dialect: Dialect) -> bool:
    """Whether ``DELETE ... RETURNING`` works (PostgreSQL, SQLite >= 3.35, MariaDB >= 10.0)."""
    return dialect.delete_returning
