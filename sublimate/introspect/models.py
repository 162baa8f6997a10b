"""Declarative models -> IR: the front end for `pkg.mod` and `pkg.mod:Base` specs.

`build_schema("shop.models")` imports the module (the CLI has put the project root on
`sys.path`), finds the registry its mapped classes belong to, and turns every mapped class of that
registry into an `ir.Entity`. Nothing here prints: what the generator cannot honour (a
single-table inheritance subclass, a type it does not know, a relationship to a class of another
registry) becomes an `ir.Diagnostic` in the Schema, and only an input that cannot be read at all
raises `IntrospectError`.
"""

from __future__ import annotations

import importlib
import keyword
import sys
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy import orm
from sqlalchemy.orm import Mapper, RelationshipDirection, RelationshipProperty

from sublimate import naming
from sublimate.introspect import IntrospectError
from sublimate.introspect.types import column_type
from sublimate.ir import (
    Column,
    Diagnostic,
    Entity,
    EntityKind,
    EnumType,
    ForeignKey,
    Import,
    Index,
    Relation,
    RelationKind,
    Schema,
    UniqueKey,
)

__all__ = ["LoadedModels", "build_schema", "load_base", "schema_from_models"]


@dataclass(frozen=True, slots=True)
class LoadedModels:
    """A registry and how generated code (the Alembic env) reaches its MetaData."""

    spec: str
    registry: orm.registry
    metadata_import: Import  # ("shop.models", "Base")
    metadata_expr: str  # "Base.metadata"


def load_base(spec: str) -> LoadedModels:
    """Import `pkg.mod` or `pkg.mod:Base` and find the declarative registry it names.

    `Base` may be a `DeclarativeBase` subclass, a `declarative_base()` class, a mapped class
    (its registry is used), or an `orm.registry`; a dotted path (`pkg.mod:db.Model`) is followed.
    With a module only, the registry is the one of the mapped classes defined in or imported into
    the module; failing that, of a base or registry bound there that has mapped classes. Several
    registries are an error asking for `pkg.mod:Base`. The metadata import names the module of
    the spec when the base is bound there, so that importing it also imports the models.
    """
    module_name, colon, attr = (part.strip() for part in spec.partition(":"))
    if not module_name or (colon and not attr):
        raise IntrospectError(f"invalid models spec {spec!r}: expected 'pkg.mod' or 'pkg.mod:Base'")
    module = _import(module_name)
    if attr:
        obj: object = module
        for part in attr.split("."):
            if not hasattr(obj, part):
                raise IntrospectError(f"module {module_name!r} has no attribute {attr!r}")
            obj = getattr(obj, part)
        registry = _registry_of(obj)
        if registry is None:
            got = f"class {obj.__qualname__}" if isinstance(obj, type) else type(obj).__name__
            raise IntrospectError(f"{spec!r} is not a declarative base or registry (got {got})")
        if not registry.mappers:
            raise IntrospectError(f"{spec!r} has no mapped classes")
        return LoadedModels(spec, registry, (module_name, attr.split(".")[0]), f"{attr}.metadata")
    registry = _find_registry(module)
    metadata_import, metadata_expr = _metadata_reference(registry, module)
    return LoadedModels(spec, registry, metadata_import, metadata_expr)


def build_schema(spec: str) -> Schema:
    """The IR of every mapped class of the registry that `spec` names (see `load_base`)."""
    return schema_from_models(load_base(spec))


def _import(module_name: str) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if module_name == missing or module_name.startswith(f"{missing}."):
            raise IntrospectError(
                f"cannot import module {module_name!r}: no module named {missing!r}"
                " (run from the project root, or check the spelling)"
            ) from exc
        raise IntrospectError(f"importing module {module_name!r} failed: {_one_line(exc)}") from exc
    except Exception as exc:  # the user's module raised while importing: report, do not crash
        raise IntrospectError(
            f"importing module {module_name!r} failed: {type(exc).__name__}: {_one_line(exc)}"
        ) from exc


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _mapper_of(obj: object) -> Mapper[Any] | None:
    if not isinstance(obj, type):
        return None
    found: object = sa.inspect(obj, raiseerr=False)
    return found if isinstance(found, Mapper) else None


