"""``add_many``'s fast path: one ORM bulk ``INSERT ... RETURNING`` with the rows as parameters.

The unit of work batches new objects into one INSERT too, but spends as long again on its own
bookkeeping (flush plan, attribute history, cascades, putting each object in the identity map
after the fact). Plain new rows need none of it: ``insert(Model).returning(Model,
sort_by_parameter_order=True)`` executed with one dict per row sends the same statement and loads
the returned rows (generated keys, defaults) as new persistent instances, in input order.

What the unit of work does that this path does not, and so when :func:`bulk_rows` refuses (the
repository then flushes as before): related objects set on an instance (cascades, association
rows; a many-to-one set even to None, which the unit of work reads as "clear the foreign key"),
a ``version_id_col`` counter, inheritance (several tables), mapper ``before_insert`` /
``after_insert`` and session ``before_flush`` listeners (they never see a bulk insert), instances
already in a session, a dialect without multi-row ``INSERT ... RETURNING`` (MySQL, MariaDB
before 10.5, SQLite before 3.35), and rows that set different columns (they would need one
statement each kind). ``None`` is read as the unit of work reads it: the column's default where
it has one, else an explicit NULL, so a row means the same on both paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.sql.dml import ReturningInsert


@dataclass(frozen=True, slots=True)
class InsertPlan:
    """What a model's bulk insert needs, read off the mapper once."""

    mapper: Mapper[Any]
    statement: ReturningInsert[Any]
    columns: frozenset[str]  # attributes of the table's columns
    default_when_none: frozenset[str]  # None means "the default" (the unit of work skips it)
    null_when_unset: frozenset[str]  # no default: the unit of work writes an explicit NULL
    references: frozenset[str]  # many-to-one / one-to-one: even None means something
    collections: frozenset[str]  # one-to-many / many-to-many: an empty one means nothing
    state_key: str  # where an instance's __dict__ holds its InstanceState


def insert_plan(model: type[Any]) -> InsertPlan | None:
    """The model's plan, or None when no row of it can take the fast path."""
    mapper: Mapper[Any] = sa_inspect(model)
    if (
        mapper.inherits is not None
        or mapper.polymorphic_on is not None
        or mapper.version_id_col is not None
        or len(mapper.tables) != 1
    ):
        return None
    table = mapper.local_table
    own = [
        (prop.key, prop.columns[0])
        for prop in mapper.column_attrs
        if isinstance(prop.columns[0], Column) and prop.columns[0].table is table
    ]
    defaulted = {
        key
        for key, column in own
        if column.primary_key or column.default is not None or column.server_default is not None
    }
    evaluates_none = {key for key, column in own if column.type.should_evaluate_none}
    statement = (
        insert(model)
        .returning(model, sort_by_parameter_order=True)
        .execution_options(render_nulls=True)
    )
    return InsertPlan(
        mapper=mapper,
        statement=statement,
        columns=frozenset(key for key, _ in own),
        default_when_none=frozenset(defaulted - evaluates_none),
        null_when_unset=frozenset(key for key, _ in own if key not in defaulted | evaluates_none),
        references=frozenset(key for key, prop in mapper.relationships.items() if not prop.uselist),
        collections=frozenset(key for key, prop in mapper.relationships.items() if prop.uselist),
        state_key=mapper.class_manager.STATE_ATTR,
    )


def bulk_rows(
    plan: InsertPlan | None, instances: Sequence[Any], dialect: Dialect, session: Session
) -> list[dict[str, Any]] | None:
    """One parameter dict per instance, all with the same keys; None: use the unit of work."""
    if (
        plan is None
        or not dialect.insert_executemany_returning
        or session.dispatch.before_flush
        or plan.mapper.dispatch.before_insert
        or plan.mapper.dispatch.after_insert
    ):
        return None
    as_they_are = _own_dicts(plan, instances)
    if as_they_are is not None:
        return as_they_are
    rows: list[dict[str, Any]] = []
    columns, default_when_none = plan.columns, plan.default_when_none
    references, collections = plan.references, plan.collections
    for instance in instances:
        state = instance_state(instance)
        if state.key is not None or state.session_id is not None:
            return None
        row: dict[str, Any] = {}
        for name, value in state.dict.items():  # what was set: a few of the columns
            if name in columns:
                if value is not None or name not in default_when_none:
                    row[name] = value
            elif name in references or (value and name in collections):
                return None
        rows.append(row)
    return rows if _uniform(plan, rows) else None


def _own_dicts(plan: InsertPlan, instances: Sequence[Any]) -> list[dict[str, Any]] | None:
    """The instances' own ``__dict__``s as the parameters, in the common case: every instance
    new, the same attributes set on each, all of them columns, none of them a None that means
    "the default". The ORM copies each parameter dict before reading it and reads only the
    mapped columns from it (not the instance-state key), so the rows mean what
    :func:`bulk_rows` would build, without building a dict per row. None: build them."""
    first = instances[0].__dict__
    keys = first.keys()
    set_names = keys - {plan.state_key}
    if plan.state_key not in first or not set_names <= plan.columns:
        return None
    none_is_default = tuple(set_names & plan.default_when_none)  # usually none or one
    state_key = plan.state_key
    rows: list[dict[str, Any]] = []
    for instance in instances:
        values = instance.__dict__
        if values.keys() != keys:
            return None
        state = values[state_key]
        if state.key is not None or state.session_id is not None:
            return None
        for name in none_is_default:
            if values[name] is None:
                return None
        rows.append(values)
    return rows


def _uniform(plan: InsertPlan, rows: list[dict[str, Any]]) -> bool:
    """Give every row the same keys (one statement), with the explicit NULL the unit of work
    writes for an unset column without default; False when a row leaves out a column that
    has one (that row needs an INSERT of its own kind)."""
    first = rows[0].keys()
    if all(row.keys() == first for row in rows):
        return True  # the common case: no NULLs to send
    union: set[str] = set()
    for row in rows:
        union.update(row)
    for row in rows:
        missing = union.difference(row)
        if not missing <= plan.null_when_unset:
            return False
        for name in missing:
            row[name] = None
    return True
