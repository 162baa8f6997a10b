"""Reflected tables -> the IR: the same `Schema` the declarative-models front end builds.

The models themselves do not exist yet: they are generated into `<package>.models`, so each
`Entity.model_import` is the relative `("..models.<module>", Class)` that the repositories and
services import, and `Schema.metadata_import` is the absolute `("<package>.models", "Base")` that
Alembic's env.py imports. Names are allocated in a fixed order (tables sorted by schema and
name), so the same database always gives the same IR.

A view, or a table without a primary key, is read-only (`writable=False`, no write methods) and
warned about; its model still needs a mapper key (see `sublimate.model_views.mapper_key`).
Indexes that only back a unique constraint are rendered as the constraint.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Dialect

from sublimate import naming
from sublimate.introspect.class_names import MODEL_RESERVED_CLASSES, Built, allocate_classes
from sublimate.introspect.columns import entity_columns
from sublimate.introspect.indexes import carries_options, index_from_reflected, index_warnings
from sublimate.introspect.raw import RawTable
from sublimate.introspect.relations import foreign_keys, is_association, relations
from sublimate.introspect.table_options import table_notes
from sublimate.introspect.unique_keys import unique_keys
from sublimate.ir import Check, Diagnostic, Entity, EntityKind, Index, Schema


def schema_from_tables(
    tables: Sequence[RawTable],
    *,
    dialect: Dialect,
    package: str,
    source: str,
    diagnostics: Sequence[Diagnostic] = (),
) -> Schema:
    """The IR of reflected tables: names allocated in a fixed order, entities sorted by name."""
    ordered = sorted(tables, key=lambda t: (t.schema is not None, t.schema or "", t.name))
    notes = list(diagnostics)
    built = allocate_classes(ordered)
    by_table = {(b.raw.schema, b.raw.name): b for b in built}
    for each in built:
        each.columns = entity_columns(each, dialect, notes)
        if each.raw.is_view:
            each.kind = EntityKind.VIEW
        notes.extend(_table_warnings(each, dialect.name))
    for each in built:
        each.foreign_keys = foreign_keys(each, by_table, notes)
        if is_association(each):
            each.kind = EntityKind.ASSOCIATION
    relations(built)
    modules = naming.Scope()
    classes = naming.Scope(taken=(b.name for b in built), reserved=MODEL_RESERVED_CLASSES)
    entities = [_entity(b, modules, classes, dialect.name) for b in built]
    return Schema(
        source=source,
        metadata_import=(f"{package}.models" if package else "models", "Base"),
        metadata_expr="Base.metadata",
        entities=tuple(sorted(entities, key=lambda e: e.name)),
        enums=(),
        diagnostics=tuple(sorted(set(notes), key=lambda d: (d.where, d.message))),
    )


def _table_warnings(built: Built, dialect: str) -> list[Diagnostic]:
    """What the user should know about the table as a whole: read-only, options not carried,
    indexes that lose something."""
    raw = built.raw
    notes = []
    if raw.is_view:
        notes.append(
            Diagnostic(
                where=raw.qualified,
                message="view: read-only repository (no write methods); see the README for"
                " how its model is keyed",
            )
        )
    elif not raw.primary_key:
        notes.append(
            Diagnostic(
                where=raw.qualified,
                message="no primary key: read-only repository (no get or write methods);"
                " see the README for how its model is keyed",
            )
        )
    notes.extend(table_notes(raw.qualified, raw.extras))
    unique_names = {u.get("name") for u in raw.unique_constraints}
    for index in raw.indexes:
        for message in index_warnings(index, dialect, unique_names):
            notes.append(Diagnostic(where=f"{raw.qualified}.{index.get('name')}", message=message))
    return notes


def _entity(built: Built, modules: naming.Scope, classes: naming.Scope, dialect: str) -> Entity:
    raw = built.raw
    names = naming.entity_names(built.name, modules=modules, classes=classes)
    primary_key = tuple(built.attrs[c] for c in raw.primary_key if c in built.attrs)
    return Entity(
        name=built.name,
        table=raw.name,
        schema=raw.schema,
        kind=built.kind,
        source=f"db:{raw.qualified}",
        model_import=(f"..models.{names.module}", built.name),
        names=names,
        columns=built.columns,
        primary_key=() if raw.is_view else primary_key,
        unique_keys=unique_keys(built, primary_key),
        foreign_keys=tuple(built.foreign_keys),
        relations=tuple(sorted(built.relations, key=lambda r: r.attr)),
        indexes=_indexes(built, dialect),
        comment=raw.comment,
        writable=bool(primary_key) and not raw.is_view,
        checks=tuple(
            Check(name=c.get("name"), sqltext=str(c["sqltext"]))
            for c in sorted(raw.checks, key=lambda c: (c.get("name") or "", str(c["sqltext"])))
            if c.get("sqltext")
        ),
        table_options=raw.extras.options,
    )


def _indexes(built: Built, dialect: str) -> tuple[Index, ...]:
    """Indexes, less those that only back a unique constraint (rendered as the constraint),
    unless they carry what a constraint cannot (MySQL's `UNIQUE KEY (code(20))`)."""
    raw = built.raw
    constraint_names = {u.get("name") for u in raw.unique_constraints if u.get("name")}
    result = []
    for index in raw.indexes:
        backs = index.get("duplicates_constraint") or index.get("name") in constraint_names
        if backs and (dialect == "postgresql" or not carries_options(index, dialect)):
            continue
        result.append(index_from_reflected(index, dialect))
    return tuple(sorted(result, key=lambda i: (i.name or "", i.columns, i.expressions)))
