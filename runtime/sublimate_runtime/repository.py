"""The repositories every generated sync repository extends: the machinery, written once.

A generated ``<Model>Repository`` declares its model's :class:`RepositorySpec` and the few
methods whose signature names the model's key (``get(id)``, ``update(id, changes)``,
``get_by_<key>(...)``, ...); everything else is inherited from here, typed by the generic
parameters (model, Filter DTO, Order enum), so ``mypy --strict`` checks each call site against the
model. The statements come from the spec (:mod:`.repository_spec`); this module only runs them,
for a Session and for an ``AsyncSession`` (:mod:`.repository_async` runs these methods in its
greenlet).

Every statement declares its intent for replica routing (``READ_INTENT``/``WRITE_INTENT``; a
plain Session ignores it). Writes run in the write guard: an integrity or data error rolls the
session back and becomes the runtime's typed error.
"""

from __future__ import annotations

import builtins
import random
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Generic, cast

from sqlalchemy import CursorResult, Select, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from .dialects import delete_returns, dialect_of, update_returns, upsert_returns
from .errors import DataError
from .filter_flat import flat_page, spec_statement
from .guards import is_deadlock, pause, write_guard
from .intents import READ_INTENT, WRITE_INTENT
from .loading import RAISE, L, Load
from .pagination import KeysetPage
from .repository_spec import BULK, FRESH, F, M, O, OrderBy, RepositorySpec, Where
from .type_args import type_argument

_DEADLOCK_RETRIES = 3  # see _upsert


