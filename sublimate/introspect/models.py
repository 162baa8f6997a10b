"""Declarative models -> IR: the front end for `pkg.mod` and `pkg.mod:Base` specs.

`build_schema("shop.models")` imports the module (the CLI has put the project root on
`sys.path`), finds the registry its mapped classes belong to (`model_registry`), and turns every
mapped class of that registry into an `ir.Entity`. Nothing here prints: what the generator
cannot honour (a single-table inheritance subclass, a type it does not know, a relationship to a
class of another registry) becomes an `ir.Diagnostic` in the Schema, and only an input that
cannot be read at all raises `IntrospectError`.

Columns are read in `model_columns`; what both modules read off a mapper (its tables, the
attribute of a column, plain names) is in `model_mapping`.
"""

from __future__ import annotations

import sys
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy import orm
from sqlalchemy.orm import Mapper, RelationshipDirection, RelationshipProperty

from sublimate import naming
from sublimate.introspect import IntrospectError
from sublimate.introspect.model_columns import mapped_columns
from sublimate.introspect.model_mapping import (
    Context,
    attr_of,
    mapped_tables,
    names_of,
    plain_columns,
    plain_name,
    sql_text,
    try_attrs,
)
from sublimate.introspect.model_registry import LoadedModels, load_base, one_line
from sublimate.ir import (
    Diagnostic,
    Entity,
    EntityKind,
    ForeignKey,
    Import,
    Index,
    Relation,
    RelationKind,
    Schema,
    UniqueKey,
)

__all__ = ["LoadedModels", "build_schema", "load_base", "schema_from_models"]


def build_schema(spec: str) -> Schema:
    """The IR of every mapped class of the registry that `spec` names (see `load_base`)."""
    return schema_from_models(load_base(spec))


def schema_from_models(loaded: LoadedModels) -> Schema:
    """The IR of every mapped class of `loaded.registry`, entities sorted by class name."""
    try:
        loaded.registry.configure(cascade=True)
    except Exception as exc:  # invalid relationships are the user's to fix, not a crash
        raise IntrospectError(
            f"SQLAlchemy could not configure the mappers of {loaded.spec!r}: {one_line(exc)}"
        ) from exc
    diagnostics: list[Diagnostic] = []
    mappers = _entity_mappers(loaded.registry, diagnostics)
    by_class = {id(mapper.class_): mapper.class_.__name__ for mapper in mappers}
    by_table = {}
    for mapper in mappers:
        table = mapper.local_table
        assert isinstance(table, sa.Table)
        by_table[(table.schema, table.name)] = mapper.class_.__name__
    context = Context(by_class=by_class, by_table=by_table, diagnostics=diagnostics, enums={})
    modules = naming.Scope()
    classes = naming.Scope(
        taken=(mapper.class_.__name__ for mapper in mappers), reserved=naming.RESERVED_CLASSES
    )
    entities = [_entity(mapper, context, modules, classes) for mapper in mappers]
    return Schema(
        source=loaded.spec,
        metadata_import=loaded.metadata_import,
        metadata_expr=loaded.metadata_expr,
        entities=tuple(entities),
        enums=tuple(sorted(context.enums.values(), key=lambda e: e.name)),
        diagnostics=tuple(sorted(set(diagnostics), key=lambda d: (d.where, d.message))),
    )


def _entity_mappers(registry: orm.registry, diagnostics: list[Diagnostic]) -> list[Mapper[Any]]:
    """The mappers that become entities, sorted by class name; the others explain themselves."""
    kept: list[Mapper[Any]] = []
    names: set[str] = set()
    ordered = sorted(registry.mappers, key=lambda m: (m.class_.__name__, m.class_.__module__))
    for mapper in ordered:
        cls = mapper.class_
        where = f"{cls.__module__}:{cls.__qualname__}"
        if mapper.inherits is not None and mapper.single:
            base = mapper.inherits.class_.__name__
            message = f"single-table inheritance subclass of {base}: not generated (use {base})"
            diagnostics.append(Diagnostic(where=where, message=message))
        elif not isinstance(mapper.local_table, sa.Table):
            message = "mapped to a selectable that is not a table: not generated"
            diagnostics.append(Diagnostic(where=where, message=message))
        elif cls.__name__ in names:
            message = f"another mapped class is also named {cls.__name__}: not generated"
            diagnostics.append(Diagnostic(where=where, message=message))
        else:
            if "<locals>" in cls.__qualname__:
                message = "defined inside a function: generated code cannot import it"
                diagnostics.append(Diagnostic(where=where, message=message))
            names.add(cls.__name__)
            kept.append(mapper)
    return kept