def _registry_of(obj: object) -> orm.registry | None:
    if isinstance(obj, orm.registry):
        return obj
    for name in ("registry", "_sa_registry"):
        try:
            candidate = getattr(obj, name, None)
        except Exception:  # an exotic descriptor: not a base
            continue
        if isinstance(candidate, orm.registry):
            return candidate
    return None


def _find_registry(module: ModuleType) -> orm.registry:
    namespace = sorted(vars(module).items())
    registries: dict[int, orm.registry] = {}
    for _, value in namespace:
        mapper = _mapper_of(value)
        if mapper is not None:
            registries.setdefault(id(mapper.registry), mapper.registry)
    if not registries:
        # A package that binds only its Base and imports its model modules for their effect.
        for name, value in namespace:
            registry = _registry_of(value) if not name.startswith("__") else None
            if registry is not None and registry.mappers:
                registries.setdefault(id(registry), registry)
    if not registries:
        raise IntrospectError(f"module {module.__name__!r} defines or imports no mapped classes")
    if len(registries) > 1:
        bases = sorted(_metadata_reference(r, module)[1].split(".")[0] for r in registries.values())
        raise IntrospectError(
            f"module {module.__name__!r} maps classes to {len(registries)} registries "
            f"({', '.join(bases)}): name one, as in '{module.__name__}:{bases[0]}'"
        )
    return next(iter(registries.values()))


def _metadata_reference(registry: orm.registry, module: ModuleType) -> tuple[Import, str]:
    """Where the Alembic env gets this registry's MetaData from: the module, if possible."""
    namespace = sorted(vars(module).items())
    package = module.__name__.split(".")[0]
    for name, value in namespace:
        # A base imported from a library (SQLModel, Advanced Alchemy) is not re-exported here.
        if _is_base_of(value, registry) and value.__module__.split(".")[0] == package:
            return (module.__name__, name), f"{name}.metadata"
    for name, value in namespace:
        if value is registry:
            return (module.__name__, name), f"{name}.metadata"
    for name, value in namespace:  # a model of this module: importing it imports them all
        mapper = _mapper_of(value)
        if (
            mapper is not None
            and mapper.registry is registry
            and getattr(value, "__module__", None) == module.__name__
            and isinstance(getattr(value, "metadata", None), sa.MetaData)
        ):
            return (module.__name__, name), f"{name}.metadata"
    mappers = sorted(registry.mappers, key=lambda m: (m.class_.__module__, m.class_.__qualname__))
    for mapper in mappers:
        for cls in mapper.class_.__mro__:
            if _is_base_of(cls, registry) and "<locals>" not in cls.__qualname__:
                return (
                    cls.__module__,
                    cls.__qualname__.split(".")[0],
                ), f"{cls.__qualname__}.metadata"
    cls = mappers[0].class_
    return (cls.__module__, cls.__name__), f"{cls.__name__}.__table__.metadata"


def _is_base_of(value: object, registry: orm.registry) -> bool:
    return (
        isinstance(value, type)
        and _mapper_of(value) is None
        and any(vars(value).get(name) is registry for name in ("registry", "_sa_registry"))
    )


# --- building the schema ------------------------------------------------------------------


def schema_from_models(loaded: LoadedModels) -> Schema:
    """The IR of every mapped class of `loaded.registry`, entities sorted by class name."""
    try:
        loaded.registry.configure(cascade=True)
    except Exception as exc:  # invalid relationships are the user's to fix, not a crash
        raise IntrospectError(
            f"SQLAlchemy could not configure the mappers of {loaded.spec!r}: {_one_line(exc)}"
        ) from exc
    diagnostics: list[Diagnostic] = []
    mappers = _entity_mappers(loaded.registry, diagnostics)
    by_class = {id(mapper.class_): mapper.class_.__name__ for mapper in mappers}
    by_table = {}
    for mapper in mappers:
        table = mapper.local_table
        assert isinstance(table, sa.Table)
        by_table[(table.schema, table.name)] = mapper.class_.__name__
    context = _Context(by_class=by_class, by_table=by_table, diagnostics=diagnostics, enums={})
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


