"""What the cache knows of a mapped class, and how its rows become payloads and come back.

A :class:`ModelSpec` is computed once per model, the first time the model is read or written
through the cache (its mapper is configured by then). A payload holds the column values of rows,
never ORM objects (see :mod:`.cache_codec` for the bytes): a hit rebuilds each row as a persistent
instance of the caller's session, as a query would load it (``load`` event included), or returns
the instance the session already holds, filling only its expired attributes. Objects are never
shared between sessions, threads or callers, and what callers do to them cannot change the cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.sql import TableClause

from .cache_codec import Kind, RowCodec


@dataclass(frozen=True)
class ModelSpec:
    """What the cache needs to know of a mapped class, computed once it is configured."""

    mapper: Mapper[Any]
    name: str  # table name and a fingerprint of the columns: a schema change gets new keys
    columns: tuple[str, ...]
    primary_key: tuple[str, ...]
    tables: tuple[str, ...]
    types: dict[str, type[Any] | None]  # attribute -> its column's Python type, when known

    def normalized(self, attrs: Sequence[str], values: Sequence[Any]) -> tuple[Any, ...] | None:
        """Key values as the database returns them (``int(True)``, ``str(StrEnum)``), so a
        reader's key and a writer's are the same string; None when a value is of another type."""
        out = []
        for attr, value in zip(attrs, values, strict=True):
            wanted = self.types.get(attr)
            if wanted is not None and type(value) is not wanted and value is not None:
                if not isinstance(value, wanted):
                    return None
                value = wanted(value)
            out.append(value)
        return tuple(out)

    def ident(self, ident: Sequence[Any]) -> tuple[Any, ...] | None:
        """A primary key as the database returns it (see :meth:`normalized`)."""
        return self.normalized(self.primary_key, ident)


def spec_of(model: type[Any]) -> ModelSpec:
    mapper: Mapper[Any] = inspect(model)
    columns = tuple(attr.key for attr in mapper.column_attrs)
    described = repr([(a.key, [str(c.type) for c in a.columns]) for a in mapper.column_attrs])
    fingerprint = hashlib.sha256(described.encode()).hexdigest()[:8]
    primary_key = tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)
    tables = tuple(sorted(t.fullname for t in mapper.tables if isinstance(t, TableClause)))
    base = mapper.base_mapper.local_table
    name = getattr(base, "fullname", model.__name__)
    types = {attr.key: _python_type(attr.columns[0]) for attr in mapper.column_attrs}
    return ModelSpec(mapper, f"{name}@{fingerprint}", columns, primary_key, tables, types)


def _python_type(column: Any) -> type[Any] | None:
    try:
        found: type[Any] = column.type.python_type
    except (NotImplementedError, AttributeError):
        return None
    return found


# payloads: column values in ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Kinds:
    """The payload kinds of one model's reads."""

    one: Kind
    pointer: Kind
    many: Kind
    page: Kind


def kinds_of(spec: ModelSpec) -> Kinds:
    """How the model's payloads are encoded (from loaded instances) and decoded (to rows)."""
    codec = RowCodec(spec.name, spec.columns, spec.types, spec.primary_key)
    return Kinds(
        one=Kind(lambda v: codec.one.encode(_one(spec, v)), codec.one.decode),
        pointer=Kind(lambda v: codec.pointer.encode(_pointer(spec, v)), codec.pointer.decode),
        many=Kind(lambda v: codec.many.encode(_many(spec, v)), codec.many.decode),
        page=Kind(lambda v: codec.page.encode(_page(spec, v)), codec.page.decode),
    )


def _values(spec: ModelSpec, instance: Any) -> dict[str, Any] | None:
    """The row's column values, or None when the instance holds unflushed changes."""
    state = instance_state(instance)
    if state.modified:
        return None
    loaded = state.dict
    return {name: loaded[name] for name in spec.columns if name in loaded}


def _one(spec: ModelSpec, instance: Any | None) -> Any | None:
    """``(values,)``, ``(None,)`` for "no such row", None for "do not store"."""
    if instance is None:
        return (None,)
    values = _values(spec, instance)
    return None if values is None else (values,)


def _pointer(spec: ModelSpec, instance: Any | None) -> Any | None:
    """``(primary key,)`` or ``(None,)`` for "no row has this key"."""
    if instance is None:
        return (None,)
    key = instance_state(instance).key
    ident = None if key is None else spec.ident(tuple(key[1]))
    return None if ident is None else (ident,)


def _many(spec: ModelSpec, instances: list[Any]) -> Any | None:
    rows = [_values(spec, instance) for instance in instances]
    return None if any(row is None for row in rows) else rows


def _page(spec: ModelSpec, page: tuple[list[Any], int]) -> Any | None:
    rows = _many(spec, page[0])
    return None if rows is None else (rows, page[1])


# instances out -------------------------------------------------------------------------------


def rebuild_one(spec: ModelSpec, session: Session, payload: tuple[dict[str, Any] | None]) -> Any:
    """The instance of a cached ``get`` payload, or None for "no such row"."""
    row = payload[0]
    return None if row is None else rebuild(spec, session, row)


def rebuild(spec: ModelSpec, session: Session, row: dict[str, Any]) -> Any:
    """The session's instance for a cached row: the one it holds, or one merged in."""
    identity = spec.mapper.identity_key_from_primary_key(tuple(row[k] for k in spec.primary_key))
    held = session.identity_map.get(identity)
    if held is not None:
        state = instance_state(held)
        for name in state.expired_attributes & row.keys():
            set_committed_value(held, name, row[name])
        return held
    # As a query loads a row: values straight into the instance dict, then an identity and
    # the session (make_transient_to_detached + add: merge(load=False) without its copy,
    # which costs ~30 us a row), then the load event (reconstructors).
    instance = spec.mapper.class_manager.new_instance()
    state = instance_state(instance)
    state.dict.update(row)
    make_transient_to_detached(instance)
    session.add(instance)
    if state.manager.dispatch.load:
        state.manager.dispatch.load(state, None)
    return instance