class ReadRepository(Generic[M, F, O, L]):
    """Reads of one model on a Session: the methods every generated repository has.

    ``L`` is the model's ``<M>Load`` enum: each read's ``load=`` names the related rows to load
    with it (one statement per level); any other relationship raises on access (see
    :mod:`.loading`).
    """

    spec: RepositorySpec[M]
    model: type[M]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("spec")
        if spec is None and (model := type_argument(cls, ReadRepository, "M")) is not None:
            spec = RepositorySpec.made_for(model)  # made by the generated module, above the class
            if spec is not None:
                cls.spec = spec
        if spec is not None:
            cls.model = spec.model

    def __init__(self, session: Session) -> None:
        self.session = session

    def get_one_or_none(self, where: Where[F] = None, *, load: Load[L] = None) -> M | None:
        """The one row matching `where`, or None; MultipleResultsFound when several match."""
        return self._one_or_none(where, False, load)

    def list(
        self,
        where: Where[F] = None,
        *,
        order_by: OrderBy[O] = None,
        limit: int | None = None,
        offset: int = 0,
        load: Load[L] = None,
    ) -> builtins.list[M]:
        """Matching rows, ordered (primary key last, so pages are stable)."""
        return self._list(where, order_by, limit, offset, False, load)

    def list_and_count(
        self,
        where: Where[F] = None,
        *,
        order_by: OrderBy[O] = None,
        limit: int | None = None,
        offset: int = 0,
        load: Load[L] = None,
    ) -> tuple[builtins.list[M], int]:
        """A page and the total count in one statement (a second only past the last page)."""
        return self._list_and_count(where, order_by, limit, offset, False, load)

    def count(self, where: Where[F] = None) -> int:
        """How many rows match."""
        return self._counted(where, False)

    def exists(self, where: Where[F] = None) -> bool:
        """Whether any row matches: SELECT EXISTS, never a count."""
        return self._exists(where, False)

    # --- what the public methods run ------------------------------------------------------

    def _get(
        self, key: tuple[Any, ...], include_deleted: bool = False, load: Load[Any] = None
    ) -> M:
        """The row with this primary key; NotFoundError when there is none.

        With ``load``, a SELECT with its loaders, past the cache and the identity map (which
        would return an instance held without them); else ``Session.get``, through the cache."""
        spec = self.spec
        identity = spec.identity(key)
        session = self.session

        def fetch() -> M | None:
            return session.get(spec.model, identity, options=[RAISE], bind_arguments=READ_INTENT)

        if load:
            statement = spec.select_key(key).options(*spec.loads.options(load))
            instance: M | None = session.scalars(
                statement, bind_arguments=READ_INTENT
            ).one_or_none()
        else:
            instance = fetch() if spec.cache is None else spec.cache.get(session, key, fetch)
        if instance is None or (not include_deleted and spec.is_deleted(instance)):
            raise spec.not_found(key)
        return instance

    def _get_by(
        self,
        name: str,
        values: tuple[Any, ...],
        include_deleted: bool = False,
        load: Load[Any] = None,
    ) -> M | None:
        """The row with these values of the unique key `name`, or None (with ``load``, past
        the cache: its entries hold columns only)."""
        spec = self.spec
        statement = spec.select_by(spec.keys[name].columns, values)
        statement = statement.options(*spec.loads.options(load))

        def fetch() -> M | None:
            found: M | None = self.session.scalars(
                statement, bind_arguments=READ_INTENT
            ).one_or_none()
            return found

        cache = None if load else spec.cache
        instance = fetch() if cache is None else cache.get_by(self.session, name, values, fetch)
        if not include_deleted and spec.is_deleted(instance):
            return None  # soft-deleted: it still holds its key
        return instance

    def _one_or_none(self, where: Where[F], include_deleted: bool, load: Load[Any]) -> M | None:
        spec = self.spec
        statement = select(spec.model).where(*spec.conditions(where, include_deleted))
        statement = statement.options(*spec.loads.options(load))
        found: M | None = self.session.scalars(statement, bind_arguments=READ_INTENT).one_or_none()
        return found

    def _list(
        self,
        where: Where[F],
        order_by: OrderBy[O],
        limit: int | None,
        offset: int,
        include_deleted: bool,
        load: Load[Any] = None,
    ) -> builtins.list[M]:
        spec = self.spec
        flat = flat_page(spec, where, order_by, limit, offset, include_deleted, load)
        if flat is not None:
            return builtins.list(self.session.scalars(*flat, bind_arguments=READ_INTENT))
        conditions = spec.conditions(where, include_deleted)
        return self._rows(spec.select_page(conditions, order_by, limit, offset), load)

    def _list_and_count(
        self,
        where: Where[F],
        order_by: OrderBy[O],
        limit: int | None,
        offset: int,
        include_deleted: bool,
        load: Load[Any] = None,
    ) -> tuple[builtins.list[M], int]:
        spec = self.spec
        flat = flat_page(spec, where, order_by, limit, offset, include_deleted, load, True)
        statement, params = flat or (None, None)
        if statement is None:
            conditions = spec.conditions(where, include_deleted)
            statement = spec.select_counted(conditions, order_by, limit, offset)
            statement = statement.options(*spec.loads.options(load))

        def fetch() -> tuple[builtins.list[M], int]:
            rows = self.session.execute(statement, params, bind_arguments=READ_INTENT).all()
            if rows:
                return [row[0] for row in rows], rows[0][1]
            if offset == 0 and limit != 0:
                return [], 0
            return [], self._counted(where, include_deleted)

        cache = None if load else spec.cache
        return fetch() if cache is None else cache.list_and_count(self.session, statement, fetch)

    def _count(self, conditions: Sequence[Any]) -> int:
        counted: int = self._scalar(self.spec.select_count(conditions), int)
        return counted

    def _counted(self, where: Where[F], include_deleted: bool) -> int:
        counted: int = self._where_scalar("count", int, where, include_deleted)
        return counted

    def _exists(self, where: Where[F], include_deleted: bool) -> bool:
        found: bool = self._where_scalar("exists", bool, where, include_deleted)
        return found

    def _where_scalar(
        self, what: str, kind: Callable[[Any], Any], where: Where[F], include_deleted: bool
    ) -> Any:
        """``count`` or ``exists``; over a flat Filter, one statement per shape (.filter_flat)."""
        spec = self.spec
        build = spec.select_count if what == "count" else spec.select_exists
        flat = spec_statement(spec, what, where, include_deleted, build)
        if flat is None:
            return self._scalar(build(spec.conditions(where, include_deleted)), kind)
        result = self.session.execute(*flat, bind_arguments=READ_INTENT)
        return kind(result.scalar_one())

    def _scalar(self, statement: Select[Any], kind: Callable[[Any], Any]) -> Any:
        def load() -> Any:
            return kind(self.session.execute(statement, bind_arguments=READ_INTENT).scalar_one())

        cache = self.spec.cache
        return load() if cache is None else cache.scalar(self.session, statement, load)

    def _rows(self, statement: Select[Any], load: Load[Any] = None) -> builtins.list[M]:
        """Rows of a SELECT of the model with the loaders of ``load``, through the cache when
        the model has one and nothing is to be loaded with them (entries hold columns only)."""
        statement = statement.options(*self.spec.loads.options(load))

        def fetch() -> builtins.list[M]:
            return builtins.list(self.session.scalars(statement, bind_arguments=READ_INTENT))

        cache = None if load else self.spec.cache
        return fetch() if cache is None else cache.list(self.session, statement, fetch)


