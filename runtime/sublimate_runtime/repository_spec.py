"""One model's facts, declared once by its generated repository, and the pure half of every
repository method: the statements, the values written, the ordering, the result checks.

The sync and asyncio repositories (:mod:`.repository`, :mod:`.repository_async`) only execute
what this module builds, so each behaviour is written once and the two flavours cannot drift.
What can be read off the mapper (columns, database names, the primary key) is read off it, once,
on first use: mappers may not be configured when the generated module is imported.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar, get_args

import msgspec
from sqlalchemy import (
    Column,
    ColumnElement,
    Delete,
    Select,
    Update,
    bindparam,
    delete,
    exists,
    func,
    select,
    tuple_,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Dialect

from .dialects import upsert_returns, upsert_statement
from .dto import is_pydantic, set_fields
from .errors import ConflictError, DataError, NotFoundError, UniqueKeySpec
from .filter_tree import filter_conditions
from .loading import LoadPlan
from .ordering import Order, build_order, order_names

if TYPE_CHECKING:  # features loaded on first use, not with the core
    from .bulk_insert import InsertPlan  # the first insert_many
    from .cache_model import ModelCache  # the first cached model
    from .keyset import Keyset, KeysetQuery  # the first keyset page

M = TypeVar("M")
F = TypeVar("F")
O = TypeVar("O", bound=str)  # noqa: E741  the order enum (a StrEnum: members are their values)

# What a repository method takes as `where`: a filter DTO, an expression, or a sequence of both.
Where: TypeAlias = F | ColumnElement[bool] | Sequence[F | ColumnElement[bool]] | None
OrderBy: TypeAlias = O | Sequence[O] | None

FRESH: Mapping[str, Any] = {"populate_existing": True}  # read back what a write changed
BULK: Mapping[str, Any] = {"synchronize_session": False}  # the RETURNING rows refresh instead
_MADE: weakref.WeakKeyDictionary[type[Any], RepositorySpec[Any]] = weakref.WeakKeyDictionary()
_MAX_UPSERTS = 32  # upsert statements kept per model (one per dialect, key and updated columns)
_MAX_ORDERS = 64  # orders (and keysets) kept per model: HTTP clients combine terms freely


def Key(  # named as the constructor it stands for: `"email": Key("uq_customers_email", "email")`
    constraint_name: str | None,
    *columns: str,
    sql: Sequence[str] | None = None,
    primary: bool = False,
) -> UniqueKeySpec:
    """A unique key as a generated spec declares it: the constraint's name, then the columns'
    attribute names; ``sql`` only where the database names differ from the attributes (the spec
    prints a model's facts, not the same names twice). The same :class:`UniqueKeySpec` as the
    keyword form builds, made once at import: nothing of it runs per call."""
    return UniqueKeySpec(
        constraint_name, columns, columns if sql is None else tuple(sql), primary=primary
    )


@dataclass(frozen=True, slots=True)
class _Mapped:
    """What the mapper tells about the model: read once, on first use."""

    columns: tuple[str, ...]  # attributes of the table's own columns, in mapper order
    sql_names: Mapping[str, str]  # attribute -> database column name
    primary_key: tuple[Any, ...]  # column expressions, in key order
    primary_attrs: tuple[str, ...]
    order: Mapping[str, ColumnElement[Any]]  # "name" / "-name" -> ORDER BY term
    default_order: tuple[ColumnElement[Any], ...]
    table: Any
    probe: Any  # what EXISTS selects: the first key column, else the first column


class RepositorySpec(Generic[M]):
    """The facts of one model that its repositories act on, as the generator found them.

    ``keys`` maps each conflict-target name (the ``on`` of ``upsert``) to its unique key, the
    primary key first; given as a sequence, each key is named by its columns (``("sku",
    "vendor_id")`` -> ``"sku_and_vendor_id"``, the generator's rule; it prints the mapping when a
    name differs); ``updatable`` are the attributes ``update`` may write (the Update DTO's fields);
    ``orderable`` the attributes the Order enum names (a Filter DTO needs no list: its fields name
    what it filters, :mod:`.filter_tree`); ``cursor`` the type a keyset cursor decodes to (bounded
    like the DTO fields, so a tampered cursor is an ``InvalidCursorError``, never a value the
    database refuses).
    ``soft_delete`` and ``version`` name the "deleted at" and optimistic-locking attributes;
    ``cached`` makes reads go through a :class:`ModelCache` (made here, at import, so that
    invalidation knows the model before any read).
    """

    def __init__(
        self,
        model: type[M],
        *,
        keys: Mapping[str, UniqueKeySpec] | Sequence[UniqueKeySpec] | None = None,
        updatable: Sequence[str] = (),
        orderable: Sequence[str] = (),
        cursor: Any = None,
        soft_delete: str | None = None,
        version: str | None = None,
        cached: bool = False,
    ) -> None:
        self.model = model
        self.name = model.__name__
        _MADE[model] = self
        self.keys: Mapping[str, UniqueKeySpec] = (
            dict(keys)
            if isinstance(keys, Mapping)
            else {"_and_".join(key.columns): key for key in keys or ()}
        )
        self.key_specs = tuple(self.keys.values())
        self.updatable = tuple(updatable)
        self.orderable = tuple(orderable)
        self.cursor = cursor
        self.soft_delete = soft_delete
        self.version = version
        unique = {name: k.columns for name, k in self.keys.items() if not k.primary}
        self.cache: ModelCache[M] | None = None
        if cached:
            from .cache_model import ModelCache

            self.cache = ModelCache(model, unique_keys=unique)
        self._upserts: dict[tuple[Any, ...], Any] = {}
        self._orders: dict[tuple[str, ...], Order] = {}
        self._keysets: dict[tuple[str, ...], Keyset] = {}

    @staticmethod
    def made_for(model: type[Any]) -> RepositorySpec[Any] | None:
        """The spec last made for `model`: a repository class whose type arguments name the model
        and that does not set `spec` itself takes it (the generated module makes it just above)."""
        return _MADE.get(model)

    @cached_property
    def mapped(self) -> _Mapped:
        mapper = sa_inspect(self.model)
        table = mapper.local_table
        own = [
            prop
            for prop in mapper.column_attrs
            if isinstance(prop.columns[0], Column) and prop.columns[0].table is table
        ]
        by_column = {prop.columns[0]: prop.key for prop in own}
        primary = tuple(by_column[column] for column in mapper.primary_key)
        attr = self.attribute
        order: dict[str, ColumnElement[Any]] = {}
        for name in self.orderable:
            order[name] = attr(name).asc()
            order[f"-{name}"] = attr(name).desc()
        first = primary or (own[0].key,)
        return _Mapped(
            columns=tuple(prop.key for prop in own),
            sql_names={prop.key: str(prop.columns[0].name) for prop in own},
            primary_key=tuple(attr(name) for name in primary),
            primary_attrs=primary,
            order=order,
            default_order=tuple(attr(name).asc() for name in first),
            table=table,
            probe=attr(first[0]),
        )

    @cached_property
    def loads(self) -> LoadPlan:
        """The loader options of each read's ``load=`` (and the raise of the rest)."""
        return LoadPlan(self.model)

    def attribute(self, name: str) -> Any:
        """The class attribute of a mapped column (``Product.sku``), as a column expression."""
        return getattr(self.model, name)

    # --- reading --------------------------------------------------------------------------

    def conditions(self, where: Where[Any], include_deleted: bool = True) -> list[Any]:
        """The WHERE clauses of a filter, an expression, or a sequence of both (ANDed); without
        ``include_deleted`` a soft-deleting model leaves its deleted rows out. A filter's
        relationship and and/or/not fields compile as :mod:`.filter_tree` says (EXISTS, no
        JOIN: the statement stays one, over the model's rows)."""
        conditions: list[Any] = []
        if not include_deleted and self.soft_delete is not None:
            conditions.append(self.attribute(self.soft_delete).is_(None))
        if where is None:
            return conditions
        items = where if isinstance(where, Sequence) else (where,)
        for item in items:
            if isinstance(item, msgspec.Struct) or is_pydantic(type(item)):  # a Filter
                conditions.extend(filter_conditions(self.model, item))
            else:
                conditions.append(item)
        return conditions

    def ordering(self, order_by: OrderBy[Any]) -> list[ColumnElement[Any]]:
        """ORDER BY terms: the requested ones, then the primary key (stable pages); NULLs
        greatest on every database (see :mod:`.ordering`), the order keyset pages walk."""
        return list(self.order(order_by).forward)

    def order(self, order_by: OrderBy[Any]) -> Order:
        """An order's terms, built once per order."""
        names = order_names(order_by)
        found = self._orders.get(names)
        if found is None:
            mapped = self.mapped
            tiebreak = mapped.primary_attrs or mapped.columns[:1]
            found = build_order(self.model, names, self.orderable, tiebreak)
            if len(self._orders) < _MAX_ORDERS:
                self._orders[names] = found
        return found

    def keyset(self, order_by: OrderBy[Any]) -> Keyset:
        """The keyset of an order (its terms, its cursors' decoder), built once per order."""
        order = self.order(order_by)
        found = self._keysets.get(order.names)
        if found is None:
            from .keyset import keyset_of  # keyset pagination loads with the first page

            key_types = get_args(self.cursor) or ()  # the generator's bounded key types
            known = dict(zip(self.mapped.primary_attrs, key_types, strict=False))
            found = keyset_of(order, known)
            if len(self._keysets) < _MAX_ORDERS:
                self._keysets[order.names] = found
        return found

    def keyset_query(
        self,
        cursor: str | None,
        limit: int,
        where: Where[Any],
        order_by: OrderBy[Any],
        include_deleted: bool,
    ) -> KeysetQuery[M]:
        """A keyset page's statement and the maker of its page (``query.page(rows)``): the rows
        after (or before) the cursor's row in ``order_by``, one more than ``limit``. A cursor
        made for another order, filter or model is an ``InvalidCursorError``."""
        keyset = self.keyset(order_by)
        bound_to = keyset.bound_to(self.name, where, include_deleted)
        base = select(self.model).where(*self.conditions(where, include_deleted))
        return keyset.query(base, bound_to, cursor, limit)

    def select_page(
        self, conditions: Sequence[Any], order_by: OrderBy[Any], limit: int | None, offset: int
    ) -> Select[Any]:
        return (
            select(self.model)
            .where(*conditions)
            .order_by(*self.ordering(order_by))
            .limit(limit)
            .offset(offset)
        )

    def select_counted(
        self, conditions: Sequence[Any], order_by: OrderBy[Any], limit: int | None, offset: int
    ) -> Any:
        """A page with the total count of matches on every row: one statement."""
        return (
            select(self.model, func.count().over())
            .where(*conditions)
            .order_by(*self.ordering(order_by))
            .limit(limit)
            .offset(offset)
        )

    def select_count(self, conditions: Sequence[Any]) -> Select[Any]:
        return select(func.count()).select_from(self.model).where(*conditions)

    def select_exists(self, conditions: Sequence[Any]) -> Select[Any]:
        """SELECT EXISTS (SELECT * FROM table WHERE ...), never a count."""
        return select(self._exists.where(*conditions))

    @cached_property
    def _exists(self) -> Any:
        """A Core EXISTS, built once: selecting a mapped attribute would make the statement an
        ORM one (a fifth slower to run for one bool), and building ``select_from`` per call
        costs a third of the statement's construction."""
        return exists().select_from(self.mapped.table)

    def key_of(self, instance: M) -> Any:
        """An instance's key as ``keys_in`` takes it: the value, or a tuple (composite key)."""
        names = self.mapped.primary_attrs
        if len(names) == 1:
            return getattr(instance, names[0])
        return tuple(getattr(instance, name) for name in names)

    def select_by(self, names: Sequence[str], values: Sequence[Any]) -> Select[Any]:
        """The row(s) whose ``names`` equal ``values``: a unique key's getter."""
        attr = self.attribute
        return select(self.model).where(
            *(attr(name) == value for name, value in zip(names, values, strict=True))
        )

    def is_deleted(self, instance: M | None) -> bool:
        return (
            instance is not None
            and self.soft_delete is not None
            and getattr(instance, self.soft_delete) is not None
        )

    # --- keys -----------------------------------------------------------------------------

    def identity(self, key: Any) -> Any:
        """What ``Session.get`` takes: the value of a one-column key, else the tuple."""
        return key[0] if len(key) == 1 else key

    def key_where(self, key: Sequence[Any]) -> list[ColumnElement[bool]]:
        return [column == value for column, value in zip(self.mapped.primary_key, key, strict=True)]

    def keys_in(self, keys: Sequence[Any]) -> ColumnElement[bool]:
        """Primary key IN (keys); a composite key's values are tuples."""
        primary = self.mapped.primary_key
        if len(primary) == 1:
            condition: ColumnElement[bool] = primary[0].in_(keys)
            return condition
        return tuple_(*primary).in_(keys)

    def not_found(self, key: Sequence[Any]) -> NotFoundError:
        return NotFoundError(self.name, dict(zip(self.mapped.primary_attrs, key, strict=True)))

    def key_of_row(self, row: Mapping[str, Any]) -> Any:
        names = self.mapped.primary_attrs
        return row[names[0]] if len(names) == 1 else tuple(row[name] for name in names)

    # --- writing --------------------------------------------------------------------------

    def values(self, instance: M) -> dict[str, Any]:
        """The column values set on an instance; unset ones keep their defaults on insert."""
        state = instance.__dict__
        return {name: state[name] for name in self.mapped.columns if name in state}

    def changes(self, changes: Any) -> dict[str, Any]:
        """The fields of an Update DTO that are set, never the extra fields of a subclass."""
        values = set_fields(changes)
        return {name: values[name] for name in self.updatable if name in values}

    def update_statement(
        self, key: Sequence[Any], values: dict[str, Any], expected_version: int | None
    ) -> Update:
        """UPDATE by primary key; a versioned model bumps its version and, with
        ``expected_version``, writes only a row still at that version."""
        statement = update(self.model).where(*self.key_where(key))
        if self.version is not None:
            version = self.attribute(self.version)
            values[self.version] = version + 1
            if expected_version is not None:
                statement = statement.where(version == expected_version)
        return statement.values(values)

    @cached_property
    def insert_all(self) -> InsertPlan | None:
        """``add_many``'s bulk INSERT ... RETURNING, or None when the model needs the unit of
        work (see :mod:`.bulk_insert`)."""
        from .bulk_insert import insert_plan

        return insert_plan(self.model)

    @cached_property
    def update_all(self) -> Update:
        """An ORM bulk UPDATE by primary key: executed with one dict of values per row."""
        return update(self.model)

    def select_key(self, key: Sequence[Any]) -> Select[Any]:
        return select(self.model).where(*self.key_where(key))

    def probe_key(self, key: Sequence[Any]) -> Select[Any]:
        """Whether the row exists at all (to tell a stale version from a missing row)."""
        return select(self.mapped.probe).where(*self.key_where(key))

    def missed_update(
        self, key: Sequence[Any], exists: bool, expected_version: int | None
    ) -> Exception:
        if exists and expected_version is not None and self.version is not None:
            return ConflictError(self.name, (self.version,))
        return self.not_found(key)

    def select_keys(self, keys: Sequence[Any]) -> Select[Any]:
        """The rows with these keys, in key order (what ``update_many`` returns)."""
        return select(self.model).where(self.keys_in(keys)).order_by(*self.mapped.primary_key)

    def upsert_columns(
        self, on: str, rows: Sequence[Mapping[str, Any]]
    ) -> tuple[list[str], list[str]]:
        """Conflict target and updated columns (database names): what the caller set, minus
        the keys."""
        key = self.keys[on]
        names = self.mapped.sql_names
        primary = self.mapped.primary_attrs
        updated = [
            names[name] for name in rows[0] if name not in key.columns and name not in primary
        ]
        return list(key.sql_columns), updated

    def upsert_for(self, dialect: Dialect, on: str, rows: Sequence[Mapping[str, Any]]) -> Any:
        """The upsert of ``rows`` on the key ``on``, with RETURNING of the model where the
        dialect has it; built once per dialect, key and updated columns (building the
        ``excluded`` alias alone costs about as much as running a one-row upsert)."""
        conflict, updated = self.upsert_columns(on, rows)
        returns = upsert_returns(dialect)
        key = (dialect.name, returns, on, tuple(updated))
        statement = self._upserts.get(key)
        if statement is None:
            statement = upsert_statement(dialect, self.model, conflict, updated)
            if returns:
                statement = statement.returning(self.model)
            if len(self._upserts) < _MAX_UPSERTS:
                self._upserts[key] = statement
        return statement

    def reselect(self, on: str, rows: Sequence[Mapping[str, Any]]) -> Select[Any]:
        """Upserted rows by their conflict key, where an upsert cannot return them."""
        names = self.keys[on].columns
        columns = [self.attribute(name) for name in names]
        wanted = [tuple(row[name] for name in names) for row in rows]
        return select(self.model).where(tuple_(*columns).in_(wanted))

    def delete_statement(self, conditions: Sequence[Any]) -> Delete:
        """DELETE of matching rows; the repository expunges what it deleted from the session
        itself (the rows RETURNING or the SELECT before gave), so no ORM synchronisation."""
        return delete(self.model).where(*conditions).execution_options(**BULK)

    @cached_property
    def delete_key(self) -> Any:
        """DELETE ... RETURNING by primary key, the key as bound parameters (:meth:`key_params`):
        built once, where building it per call costs a tenth of a one-row delete."""
        key = self.mapped.primary_key
        where = [column == bindparam(f"key_{i}") for i, column in enumerate(key)]
        return self.delete_statement(where).returning(self.model)

    def key_params(self, key: Sequence[Any]) -> dict[str, Any]:
        return {f"key_{i}": value for i, value in enumerate(key)}

    def mark_statement(self, conditions: Sequence[Any], value: Any) -> Update:
        """Set (soft-delete) or clear (restore) the "deleted at" attribute of matching rows."""
        assert self.soft_delete is not None
        return update(self.model).where(*conditions).values({self.soft_delete: value})

    def mark_value(self) -> Any:
        return func.current_timestamp()

    def live(self, live: bool) -> ColumnElement[bool]:
        """Rows not soft-deleted (``live``) or soft-deleted."""
        assert self.soft_delete is not None
        column = self.attribute(self.soft_delete)
        condition: ColumnElement[bool] = column.is_(None) if live else column.is_not(None)
        return condition

    def with_column(self, error: DataError, rows: Sequence[Mapping[str, Any]]) -> DataError:
        """A ``DataError`` that names no column, named from the values written when exactly one
        of them cannot fit its column (the engine's hook could not tell: an engine made
        elsewhere, or a statement it could not see through)."""
        if error.column is not None or not rows:
            return error
        from .data_errors import column_that_cannot_fit  # the error path loads with an error

        column = column_that_cannot_fit(self.mapped.table, self.mapped.sql_names, rows)
        if column is None:
            return error
        return DataError(error.model, column, error.original)