def _entity(
    mapper: Mapper[Any], context: Context, modules: naming.Scope, classes: naming.Scope
) -> Entity:
    cls = mapper.class_
    table = mapper.local_table
    assert isinstance(table, sa.Table)
    columns = mapped_columns(mapper, context)
    primary_key = tuple(attr_of(mapper, column) for column in mapper.primary_key)
    is_view = bool(table.info.get("is_view"))
    return Entity(
        name=cls.__name__,
        table=str(table.name),
        schema=plain_name(table.schema),
        kind=EntityKind.VIEW if is_view else EntityKind.TABLE,
        source=f"{cls.__module__}:{cls.__qualname__}",
        model_import=(cls.__module__, cls.__qualname__.split(".")[0]),
        names=naming.entity_names(cls.__name__, modules=modules, classes=classes),
        columns=columns,
        primary_key=primary_key,
        unique_keys=_unique_keys(mapper, primary_key),
        foreign_keys=_foreign_keys(mapper, context),
        relations=_relations(mapper, context),
        indexes=_indexes(mapper),
        comment=table.comment,
        writable=bool(primary_key) and not is_view,
        version_column=_version_column(mapper),
        column_ref=_column_ref(cls),
    )


def _column_ref(cls: type) -> Import | None:
    """SQLModel types class attributes as plain values: generated code wraps them in `col()`."""
    sqlmodel = sys.modules.get("sqlmodel")  # imported by the models module when it uses it
    base = getattr(sqlmodel, "SQLModel", None)
    if isinstance(base, type) and issubclass(cls, base):
        return ("sqlmodel", "col")
    return None


def _version_column(mapper: Mapper[Any]) -> str | None:
    """The attr of `version_id_col` (optimistic locking), when the mapper has an integer one."""
    column = mapper.version_id_col
    if column is None or mapper.version_id_generator is False:
        return None  # no version, or one the application sets itself: nothing to check here
    return attr_of(mapper, column)


def _unique_keys(mapper: Mapper[Any], primary_key: tuple[str, ...]) -> tuple[UniqueKey, ...]:
    """The primary key, then every other unique column set (constraints, unique indexes)."""
    candidates: list[tuple[bool, int, tuple[str, ...], str | None, tuple[str, ...]]] = []
    for table in mapped_tables(mapper):
        for constraint in table.constraints:
            if isinstance(constraint, sa.UniqueConstraint):
                cols = list(constraint.columns)
                name = plain_name(constraint.name)
                attrs = try_attrs(mapper, cols)
                if attrs:
                    sql = names_of(cols)
                    candidates.append((name is None, 0, attrs, name, sql))
        for index in table.indexes:
            index_columns = plain_columns(index)
            if index.unique and index_columns:
                attrs = try_attrs(mapper, index_columns)
                if attrs:
                    sql = names_of(index_columns)
                    name = plain_name(index.name)
                    candidates.append((name is None, 1, attrs, name, sql))
    pk_columns = list(mapper.primary_key)
    scope = naming.Scope()
    keys = []
    if primary_key:
        keys.append(
            UniqueKey(
                name=scope.allocate(naming.key_name(primary_key)),
                constraint_name=plain_name(pk_columns[0].table.primary_key.name),
                columns=primary_key,
                sql_columns=names_of(pk_columns),
                is_primary=True,
            )
        )
    seen = {frozenset(primary_key)}
    others = []
    for _, _, attrs, name, sql in sorted(candidates, key=lambda c: (c[0], c[1], c[2], c[3] or "")):
        if frozenset(attrs) in seen:
            continue
        seen.add(frozenset(attrs))
        others.append((naming.key_name(attrs), name, attrs, sql))
    for key_name, name, attrs, sql in sorted(others):
        keys.append(
            UniqueKey(
                name=scope.allocate(key_name),
                constraint_name=name,
                columns=attrs,
                sql_columns=sql,
                is_primary=False,
            )
        )
    return tuple(keys)