@dataclass(slots=True)
class _Context:
    by_class: dict[int, str]  # id(model class) -> Entity.name
    by_table: dict[tuple[str | None, str], str]  # (schema, table) -> Entity.name
    diagnostics: list[Diagnostic]
    enums: dict[str, EnumType]

    def warn(self, where: str, message: str) -> None:
        self.diagnostics.append(Diagnostic(where=where, message=message))


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
    mapper: Mapper[Any], context: _Context, modules: naming.Scope, classes: naming.Scope
) -> Entity:
    cls = mapper.class_
    table = mapper.local_table
    assert isinstance(table, sa.Table)
    columns = _columns(mapper, context)
    primary_key = tuple(_attr(mapper, column) for column in mapper.primary_key)
    is_view = bool(table.info.get("is_view"))
    return Entity(
        name=cls.__name__,
        table=str(table.name),
        schema=_name(table.schema),
        kind=EntityKind.VIEW if is_view else EntityKind.TABLE,
        source=f"{cls.__module__}:{cls.__qualname__}",
        model_import=(cls.__module__, cls.__qualname__.split(".")[0]),
        names=naming.entity_names(
            cls.__name__, modules=modules, classes=classes, columns=[c.attr for c in columns]
        ),
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
    return _attr(mapper, column)


def _tables(mapper: Mapper[Any]) -> list[sa.Table]:
    """The tables a mapper writes, base class first (one, unless joined-table inheritance)."""
    chain = []
    for each in mapper.iterate_to_root():
        chain.append(each.local_table)
        if each.concrete:  # concrete inheritance: the class's own table holds every column
            break
    tables: list[sa.Table] = []
    for table in reversed(chain):
        if isinstance(table, sa.Table) and table not in tables:
            tables.append(table)
    return tables


def _attr(mapper: Mapper[Any], column: sa.ColumnElement[Any]) -> str:
    """The attribute a column is mapped to; generated code spells it `Model.<attr>`, so a key
    that is not an identifier (a `__table__` column named "1st value") is an input error."""
    key = mapper.get_property_by_column(column).key
    if not key.isidentifier() or keyword.iskeyword(key):
        raise IntrospectError(
            f"{mapper.class_.__name__}: mapped attribute {key!r} is not a Python identifier; "
            f'map the column under a valid name (e.g. sa.Column({column.name!r}, ..., key="..."))'
        )
    return key


def _try_attrs(mapper: Mapper[Any], columns: Iterable[Any]) -> tuple[str, ...] | None:
    """The attrs of `columns`, or None when one of them is not a mapped column."""
    attrs = []
    for column in columns:
        if not isinstance(column, sa.Column):
            return None
        try:
            attrs.append(_attr(mapper, column))
        except sa_exc.SQLAlchemyError:  # UnmappedColumnError: left out by the model
            return None
    return tuple(attrs)


def _columns(mapper: Mapper[Any], context: _Context) -> tuple[Column, ...]:
    """The mapped columns in table order (base table first); unmapped ones are left out."""
    seen: set[str] = set()
    primary_key = {id(column) for column in mapper.primary_key}
    result = []
    for table in _tables(mapper):
        for column in table.columns:
            if getattr(column, "_insert_sentinel", False):  # Advanced Alchemy's _sentinel: internal
                continue
            where = f"{table.fullname}.{column.name}"
            attrs = _try_attrs(mapper, [column])
            if attrs is None:
                if not column.nullable and column.default is None and not column.server_default:
                    context.warn(where, "NOT NULL column is not mapped: inserts will fail")
            elif attrs[0] not in seen:  # joined-table inheritance repeats the key
                seen.add(attrs[0])
                result.append(
                    _column(mapper, column, attrs[0], id(column) in primary_key, where, context)
                )
    return tuple(result)


def _column(
    mapper: Mapper[Any],
    column: sa.Column[Any],
    attr: str,
    primary_key: bool,
    where: str,
    context: _Context,
) -> Column:
    declared = _declared_type(mapper.class_, attr)
    info = column_type(column.type, declared=declared, where=where)
    context.diagnostics.extend(info.diagnostics)
    assert isinstance(column.table, sa.Table)
    autoincrement = column is column.table.autoincrement_column or column.identity is not None
    server_generated = (
        autoincrement or column.computed is not None or isinstance(column.default, sa.Sequence)
    )
    return Column(
        attr=attr,
        sql_name=str(column.name),
        python_type=info.python_type,
        dto_type=info.dto_type,
        sql_type=info.sql_type,
        sql_type_expr=info.sql_type_expr,
        nullable=bool(column.nullable),
        primary_key=primary_key,
        has_default=(
            server_generated or column.default is not None or column.server_default is not None
        ),
        server_default=_server_default_text(column),
        server_generated=server_generated,
        autoincrement=autoincrement,
        max_length=info.max_length,
        precision=info.precision,
        scale=info.scale,
        enum=None if info.enum is None else _register_enum(info.enum, context, where),
        filter_kind=info.filter_kind,
        orderable=info.orderable,
        comment=column.comment,
        imports=info.imports,
        declared_optional=not column.nullable and type(None) in typing.get_args(declared),
        int_range=info.int_range,
        pattern=info.pattern,
    )


def _register_enum(enum_type: EnumType, context: _Context, where: str) -> str:
    known = context.enums.setdefault(enum_type.name, enum_type)
    if known != enum_type:
        context.warn(
            where,
            f"two enums are named {enum_type.name} ({known.import_[0]} and "
            f"{enum_type.import_[0]}): generated code may import the wrong one",
        )
    return enum_type.name


def _server_default_text(column: sa.Column[Any]) -> str | None:
    """The SQL text of a server default (`now()`, `'draft'`), or None for identity/computed."""
    default = column.server_default
    if not isinstance(default, sa.DefaultClause):
        return None
    arg = default.arg
    if isinstance(arg, str):
        return "'" + arg.replace("'", "''") + "'"
    return _sql_text(arg)


def _sql_text(element: Any) -> str:
    try:
        compiled = element.compile(compile_kwargs={"literal_binds": True, "include_table": False})
        return str(compiled)
    except Exception:  # a dialect-only construct: its generic string is the best we have
        return str(element)


def _declared_type(cls: type, attr: str) -> object:
    """The resolved `X` of the model's `attr: Mapped[X]`, or None when it cannot be known."""
    for klass in cls.__mro__:
        annotations = vars(klass).get("__annotations__", {})
        if attr in annotations:
            namespace = (
                vars(sys.modules[klass.__module__]) if klass.__module__ in sys.modules else {}
            )
            tp = _resolve(annotations[attr], namespace, dict(vars(klass)))
            origin = typing.get_origin(tp)
            if isinstance(origin, type) and issubclass(origin, orm.Mapped):
                args = typing.get_args(tp)
                tp = _resolve(args[0], namespace, dict(vars(klass))) if args else None
            return tp
    return None


def _resolve(tp: object, namespace: dict[str, Any], local: dict[str, Any]) -> object:
    """Evaluate a string or forward-reference annotation in its module; None when it fails."""
    if isinstance(tp, typing.ForwardRef):
        tp = tp.__forward_arg__
    if not isinstance(tp, str):
        return tp
    try:
        return eval(tp, dict(namespace), local)  # the model's own annotation, as typing does
    except Exception:  # a name imported under TYPE_CHECKING: fall back to the SQL type
        return None


def _unique_keys(mapper: Mapper[Any], primary_key: tuple[str, ...]) -> tuple[UniqueKey, ...]:
    """The primary key, then every other unique column set (constraints, unique indexes)."""
    candidates: list[tuple[bool, int, tuple[str, ...], str | None, tuple[str, ...]]] = []
    for table in _tables(mapper):
        for constraint in table.constraints:
            if isinstance(constraint, sa.UniqueConstraint):
                cols = list(constraint.columns)
                name = _name(constraint.name)
                attrs = _try_attrs(mapper, cols)
                if attrs:
                    sql = _names(cols)
                    candidates.append((name is None, 0, attrs, name, sql))
        for index in table.indexes:
            index_columns = _plain_columns(index)
            if index.unique and index_columns:
                attrs = _try_attrs(mapper, index_columns)
                if attrs:
                    sql = _names(index_columns)
                    name = _name(index.name)
                    candidates.append((name is None, 1, attrs, name, sql))
    pk_columns = list(mapper.primary_key)
    scope = naming.Scope()
    keys = []
    if primary_key:
        keys.append(
            UniqueKey(
                name=scope.allocate(naming.key_name(primary_key)),
                constraint_name=_name(pk_columns[0].table.primary_key.name),
                columns=primary_key,
                sql_columns=_names(pk_columns),
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


def _names(columns: Iterable[sa.ColumnElement[Any]]) -> tuple[str, ...]:
    """Column names as plain str: SQLAlchemy's are `quoted_name`, which the IR must not carry
    (an IR pickled by the cache would import SQLAlchemy to be read back)."""
    return tuple(str(c.name) for c in columns)


def _name(name: object) -> str | None:
    """A constraint or index name as a plain str (naming conventions give `conv` objects)."""
    return str(name) if isinstance(name, str) else None


def _foreign_keys(mapper: Mapper[Any], context: _Context) -> tuple[ForeignKey, ...]:
    result = []
    for table in _tables(mapper):
        for constraint in table.foreign_key_constraints:
            cols = list(constraint.columns)
            attrs = _try_attrs(mapper, cols)
            if attrs is None:
                continue
            target = _fk_target(constraint, f"{table.fullname}.{cols[0].name}", context)
            target_schema, target_table, target_columns = target
            result.append(
                ForeignKey(
                    name=_name(constraint.name),
                    columns=attrs,
                    sql_columns=_names(cols),
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
    constraint: sa.ForeignKeyConstraint, where: str, context: _Context
) -> tuple[str | None, str, tuple[str, ...]]:
    try:
        referred = constraint.referred_table
        columns = _names(element.column for element in constraint.elements)
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


def _relations(mapper: Mapper[Any], context: _Context) -> tuple[Relation, ...]:
    result = []
    for prop in sorted(mapper.relationships, key=lambda p: p.key):
        relation = _relation(mapper, prop, context)
        if relation is not None:
            result.append(relation)
    return tuple(result)


def _relation(
    mapper: Mapper[Any], prop: RelationshipProperty[Any], context: _Context
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
        local = _try_attrs(mapper, [pair[0] for pair in prop.synchronize_pairs])
        remote = _try_attrs(
            target_mapper, [pair[0] for pair in prop.secondary_synchronize_pairs or ()]
        )
        secondary = _name(getattr(prop.secondary, "name", None))
        if secondary is None:
            context.warn(where, "many-to-many through a selectable that is not a table")
    else:
        if kind is RelationKind.ONE_TO_MANY and not prop.uselist:
            kind = RelationKind.ONE_TO_ONE
        local = _try_attrs(mapper, [pair[0] for pair in prop.local_remote_pairs or ()])
        remote = _try_attrs(target_mapper, [pair[1] for pair in prop.local_remote_pairs or ()])
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


def _plain_columns(index: sa.Index) -> list[sa.Column[Any]] | None:
    """The columns of an index made only of columns; None for an expression index."""
    columns = [e for e in index.expressions if isinstance(e, sa.Column)]
    return columns if len(columns) == len(index.expressions) else None


def _indexes(mapper: Mapper[Any]) -> tuple[Index, ...]:
    result = []
    for table in _tables(mapper):
        for index in table.indexes:
            columns = _plain_columns(index)
            result.append(
                Index(
                    name=_name(index.name),
                    columns=_names(columns or ()),
                    expressions=() if columns else tuple(map(_sql_text, index.expressions)),
                    unique=bool(index.unique),
                )
            )
    return tuple(sorted(result, key=lambda i: (i.name or "", i.columns, i.expressions)))