class KeyedReadRepository(ReadRepository[M, F, O, L]):
    """Reads of a model with a primary key: keyset pagination too."""

    def list_after(
        self,
        cursor: str | None = None,
        limit: int = 50,
        *,
        where: Where[F] = None,
        order_by: OrderBy[O] = None,
        load: Load[L] = None,
    ) -> KeysetPage[M]:
        """A keyset page in `order_by` (primary key last): the first without `cursor`, then
        a page's `next_cursor` (the rows after it) or `prev_cursor` (the rows before it), with
        the same `where` and `order_by`; InvalidCursorError for a cursor made for another
        order or filter, or tampered with. One statement per page."""
        return self._list_after(cursor, limit, where, order_by, False, load)

    def _list_after(
        self,
        cursor: str | None,
        limit: int,
        where: Where[F],
        order_by: OrderBy[O],
        include_deleted: bool,
        load: Load[Any] = None,
    ) -> KeysetPage[M]:
        query = self.spec.keyset_query(cursor, limit, where, order_by, include_deleted)
        return query.page(self._rows(query.statement, load))


class Repository(KeyedReadRepository[M, F, O, L]):
    """Reads and writes of a table with a primary key, each in the fewest statements the
    dialect allows (see the README's table)."""

    def add(self, instance: M) -> M:
        """Insert one row (INSERT ... RETURNING for generated keys and server defaults)."""
        with self._guard(lambda: [self.spec.values(instance)]):
            self.session.add(instance)
            self.session.flush()
        self._written([instance])
        return instance

    def add_many(self, instances: Sequence[M]) -> builtins.list[M]:
        """Insert rows through the unit of work (one batched INSERT where the dialect allows it)
        and return the objects passed in, now persistent: generated keys and server defaults
        filled. `insert_many` is the faster path when you only need what comes back."""
        with self._guard(lambda: [self.spec.values(instance) for instance in instances]):
            self.session.add_all(instances)
            self.session.flush()
        self._written(instances)
        return builtins.list(instances)

    def insert_many(self, instances: Sequence[M]) -> builtins.list[M]:
        """Insert rows with one bulk INSERT ... RETURNING per 1,000 rows and return **new**
        objects loaded from it, in input order (the ones passed in are only read: they stay
        transient). What the unit of work must see (related objects set, objects already in a
        session, a version counter, ...) is flushed instead, and those objects are returned."""
        if not instances:
            return []
        from .bulk_insert import bulk_rows  # loads with the first insert_many

        spec = self.spec
        session = self.session
        plan, dialect = spec.insert_all, dialect_of(session)
        rows = bulk_rows(plan, instances, dialect, session)
        with self._guard(lambda: rows or [spec.values(instance) for instance in instances]):
            if rows is not None and plan is not None:
                found = self._write_rows(plan.statement_for(rows, dialect), rows)
            else:
                session.add_all(instances)
                session.flush()
                found = builtins.list(instances)
        self._written(found)
        return found

    def update_many(self, instances: Sequence[M]) -> builtins.list[M]:
        """Write each instance's values by primary key (one batch), then read the rows back."""
        if not instances:
            return []
        spec = self.spec
        rows = [spec.values(instance) for instance in instances]
        with self._guard(lambda: rows):
            self.session.execute(spec.update_all, rows, bind_arguments=WRITE_INTENT)
        statement = spec.select_keys([spec.key_of_row(row) for row in rows])
        found = self._fresh(statement)
        self._written(found)
        return found

    def delete_where(self, where: Where[F]) -> builtins.list[M]:
        """Delete every matching row; refuses an empty condition (pass sa.true() to mean all)."""
        return self._delete(self._required(where))

    # --- what the generated methods call --------------------------------------------------

    def _update(self, key: tuple[Any, ...], changes: Any, expected_version: int | None = None) -> M:
        """Set the fields of `changes` that are set; one UPDATE ... RETURNING, no SELECT first."""
        spec = self.spec
        values = spec.changes(changes)
        if not values and expected_version is None:
            return self._get(key)
        statement = spec.update_statement(key, values, expected_version)
        instance: M | None = None
        with self._guard(lambda: [values]):
            if update_returns(dialect_of(self.session)):
                returning = statement.returning(spec.model).execution_options(**BULK)
                instance = self._fresh_one(returning)
            else:
                written = self.session.execute(
                    statement, execution_options=BULK, bind_arguments=WRITE_INTENT
                )
                # MariaDB counts changed rows only: a version bump always changes the row.
                if spec.version is None or cast(CursorResult[Any], written).rowcount:
                    instance = self._fresh_one(spec.select_key(key))
        if instance is None:
            exists = expected_version is not None and self._probe(key)
            raise spec.missed_update(key, exists, expected_version)
        self._written([instance])
        return instance

    def _upsert(self, instances: Sequence[M], on: str) -> builtins.list[M]:
        """Insert or update rows in one batched statement; rows come back in input order.

        Concurrent upserts of overlapping new keys can deadlock on MariaDB/MySQL however the
        rows are ordered (InnoDB's gap locks on the unique index; measured: 2-3 runs in 20 of 8
        workers x 1,000 keys). The database then rolls the whole transaction back, so when the
        upsert opened it (no transaction yet, nothing pending) it is retried, at most
        3 times (`_DEADLOCK_RETRIES`); inside a longer transaction the error is the caller's to
        handle (their earlier statements are gone too).
        """
        if not instances:
            return []
        session = self.session
        fresh = not (session.in_transaction() or session.new or session.dirty or session.deleted)
        for attempt in range(_DEADLOCK_RETRIES + 1):
            try:
                return self._upsert_once(instances, on)
            except DBAPIError as error:
                if not (fresh and is_deadlock(error)) or attempt == _DEADLOCK_RETRIES:
                    raise
                session.rollback()
                pause(random.uniform(0, 0.005 * 2**attempt))  # asyncio: awaited
        raise AssertionError("unreachable")

    def _upsert_once(self, instances: Sequence[M], on: str) -> builtins.list[M]:
        spec = self.spec
        rows = [spec.values(instance) for instance in instances]
        dialect = dialect_of(self.session)
        statement = spec.upsert_for(dialect, on, rows)
        key = spec.keys[on]
        # Sorted on the key: concurrent upserts lock rows in one order (no deadlock).
        ordered = key.lock_order(rows)
        with self._guard(lambda: rows):
            if upsert_returns(dialect):
                found = self._fresh(statement, ordered)
            else:
                self.session.execute(statement, ordered, bind_arguments=WRITE_INTENT)
                found = self._fresh(spec.reselect(on, rows))
            # In the caller's order; ConflictError if a row collided on another unique key.
            found = key.match_upserted(spec.name, spec.key_specs, rows, found)
        self._written(found)
        return found

    def _delete_key(self, key: tuple[Any, ...]) -> M:
        """Delete the row with this primary key and return it: one DELETE ... RETURNING."""
        found = self._delete((), key)
        if not found:
            raise self.spec.not_found(key)
        return found[0]

    def _delete_keys(self, keys: Sequence[Any]) -> builtins.list[M]:
        """Delete the rows with these primary keys; returns those that existed."""
        if not keys:
            return []
        return self._delete([self.spec.keys_in(keys)])

    def _delete(
        self, conditions: Sequence[Any], key: tuple[Any, ...] | None = None
    ) -> builtins.list[M]:
        """DELETE ... RETURNING where the dialect has it, else SELECT then DELETE; by primary
        key (``key``) a statement built once, the key as its parameters."""
        spec = self.spec
        session = self.session
        with self._guard(None):
            if delete_returns(dialect_of(session)):
                if key is not None:
                    found = self._write_rows(spec.delete_key, spec.key_params(key))
                else:
                    statement = spec.delete_statement(conditions).returning(spec.model)
                    found = self._write_rows(statement)
            else:
                where = conditions if key is None else spec.key_where(key)
                found = self._write_rows(select(spec.model).where(*where))
                if found:
                    session.execute(spec.delete_statement(where), bind_arguments=WRITE_INTENT)
        self._written(found)
        for instance in found:
            # Gone from the database: a later get() must not find it in the identity map.
            if instance in session:
                session.expunge(instance)
        return found

    # --- helpers --------------------------------------------------------------------------

    def _guard(
        self, written: Callable[[], Sequence[Mapping[str, Any]]] | None
    ) -> AbstractContextManager[None]:
        """The write guard, naming the column of a refused value from what was written."""

        def name_column(error: DataError) -> DataError:
            return error if written is None else self.spec.with_column(error, written())

        return write_guard(self.session, self.spec.name, self.spec.key_specs, name_column)

    def _required(self, where: Where[F]) -> builtins.list[Any]:
        conditions = self.spec.conditions(where)
        if not conditions:
            raise ValueError("delete_where needs a condition; pass sqlalchemy.true() for all rows")
        return conditions

    def _fresh(self, statement: Any, rows: Any = None) -> builtins.list[M]:
        """Rows a write statement returns (or a read-back), replacing stale identity-map state."""
        result = self.session.scalars(
            statement, rows, execution_options=FRESH, bind_arguments=WRITE_INTENT
        )
        return builtins.list(result)

    def _fresh_one(self, statement: Any) -> M | None:
        found: M | None = self.session.scalars(
            statement, execution_options=FRESH, bind_arguments=WRITE_INTENT
        ).one_or_none()
        return found

    def _write_rows(self, statement: Any, rows: Any = None) -> builtins.list[M]:
        return builtins.list(self.session.scalars(statement, rows, bind_arguments=WRITE_INTENT))

    def _probe(self, key: tuple[Any, ...]) -> bool:
        probe = self.spec.probe_key(key)
        return self.session.execute(probe, bind_arguments=WRITE_INTENT).first() is not None

    def _written(self, instances: Sequence[M]) -> None:
        if self.spec.cache is not None:
            self.spec.cache.invalidate(self.session, instances)