def _foreign_keys(mapper: Mapper[Any], context: Context) -> tuple[ForeignKey, ...]:
    result = []
    for table in mapped_tables(mapper):
        for constraint in table.foreign_key_constraints:
            cols = list(constraint.columns)
            attrs = try_attrs(mapper, cols)
            if attrs is None:
                continue
            target = _fk_target(constraint, f"{table.fullname}.{cols[0].name}", context)
            target_schema, target_table, target_columns = target
            result.append(
                ForeignKey(
                    name=plain_name(constraint.name),
                    columns=attrs,
                    sql_columns=names_of(cols),
                    target_entity=context.by_table.get((target_schema, target_table), ""),
                    target_table=target_table,
                    target_schema=target_schema,
                    target_sql_columns=target_columns,
                    ondelete=constraint.ondelete,
                    onupdate=constraint.onupdate,
                )
            )
    return tuple(sorted(result, key=lambda fk: (fk.columns, fk.name or "")))


def _fk_target(
    constraint: sa.ForeignKeyConstraint, where: str, context: Context
) -> tuple[str | None, str, tuple[str, ...]]:
    try:
        referred = constraint.referred_table
        columns = names_of(element.column for element in constraint.elements)
        schema = None if referred.schema is None else str(referred.schema)
        return schema, str(referred.name), columns
    except sa_exc.SQLAlchemyError:  # the target table is not in this MetaData
        spec = constraint.elements[0].target_fullname
        context.warn(where, f"foreign key target {spec} is not in the models' metadata")
        parts = spec.split(".")
        schema = ".".join(parts[:-2]) or None
        columns = tuple(element.target_fullname.split(".")[-1] for element in constraint.elements)
        return schema, parts[-2] if len(parts) > 1 else spec, columns


_KINDS = {
    RelationshipDirection.MANYTOONE: RelationKind.MANY_TO_ONE,
    RelationshipDirection.ONETOMANY: RelationKind.ONE_TO_MANY,
    RelationshipDirection.MANYTOMANY: RelationKind.MANY_TO_MANY,
}


def _relations(mapper: Mapper[Any], context: Context) -> tuple[Relation, ...]:
    result = []
    for prop in sorted(mapper.relationships, key=lambda p: p.key):
        relation = _relation(mapper, prop, context)
        if relation is not None:
            result.append(relation)
    return tuple(result)


def _relation(
    mapper: Mapper[Any], prop: RelationshipProperty[Any], context: Context
) -> Relation | None:
    where = f"{mapper.class_.__name__}.{prop.key}"
    target_mapper = prop.mapper
    target = context.by_class.get(id(target_mapper.class_))
    if target is None:
        name = target_mapper.class_.__name__
        context.warn(where, f"relationship to {name}, which is not generated: left out")
        return None
    kind = _KINDS[prop.direction]
    secondary = None
    if kind is RelationKind.MANY_TO_MANY:
        local = try_attrs(mapper, [pair[0] for pair in prop.synchronize_pairs])
        remote = try_attrs(
            target_mapper, [pair[0] for pair in prop.secondary_synchronize_pairs or ()]
        )
        secondary = plain_name(getattr(prop.secondary, "name", None))
        if secondary is None:
            context.warn(where, "many-to-many through a selectable that is not a table")
    else:
        if kind is RelationKind.ONE_TO_MANY and not prop.uselist:
            kind = RelationKind.ONE_TO_ONE
        local = try_attrs(mapper, [pair[0] for pair in prop.local_remote_pairs or ()])
        remote = try_attrs(target_mapper, [pair[1] for pair in prop.local_remote_pairs or ()])
    if not local or not remote:
        context.warn(where, "relationship joins on expressions, not mapped columns: left out")
        return None
    return Relation(
        attr=prop.key,
        target=target,
        kind=kind,
        local=local,
        remote=remote,
        secondary=secondary,
        back_populates=prop.back_populates or None,
        uselist=bool(prop.uselist),
    )


def _indexes(mapper: Mapper[Any]) -> tuple[Index, ...]:
    result = []
    for table in mapped_tables(mapper):
        for index in table.indexes:
            columns = plain_columns(index)
            result.append(
                Index(
                    name=plain_name(index.name),
                    columns=names_of(columns or ()),
                    expressions=() if columns else tuple(map(sql_text, index.expressions)),
                    unique=bool(index.unique),
                )
            )
    return tuple(sorted(result, key=lambda i: (i.name or "", i.columns, i.expressions)))
