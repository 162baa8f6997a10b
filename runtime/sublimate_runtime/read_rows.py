"""Service reads straight from column rows: Read DTOs without ORM objects.

A service's ``list`` and ``list_after`` return Read DTOs, which nothing modifies afterwards, so
building an ORM object per row (instance state, identity map, attribute instrumentation) only to
copy its columns into a DTO is about half the cost of a page. The row path selects the Read DTO's
columns instead, as the model's attributes, with the same WHERE, ORDER BY, LIMIT and OFFSET as
the repository's, and builds each DTO from its row with a constructor compiled once per model.
The statement runs on the session's connection (:func:`on_connection`), past the ORM's per-row
processing of column rows, after the autoflush ``Session.execute`` would do, with the mapper and
``READ_INTENT`` for the session's ``get_bind`` (its binds, replica routing); through
``Session.execute`` when a ``do_orm_execute`` hook may change it.

It is taken only where it returns what the repository path would; the service falls back to the
repository (ORM objects through ``<m>_to_read``) otherwise. Decided once per service class, at
its creation:

- the class that sets ``_read`` is a generated one (its bases name the runtime's service base
  with the model's types): a user's ``_read`` override is kept;
- every read method of the repository that the service reaches is the runtime's or the
  generated repository's: a user repository that overrides one keeps it;
- the model is not cached (cached reads go through the cache);

and once per model, on first use (mappers may be configured after the modules are imported):

- the model is not an inheritance subclass, and every Read DTO field is the attribute of the same
  name mapped to one column of the model's own table (no ``column_property`` expression).

What differs by design: rows come from the database, never from the identity map, so an object
changed in the session and not flushed (``autoflush=False``) is read as the database holds it.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any, Generic, TypeAlias, TypeVar, get_args, get_origin

import msgspec
from sqlalchemy import Column, Select, func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from .dto import dto_fields, is_pydantic
from .intents import READ_INTENT
from .pagination import KeysetPage, OffsetPage
from .repository_spec import OrderBy, RepositorySpec, Where

__all__ = [
    "POSITIONAL",
    "READ_METHODS",
    "RowPlan",
    "RowReader",
    "counted_total",
    "keyset_query",
    "on_connection",
    "row_reader",
    "with_items",
]

R = TypeVar("R")

READ_METHODS = ("list_and_count", "_list_and_count", "list_after", "_list_after", "_rows")
"""The repository methods whose work the row path does: overriding any of them keeps a service
on the repository."""

_RUNTIME = __name__.rpartition(".")[0]


Paging: TypeAlias = Callable[[Sequence[Any]], KeysetPage[Any]]


def keyset_query(
    spec: RepositorySpec[Any],
    cursor: str | None,
    limit: int,
    where: Where[Any],
    order_by: OrderBy[Any],
) -> tuple[Select[Any], Paging]:
    """The repository's keyset page as its ``list_after`` reads it: the statement (one row more
    than asked) and how what it found becomes the page (the cursors are read off the first and
    last items by attribute name). The one place the row path builds on the repository's keyset
    pagination; an invalid cursor raises ``InvalidCursorError`` here, before any SQL."""
    query = spec.keyset_query(cursor, limit, where, order_by, False)
    return query.statement, query.page


POSITIONAL = {"_result_disable_adapt_to_context": True}
"""Execution options of a row-path statement, whose rows are read by position only. Without
them, a statement that is not the very object its cached compiled form was made from (every
page's: its WHERE, LIMIT or keys differ) has its result's keymap rebuilt for its own columns,
for ``row._mapping[column]`` lookups nothing here makes: 0.2 ms of a page's 50 orders and 250
lines on pymysql. The ORM sets the same option on what ``Session.execute`` runs."""


class RowPlan(Generic[R]):
    """One model's row path: the columns selected and the DTO built from each row."""

    __slots__ = ("_counted", "build", "columns", "spec")

    def __init__(
        self, spec: RepositorySpec[Any], columns: tuple[Any, ...], build: Callable[[Any], R]
    ) -> None:
        self.spec = spec
        self.columns = columns  # Model.<field>, in the Read DTO's field order
        self.build = build  # a row (those columns first) -> the Read DTO
        # The page's SELECT list, built once: each page only adds its clauses (generative).
        self._counted = select(*columns, func.count().over()).execution_options(**POSITIONAL)

    def page(
        self, conditions: Sequence[Any], order_by: OrderBy[Any], limit: int | None, offset: int
    ) -> Select[Any]:
        """``list_and_count``'s statement with the DTO's columns instead of the entity."""
        return (
            self._counted.where(*conditions)
            .order_by(*self.spec.ordering(order_by))
            .limit(limit)
            .offset(offset)
        )

    def offset_page(
        self, rows: Sequence[Any], total: int, limit: int, offset: int
    ) -> OffsetPage[R]:
        items = list(map(self.build, rows))
        return OffsetPage(items=items, total=total, limit=limit, offset=offset)

    def keyset(
        self, cursor: str | None, limit: int, where: Where[Any], order_by: OrderBy[Any]
    ) -> tuple[Select[Any], Callable[[Sequence[Any]], KeysetPage[R]]]:
        """``list_after``'s statement with the DTO's columns, and the page of DTOs from its
        rows. The page is made of DTOs, not rows: the cursors are read off its items by
        attribute name, and a DTO's fields are the model's (a row's ``count`` and ``index``
        are tuple methods)."""
        statement, page = keyset_query(self.spec, cursor, limit, where, order_by)
        build = self.build

        def dtos(rows: Sequence[Any]) -> KeysetPage[R]:
            result: KeysetPage[R] = page(list(map(build, rows)))
            return result

        return self.selecting(statement), dtos

    def selecting(self, statement: Select[Any]) -> Select[Any]:
        """``statement`` selecting the DTO's columns, its rows read by position."""
        return statement.with_only_columns(*self.columns).execution_options(**POSITIONAL)

    def binding(self, statement: Select[Any]) -> dict[str, Any]:
        """What ``Session.connection`` passes to ``get_bind`` for ``statement``: what
        ``Session.execute`` would pass (the mapper, the statement) and ``READ_INTENT``."""
        return {"mapper": self.spec.model, "clause": statement, **READ_INTENT}


def on_connection(session: Session) -> bool:
    """Whether a row statement may run on the session's connection rather than through
    ``Session.execute``: the same rows without the ORM's processing of each (a tenth of a page
    of 1,000 rows), unless something listens to ``do_orm_execute``: such a hook may add
    criteria (``with_loader_criteria``, as multi-tenancy does), choose a shard or another bind."""
    return not session.dispatch.do_orm_execute


class RowReader(Generic[R]):
    """What a service class's row path needs, checked at class creation; the model's half is
    checked on first use (:attr:`plan` is None when the model needs the ORM path)."""

    def __init__(self, read: type[R], spec: RepositorySpec[Any]) -> None:
        self.read = read
        self.spec = spec

    @cached_property
    def plan(self) -> RowPlan[R] | None:
        return _plan(self.read, self.spec)


def with_items(page: KeysetPage[Any], items: list[R]) -> KeysetPage[R]:
    """The page with these items instead, its cursors kept."""
    result: KeysetPage[R] = msgspec.structs.replace(page, items=items)
    return result


def counted_total(rows: Sequence[Any], limit: int | None, offset: int) -> int | None:
    """The total from ``count(*) OVER ()`` on the rows; None when it must be counted apart (a
    page past the last one has no row to carry it)."""
    if rows:
        total: int = rows[0][-1]
        return total
    if offset == 0 and limit != 0:
        return 0
    return None


def row_reader(service: type, service_base: type) -> RowReader[Any] | None:
    """The row path of a service class, or None when it must read through its repository (see
    the module's docstring). ``service_base`` is the runtime's read-only base of its flavour."""
    owner = next((cls for cls in service.__mro__ if "_read" in vars(cls)), None)
    read = None if owner is None else _read_type(owner, service_base)
    repository = getattr(service, "repository_class", None)
    spec = getattr(repository, "spec", None)
    if read is None or not isinstance(spec, RepositorySpec) or spec.cache is not None:
        return None
    assert isinstance(repository, type)
    if not all(_generated_or_runtime(repository, name) for name in READ_METHODS):
        return None
    return RowReader(read, spec)


def _read_type(owner: type, service_base: type) -> type[Any] | None:
    """The Read DTO a generated service names as its base's second type argument; None when
    ``owner`` (the class that sets ``_read``) is not a generated service."""
    for base in vars(owner).get("__orig_bases__", ()):
        origin = get_origin(base)
        if isinstance(origin, type) and issubclass(origin, service_base):
            read = get_args(base)[1]
            if isinstance(read, type) and (issubclass(read, msgspec.Struct) or is_pydantic(read)):
                return read
    return None


def _generated_or_runtime(repository: type, name: str) -> bool:
    """Whether ``name`` is absent, or defined by the runtime or the generated repository (the
    class that declares ``spec``), not by a user's subclass."""
    owner = next((cls for cls in repository.__mro__ if name in vars(cls)), None)
    if owner is None:
        return True
    return owner.__module__.partition(".")[0] == _RUNTIME or "spec" in vars(owner)


def _plan(read: type[R], spec: RepositorySpec[Any]) -> RowPlan[R] | None:
    mapper = sa_inspect(spec.model)
    if mapper.inherits is not None:
        return None
    fields = dto_fields(read)
    columns = []
    for name in fields:
        prop = mapper.column_attrs.get(name)
        if prop is None or len(prop.columns) != 1 or not _own(prop.columns[0], mapper):
            return None
        if not name.isidentifier() or keyword.iskeyword(name):
            return None
        columns.append(getattr(spec.model, name))
    ordered = set(spec.orderable).union(spec.mapped.primary_attrs)
    if not columns or not ordered <= set(fields):
        return None  # a keyset cursor is read off the DTO: every order attribute is a field
    if is_pydantic(read) and not ordered <= set(getattr(read, "model_fields", ())):
        return None  # dto = "pydantic": one is renamed (`json_`: pydantic_dto.model_names)
    return RowPlan(spec, tuple(columns), _constructor(read, fields))


def _own(column: Any, mapper: Any) -> bool:
    return isinstance(column, Column) and column.table is mapper.local_table


def _constructor(read: type[R], fields: tuple[str, ...]) -> Callable[[Any], R]:
    """``lambda row: Read(a=row[0], b=row[1], ...)``: a twelfth of the time of
    ``Read(**row._mapping)`` or of ``<m>_to_read(row)`` (attribute access on a row), measured on
    1,000 product rows (0.9 ms against 10.7 and 12.2). The names are the DTO's fields, checked
    to be identifiers, and nothing else reaches the source."""
    if is_pydantic(read):  # dto = "pydantic": stored as they are, as model_construct would
        from .pydantic_dto import row_constructor

        return row_constructor(read, fields)
    arguments = ", ".join(f"{name}=row[{index}]" for index, name in enumerate(fields))
    build: Callable[[Any], R] = eval(f"lambda row: read({arguments})", {"read": read})
    return build
