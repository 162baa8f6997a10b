"""``insert_many``'s fast path: one ``INSERT ... RETURNING`` with the rows as parameters.

The unit of work batches new objects into one INSERT too, but spends as long again on its own
bookkeeping (flush plan, attribute history, cascades, putting each object in the identity map
after the fact). Plain new rows need none of it: ``insert(Model).returning(Model,
sort_by_parameter_order=True)`` executed with one dict per row sends the same statement and loads
the returned rows (generated keys, defaults) as new persistent instances, in input order. The
rows go to Core as they are (see :func:`_statement`) and constant defaults are written into the
statement once instead of sent with every row (see :meth:`InsertPlan.statement_for`).

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

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Column, ColumnElement, TypeDecorator, insert, literal_column
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.sql.dml import ReturningInsert
from sqlalchemy.sql.schema import ScalarElementColumnDefault

_UNQUOTED = frozenset("%\\$:?")  # placeholder and escape characters
Inlined = dict[frozenset[str], ReturningInsert[Any]]  # by the constant defaults written inline


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
    constants: Mapping[str, tuple[Column[Any], object]]  # defaults of one plain value
    inlined: WeakKeyDictionary[Dialect, Inlined] = field(default_factory=WeakKeyDictionary)

    def statement_for(self, rows: list[dict[str, Any]], dialect: Dialect) -> ReturningInsert[Any]:
        """:attr:`statement`, with the constant defaults the rows leave out written in it.

        Core sends a column's default as a parameter of every row, so 1,000 rows of a model with
        two constant defaults (a status, a flag) send 2,000 copies of two values, which the
        driver formats and the server parses again (a sixth of the client's time on PostgreSQL,
        whose driver re-reads a statement of 6,000 placeholders on every execution). Written
        once as SQL literals in the statement, they cost nothing per row. The rows have the same
        keys (:func:`bulk_rows`), so the first one says which defaults they all leave out."""
        if not self.constants:
            return self.statement
        left_out = frozenset(self.constants.keys() - rows[0].keys())
        by_keys = self.inlined.get(dialect)
        if by_keys is None:
            by_keys = self.inlined.setdefault(dialect, {})
        statement = by_keys.get(left_out)
        if statement is None:
            values = {
                key: literal
                for key in left_out
                if (literal := _literal(self.constants[key], dialect)) is not None
            }
            statement = self.statement.values(values) if values else self.statement
            by_keys[left_out] = statement
        return statement


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
    # Core reads parameters by column key: an attribute named otherwise than its column, or one
    # that is a SQL expression, needs the ORM's bulk layer to translate (see _statement).
    direct = len(own) == len(mapper.column_attrs) and all(key == c.key for key, c in own)
    return InsertPlan(
        mapper=mapper,
        statement=_statement(mapper, direct),
        columns=frozenset(key for key, _ in own),
        default_when_none=frozenset(defaulted - evaluates_none),
        null_when_unset=frozenset(key for key, _ in own if key not in defaulted | evaluates_none),
        references=frozenset(key for key, prop in mapper.relationships.items() if not prop.uselist),
        collections=frozenset(key for key, prop in mapper.relationships.items() if prop.uselist),
        state_key=mapper.class_manager.STATE_ATTR,
        constants=_constants(own) if direct else {},
    )


def _statement(mapper: Mapper[Any], direct: bool) -> ReturningInsert[Any]:
    """The ORM INSERT ... RETURNING the model, executed by Core with the rows as they are.

    By default the ORM runs a bulk insert through its own bulk layer, which reads every
    parameter dict again in Python (copies it, matches its keys to columns, drops what is None)
    before Core reads it too: a fifth of the time of 1,000 rows on SQLite, a tenth on
    PostgreSQL. :func:`bulk_rows` has already made the rows what Core needs (the same keys in
    each, a None meant as NULL), so the ``"orm"`` strategy hands them to Core directly and
    still loads the returned rows as instances (the statement stays an INSERT for session
    hooks and routing). Not ``direct``: the parameter keys are not all column keys, and the
    bulk layer stays to translate them."""
    statement = insert(mapper).returning(mapper, sort_by_parameter_order=True)
    if direct:
        return statement.execution_options(dml_strategy="orm")
    return statement.execution_options(render_nulls=True)


def _constants(own: list[tuple[str, Column[Any]]]) -> dict[str, tuple[Column[Any], object]]:
    """Columns whose default is one plain value, of a type that writes it as a literal itself
    (not a TypeDecorator, whose own conversion the literal might skip), with that value."""
    found: dict[str, tuple[Column[Any], object]] = {}
    for key, column in own:
        default = column.default
        if (
            not isinstance(default, ScalarElementColumnDefault)
            or column.primary_key
            or isinstance(column.type, TypeDecorator)
        ):
            continue
        value = default.arg
        if isinstance(value, str) and not _UNQUOTED.isdisjoint(value):
            continue  # drivers and settings read these inside literals differently
        if isinstance(value, float | Decimal) and not math.isfinite(value):
            continue  # no literal for NaN or infinity
        if isinstance(value, str | int | float | Decimal | enum.Enum):
            found[key] = (column, value)
    return found


def _literal(constant: tuple[Column[Any], object], dialect: Dialect) -> ColumnElement[Any] | None:
    """A constant default as this dialect's SQL literal; None: send it with every row."""
    column, value = constant
    try:
        processor = column.type.literal_processor(dialect)
        text = None if processor is None else processor(value)
    except Exception:  # a type that cannot write this value as a literal
        return None
    return literal_column(text, column.type) if isinstance(text, str) else None


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
