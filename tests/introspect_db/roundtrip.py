"""Write, read, update and delete one row through every generated repository, generically.

Values are made from each mapped column's SQLAlchemy type; foreign keys point at the rows
written before them (entities are visited parents first). After each write, the row is read
back with plain SQL on the *real* table and column names, so a name that had to change is
proven to still reach the database column it stands for.
"""

from __future__ import annotations

import datetime
import decimal
import sys
import typing
import uuid
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.orm import Mapper, Session

from .support import entity_classes, repository_for

TEXT = 'it\'s "quoted" \\ and ünïcode'


def _allowed(model: type, attr: str) -> tuple[Any, ...]:
    """The values of a `Literal` annotation (a CHECK (x IN (...)) column), else ()."""
    annotation = model.__annotations__.get(attr)
    if not isinstance(annotation, str) or "Literal[" not in annotation:
        return ()
    # A column's annotation names only what its module imports at run time.
    hint = eval(annotation, dict(vars(sys.modules[model.__module__])))
    for part in typing.get_args(hint):  # Mapped[X]
        for member in (part, *typing.get_args(part)):  # X | None
            if typing.get_origin(member) is typing.Literal:
                return typing.get_args(member)
    return ()


def _value(column: sa.Column[Any], seed: int, allowed: tuple[Any, ...] = ()) -> Any:
    """A value of the column's type, different for each seed."""
    if allowed:
        return allowed[seed % len(allowed)]
    t = column.type
    special = _dialect_value(t, seed)
    if special is not None:
        return special
    if isinstance(t, sa.types.NullType):
        return None if column.nullable else f"{seed}"
    if isinstance(t, sa.JSON):
        return {"n": seed, "text": TEXT, "list": [1, None]}
    if isinstance(t, sa.ARRAY):
        item = _value(sa.Column("item", t.item_type), seed)
        return [item, item]
    if isinstance(t, sa.Enum) and t.enums:
        return t.enums[seed % len(t.enums)]
    if isinstance(t, sa.Boolean):
        return bool(seed % 2)
    if isinstance(t, sa.Integer):
        return seed
    if isinstance(t, sa.Numeric) and not isinstance(t, sa.Float):
        return decimal.Decimal(seed) + decimal.Decimal("0.25")
    if isinstance(t, sa.Float):
        return (seed % 90 + 5) / 100  # in (0, 1): Northwind's CHECK (Discount <= 1)
    if isinstance(t, sa.DateTime):
        zone = datetime.UTC if t.timezone else None
        return datetime.datetime(2024, 1, 1 + seed % 27, 12, 30, tzinfo=zone)
    if isinstance(t, sa.Date):
        return datetime.date(2024, 1, 1 + seed % 27)
    if isinstance(t, sa.Time):
        return datetime.time(12, seed % 60)
    if _python_type(t) is datetime.timedelta:
        return datetime.timedelta(seconds=seed)
    if isinstance(t, sa.types._Binary):
        return bytes([seed % 256, 0, 1])
    if isinstance(t, sa.Uuid):
        return uuid.UUID(int=seed)
    if isinstance(t, sa.String):
        text = f"{seed}:{TEXT}"
        return text[: t.length] if t.length else text
    return f"{seed}"  # an untyped (SQLite) column: text is what it stores


def _python_type(t: Any) -> Any:
    try:
        return t.python_type
    except NotImplementedError:
        return None


def _dialect_value(t: Any, seed: int) -> Any:
    """Values for dialect types whose Python type does not say what the database accepts."""
    if isinstance(t, postgresql.INET):
        return f"10.0.{seed % 250}.1"
    if isinstance(t, postgresql.CIDR):
        return f"10.{seed % 250}.0.0/16"
    if isinstance(t, postgresql.MACADDR):
        return f"08:00:2b:01:02:{seed % 100:02d}"
    if isinstance(t, postgresql.TSVECTOR):
        return f"'a{seed}' 'b'"
    if isinstance(t, postgresql.MONEY):
        return f"${seed}.50"
    if isinstance(t, postgresql.INT4RANGE | postgresql.INT8RANGE):
        return Range(seed, seed + 10)
    if isinstance(t, postgresql.TSTZRANGE):
        start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
        return Range(start, start + datetime.timedelta(days=seed))
    if isinstance(t, mysql.SET):
        return {t.values[seed % len(t.values)]}
    if isinstance(t, mysql.YEAR):
        return 2000 + seed % 50
    if isinstance(t, mysql.BIT):
        return seed % 8
    if isinstance(t, mysql.LONGTEXT) and t.collation == "utf8mb4_bin":
        return f'{{"n": {seed}}}'  # MariaDB's JSON: LONGTEXT with a json_valid() check
    return None


def _columns(mapper: Mapper[Any]) -> list[tuple[str, sa.Column[Any]]]:
    result = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if isinstance(column, sa.Column):
            result.append((prop.key, column))
    return result


def _generated(column: sa.Column[Any], table: sa.Table) -> bool:
    return (
        column.computed is not None
        or column.identity is not None
        or (column is table.autoincrement_column)
    )


def _order(models: dict[str, Any]) -> list[Any]:
    """Models whose tables are referenced first."""
    by_table = {cls.__table__: cls for cls in models.values()}
    tables = sa.schema.sort_tables(list(by_table))  # self-references are not dependencies
    return [by_table[t] for t in tables]


def roundtrip(db: ModuleType, engine: sa.Engine, seed: int = 1) -> dict[str, str]:
    """Every writable repository: add, get, update, list, count, then delete (children first).

    Returns what happened per model ("written" or "read-only"), for the caller to assert on.
    """
    models = entity_classes(db)
    done: dict[str, str] = {}
    written: list[tuple[Any, Any, tuple[Any, ...]]] = []
    keys: dict[sa.Column[Any], Any] = {}  # a written row's value of each referenced column
    with Session(engine) as session:
        for number, model in enumerate(_order(models), start=seed):
            repository_class = repository_for(db, model)
            repository = repository_class(session)
            mapper: Mapper[Any] = sa.inspect(model)
            table = model.__table__
            assert isinstance(repository.count(), int)
            repository.list(limit=3)
            if not hasattr(repository, "add"):
                done[model.__name__] = "read-only"
                continue
            values = {}
            for attr, column in _columns(mapper):
                if _generated(column, table):
                    continue
                fk = next(iter(column.foreign_keys), None)
                if fk is not None and fk.column in keys:
                    values[attr] = keys[fk.column]
                elif fk is not None and column.nullable:
                    values[attr] = None
                else:
                    allowed = _allowed(model, attr)
                    values[attr] = _value(column, number * 10 + len(values), allowed)
            instance = repository.add(model(**values))
            session.flush()
            identity = mapper.primary_key_from_instance(instance)
            assert repository.get(*identity) is instance
            for attr, column in _columns(mapper):
                keys[column] = getattr(instance, attr)
            _check_real_columns(session, table, mapper, instance)
            changed = _update(repository, mapper, identity, number)
            if changed is not None:
                attr, value = changed
                assert getattr(repository.get(*identity), attr) == value
                _check_real_columns(session, table, mapper, instance)
            written.append((repository_class, model, tuple(identity)))
            done[model.__name__] = "written"
        session.commit()
    with Session(engine) as session:
        for repository_class, model, identity in reversed(written):
            repository = repository_class(session)
            deleted = repository.delete(*identity)
            assert isinstance(deleted, model)
            assert (
                repository.get_one_or_none(
                    sa.and_(
                        *(
                            c == v
                            for c, v in zip(sa.inspect(model).primary_key, identity, strict=True)
                        )
                    )
                )
                is None
            )
        session.commit()
    return done


def _resolved(cls: type, hints: dict[str, Any]) -> Any:
    """`changes`'s type: the Update DTO, also when it is a type parameter of the runtime's base
    (a model keyed by `id` inherits `update` from `IdRepository[..., <M>Update, <M>Key, int]`)."""
    hint = hints["changes"]
    if not isinstance(hint, typing.TypeVar):
        return hint
    for base in cls.__mro__:
        for original in getattr(base, "__orig_bases__", ()):
            parameters = getattr(typing.get_origin(original), "__parameters__", ())
            if hint in parameters:
                return typing.get_args(original)[parameters.index(hint)]
    raise AssertionError(f"{cls.__name__}.update: no type for {hint}")


def _update(
    repository: Any, mapper: Mapper[Any], identity: Sequence[Any], number: int
) -> tuple[str, Any] | None:
    """Change one non-key, non-generated, non-foreign-key column with the Update DTO."""
    changes_type = _resolved(type(repository), typing.get_type_hints(type(repository).update))
    fields = set(changes_type.__struct_fields__)
    for attr, column in _columns(mapper):
        if attr in fields and not column.foreign_keys and not column.primary_key:
            value = _value(column, number * 10 + 7, _allowed(mapper.class_, attr))
            updated = repository.update(*identity, changes_type(**{attr: value}))
            assert getattr(updated, attr) == value
            return attr, value
    return None


def _check_real_columns(
    session: Session, table: sa.Table, mapper: Mapper[Any], instance: Any
) -> None:
    """The row, read with SQL written from the real names, holds the instance's values."""
    real = sa.table(table.name, *(sa.column(c.name) for c in table.columns), schema=table.schema)
    conditions = [
        real.c[column.name] == getattr(instance, mapper.get_property_by_column(column).key)
        for column in mapper.primary_key
    ]
    row = session.execute(sa.select(real).where(*conditions)).one()
    for attr, column in _columns(mapper):
        expected = getattr(instance, attr)
        stored = row._mapping[column.name]
        if isinstance(column.type, sa.Boolean):
            stored = bool(stored) if stored is not None else None
        if isinstance(expected, decimal.Decimal) and stored is not None:
            stored = decimal.Decimal(str(stored))
        if isinstance(column.type, mysql.BIT) and isinstance(stored, bytes):
            stored = int.from_bytes(stored, "big")  # MySQL BIT, read raw
        if isinstance(expected, set) and isinstance(stored, str):
            stored = set(stored.split(",")) if stored else set()  # MySQL SET, read raw
        if isinstance(expected, Range) and stored is not None:
            stored = Range(stored.lower, stored.upper, bounds=expected.bounds)  # psycopg's Range
        if type(stored) is not type(expected) and str(stored) == str(expected):
            continue  # e.g. INET: the driver returns ipaddress objects for the text written
        if isinstance(expected, datetime.date | uuid.UUID | datetime.time) and isinstance(
            stored, str
        ):
            continue  # SQLite stores these as text in its own format: the ORM read proved them
        assert stored == expected, (table.name, column.name, stored, expected)
