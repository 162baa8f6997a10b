"""The generated models package (live-database input): what `templates/models/` print.

When the input is a database there are no model classes to import, so sublimate writes them:
`<out>/models/_base.py` (`Base`, and `ViewBase` whose own MetaData keeps views away from
`create_all` and Alembic), one `<out>/models/<module>.py` per entity, and `<out>/models/__init__.py`
exporting all of them (importing the package registers every class, so relationships resolve).

Everything printed is decided here from the IR, with every identifier from the IR (allocated by
`naming`) and every database text through `naming.literal` / `naming.comment_text`.

Import cycles: a model module imports at run time only SQLAlchemy, the standard library,
`._base`, and for a many-to-many the association class (whose module imports nothing else
generated). Relationship targets are imported under `TYPE_CHECKING` and resolved by SQLAlchemy
from the annotation's class name.

Keys: SQLAlchemy maps a class only with a key. A view or a table without a primary key gets
`__mapper_args__ = MappingProxyType({"primary_key": (...)})` (read-only, a class constant): the
first unique key whose columns are all NOT NULL, else every column that holds a hashable value.
Rows that agree on those columns are one object in a session (for a view of duplicates, `count()`
still counts rows), and a row whose key columns are all NULL comes back as None. The table's DDL
is unchanged: no primary key is declared.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import jinja2

from .. import naming
from ..imports import assemble, bind
from ..ir import Column, Entity, EntityKind, ForeignKey, Import, Relation, RelationKind, Schema
from ..ruff_order import all_key
from .indexes import index_line

__all__ = [
    "ModelView",
    "generates_models",
    "mapper_key",
    "model_view",
    "render_model",
    "render_models_file",
]

MODELS_PACKAGE = "models"
_BASE_MODULE = "._base"
_UNHASHABLE_SQL = ("JSON", "HSTORE", "ARRAY", "SET")


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    """One class attribute: `attr: Mapped[annotation] = call(arguments)`."""

    attr: str
    annotation: str
    arguments: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelView:
    class_name: str
    base: str  # "Base" or "ViewBase"
    subject: str  # 'table "album"', safe for a docstring
    doc: str  # the class docstring, safe
    tablename: str  # a literal
    table_args: str  # "" or the `__table_args__` expression
    mapper_args: str  # "" or the `__mapper_args__` expression
    columns: tuple[Line, ...]
    relations: tuple[Line, ...]
    type_checking: tuple[str, ...]  # import lines under `if TYPE_CHECKING:`


def generates_models(schema: Schema) -> bool:
    """Whether the schema's models are generated (live-database input), not imported."""
    prefix = f"..{MODELS_PACKAGE}."
    return any(entity.model_import[0].startswith(prefix) for entity in schema.entities)


def mapper_key(entity: Entity) -> tuple[str, ...]:
    """The attrs SQLAlchemy uses as the identity of a view's or key-less table's rows."""
    if entity.primary_key:
        return entity.primary_key
    for key in entity.unique_keys:
        if all(not entity.column(attr).nullable for attr in key.columns):
            return key.columns
    hashable = [c.attr for c in entity.columns if _hashable(c)]
    return tuple(hashable or (c.attr for c in entity.columns))


def _hashable(column: Column) -> bool:
    if column.python_type.startswith(("list[", "dict[", "set[")):
        return False
    return not any(word in column.sql_type.upper() for word in _UNHASHABLE_SQL)


# --- one model -----------------------------------------------------------------------------


def model_view(entity: Entity, schema: Schema) -> ModelView:
    by_name = {e.name: e for e in schema.entities}
    is_view = entity.kind is EntityKind.VIEW
    kind = "view" if is_view else "table"
    shown = naming.comment_text(
        f"{entity.schema}.{entity.table}" if entity.schema else entity.table, limit=80
    )
    subject = f'{kind} "{shown}"'
    comment = naming.comment_text(entity.comment)
    doc = f"{kind.capitalize()} {subject.split(' ', 1)[1]}"
    doc = f"{doc}: {comment}" if comment else doc
    if not doc.endswith("."):
        doc += "."
    generated_fks = [fk for fk in entity.foreign_keys if fk.target_entity]
    single_fk = {fk.sql_columns[0]: fk for fk in generated_fks if len(fk.sql_columns) == 1}
    pk_sql = [c.sql_name for c in entity.columns if c.primary_key]
    pk_in_order = [entity.column(a).sql_name for a in entity.primary_key] == pk_sql
    columns = tuple(
        _column_line(entity, column, single_fk.get(column.sql_name), by_name, pk_in_order)
        for column in entity.columns
    )
    items: list[str] = []
    if entity.primary_key and not pk_in_order:
        names = ", ".join(naming.literal(entity.column(a).sql_name) for a in entity.primary_key)
        items.append(f"sa.PrimaryKeyConstraint({names})")
    for fk in generated_fks:
        if len(fk.sql_columns) > 1:
            items.append(_fk_constraint(fk, by_name))
    items.extend(_unique_constraints(entity))
    items.extend(_indexes(entity))
    for check in entity.checks:
        name = f", name={naming.literal(check.name)}" if check.name else ""
        items.append(f"sa.CheckConstraint({naming.literal(check.sqltext)}{name})")
    options: list[str] = []
    if entity.schema:
        options.append(f'"schema": {naming.literal(entity.schema)}')
    if entity.comment and not is_view:
        options.append(f'"comment": {naming.literal(entity.comment)}')
    options.extend(f"{naming.literal(k)}: {naming.literal(v)}" for k, v in entity.table_options)
    if is_view:
        options.append('"info": {"is_view": True}')
    if options:
        items.append("{" + ", ".join(options) + "}")
    # Tuples and a read-only mapping: class-level constants, not mutable defaults (ruff RUF012).
    table_args = "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")" if items else ""
    mapper_args = ""
    if not entity.primary_key:
        key = naming.literal(mapper_key(entity))
        mapper_args = 'MappingProxyType({"primary_key": ' + key + "})"
    relations = tuple(_relation_line(entity, r, by_name) for r in entity.relations)
    return ModelView(
        class_name=entity.name,
        base="ViewBase" if is_view else "Base",
        subject=subject,
        doc=doc,
        tablename=naming.sql_name(entity.table),
        table_args=table_args,
        mapper_args=mapper_args,
        columns=columns,
        relations=relations,
        type_checking=_type_checking_lines(entity, by_name),
    )


def _target_spec(schema: str | None, table: str, column: str) -> str:
    """A ForeignKey target: the dotted string, or the token tuple when a name holds a dot."""
    if "." in table or "." in column or (schema is not None and "." in schema):
        return naming.literal((schema, table, column) if schema else (table, column))
    return naming.literal(".".join([*([schema] if schema else []), table, column]))


def _fk_options(fk: ForeignKey) -> str:
    parts = []
    if fk.ondelete:
        parts.append(f"ondelete={naming.literal(fk.ondelete)}")
    if fk.onupdate:
        parts.append(f"onupdate={naming.literal(fk.onupdate)}")
    if fk.name:
        parts.append(f"name={naming.literal(fk.name)}")
    return "".join(f", {p}" for p in parts)


def _fk_constraint(fk: ForeignKey, by_name: dict[str, Entity]) -> str:
    target = by_name[fk.target_entity]
    local = ", ".join(naming.literal(c) for c in fk.sql_columns)
    remote = ", ".join(_target_spec(target.schema, target.table, c) for c in fk.target_sql_columns)
    return f"sa.ForeignKeyConstraint([{local}], [{remote}]{_fk_options(fk)})"


def _column_line(
    entity: Entity,
    column: Column,
    fk: ForeignKey | None,
    by_name: dict[str, Entity],
    pk_in_order: bool,
) -> Line:
    args: list[str] = []
    if column.attr != column.sql_name or column.sql_name in naming.FORCE_QUOTE:
        args.append(naming.sql_name(column.sql_name))
    args.append(column.sql_type_expr)
    if fk is not None:
        target = by_name[fk.target_entity]
        spec = _target_spec(target.schema, target.table, fk.target_sql_columns[0])
        args.append(f"sa.ForeignKey({spec}{_fk_options(fk)})")
    if column.computed is not None:
        persisted = ""
        if column.computed_persisted is not None:
            persisted = f", persisted={column.computed_persisted}"
        args.append(f"sa.Computed({naming.literal(column.computed)}{persisted})")
    if column.identity is not None:
        args.append("sa.Identity(always=True)" if column.identity == "always" else "sa.Identity()")
    if column.sequence is not None:
        args.append(_sequence(column.sequence, column.sequence_schema))
    if column.primary_key and pk_in_order:
        args.append("primary_key=True")
    if (
        column.primary_key
        and len(entity.primary_key) == 1
        and column.python_type == "int"
        and not column.autoincrement
    ):
        args.append("autoincrement=False")
    if column.server_default is not None and column.computed is None:
        args.append(f"server_default=sa.text({naming.literal(column.server_default)})")
    if column.comment:
        args.append(f"comment={naming.literal(column.comment)}")
    annotation = f"{column.python_type} | None" if column.nullable else column.python_type
    return Line(attr=column.attr, annotation=annotation, arguments=", ".join(args))


def _sequence(name: str, schema: str | None) -> str:
    """`sa.Sequence(...)`: create_all and Alembic create it before the table whose default
    calls it (the `server_default` text stays, so the column's DDL is unchanged)."""
    in_schema = f", schema={naming.literal(schema)}" if schema is not None else ""
    return f"sa.Sequence({naming.literal(name)}{in_schema})"


def _unique_constraints(entity: Entity) -> list[str]:
    index_names = {index.name for index in entity.indexes if index.unique and index.name}
    items = []
    for key in entity.unique_keys:
        if key.is_primary or (key.constraint_name and key.constraint_name in index_names):
            continue
        columns = ", ".join(naming.literal(c) for c in key.sql_columns)
        name = f", name={naming.literal(key.constraint_name)}" if key.constraint_name else ""
        if key.include:
            name += f", postgresql_include={naming.literal(key.include)}"
        if key.nulls_not_distinct:
            name += ", postgresql_nulls_not_distinct=True"
        items.append(f"sa.UniqueConstraint({columns}{name})")
    return items


def _indexes(entity: Entity) -> list[str]:
    by_sql = {c.sql_name for c in entity.columns}
    lines = (index_line(index, by_sql) for index in entity.indexes)
    return [line for line in lines if line is not None]


def _fk_paths(one: Entity, other: Entity) -> int:
    """How many foreign keys join two entities, in either direction."""
    count = sum(1 for fk in one.foreign_keys if fk.target_entity == other.name)
    if one.name != other.name:
        count += sum(1 for fk in other.foreign_keys if fk.target_entity == one.name)
    return count


def _columns_ref(entity_name: str, attrs: tuple[str, ...]) -> str:
    refs = [f"{entity_name}.{attr}" for attr in attrs]
    return naming.literal(refs[0] if len(refs) == 1 else f"[{', '.join(refs)}]")


def _relation_line(entity: Entity, relation: Relation, by_name: dict[str, Entity]) -> Line:
    target = by_name[relation.target]
    args: list[str] = []
    if relation.kind is RelationKind.MANY_TO_MANY:
        association = _association(entity, relation, by_name)
        args.append(f"secondary={association.name}.__table__")
        annotation = f"list[{target.name}]"
    else:
        if relation.kind is RelationKind.MANY_TO_ONE:
            nullable = any(entity.column(a).nullable for a in relation.local)
            annotation = f"{target.name} | None" if nullable else target.name
            fk_owner, fk_attrs = entity, relation.local
        else:
            many = relation.kind is RelationKind.ONE_TO_MANY
            annotation = f"list[{target.name}]" if many else f"{target.name} | None"
            fk_owner, fk_attrs = target, relation.remote
        if _fk_paths(entity, target) > 1:
            args.append(f"foreign_keys={_columns_ref(fk_owner.name, fk_attrs)}")
        if relation.kind is RelationKind.MANY_TO_ONE and target.name == entity.name:
            args.append(f"remote_side={_columns_ref(entity.name, relation.remote)}")
    if relation.back_populates:
        args.append(f"back_populates={naming.literal(relation.back_populates)}")
    return Line(attr=relation.attr, annotation=annotation, arguments=", ".join(args))


def neighbours(entity: Entity, schema: Schema) -> list[str]:
    """The entities whose IR a model's render reads besides its own (its cache key's inputs):
    foreign-key and relationship targets, and every association entity a many-to-many could
    resolve to (`_association` searches them by table)."""
    names = {fk.target_entity for fk in entity.foreign_keys if fk.target_entity}
    names |= {relation.target for relation in entity.relations}
    secondaries = {r.secondary for r in entity.relations if r.kind is RelationKind.MANY_TO_MANY}
    if secondaries:
        names |= {e.name for e in schema.entities if e.table in secondaries}
    return sorted(names)


def _association(entity: Entity, relation: Relation, by_name: dict[str, Entity]) -> Entity:
    wanted = {entity.name, relation.target}
    for candidate in by_name.values():
        if (
            candidate.kind is EntityKind.ASSOCIATION
            and candidate.table == relation.secondary
            and {fk.target_entity for fk in candidate.foreign_keys} == wanted
        ):
            return candidate
    raise KeyError(f"no association table {relation.secondary!r} for {entity.name}")


def _runtime_classes(entity: Entity, by_name: dict[str, Entity]) -> list[Entity]:
    """The association classes a many-to-many needs at run time (`secondary=`)."""
    found = {
        _association(entity, r, by_name).name: _association(entity, r, by_name)
        for r in entity.relations
        if r.kind is RelationKind.MANY_TO_MANY
    }
    return [found[name] for name in sorted(found)]


def _type_checking_lines(entity: Entity, by_name: dict[str, Entity]) -> tuple[str, ...]:
    runtime = {e.name for e in _runtime_classes(entity, by_name)}
    targets = sorted({r.target for r in entity.relations} - {entity.name} - runtime)
    modules = sorted(((by_name[t].names.module, t) for t in targets), key=lambda m: _natural(m[0]))
    return tuple(f"from .{module} import {name}" for module, name in modules)


_DIGITS = re.compile(r"(\d+)")


def _natural(text: str) -> tuple[tuple[int, int, str], ...]:
    """ruff's isort order for module names: case-insensitive, numbers by value."""
    return tuple(
        (1, int(part), "") if part.isdigit() else (0, 0, part.lower())
        for part in _DIGITS.split(text)
        if part
    )


def _candidates(entity: Entity, by_name: dict[str, Entity]) -> list[Import]:
    candidates: list[Import] = [
        ("sqlalchemy", ""),
        ("sqlalchemy.orm", "Mapped"),
        ("sqlalchemy.orm", "mapped_column"),
        ("sqlalchemy.orm", "relationship"),
        ("typing", "TYPE_CHECKING"),
        ("types", "MappingProxyType"),
        (_BASE_MODULE, "Base"),
        (_BASE_MODULE, "ViewBase"),
    ]
    candidates.extend(imp for column in entity.columns for imp in column.imports)
    candidates.extend((f".{e.names.module}", e.name) for e in _runtime_classes(entity, by_name))
    return candidates


def render_model(template: jinja2.Template, entity: Entity, schema: Schema) -> str:
    """The body of `models/<module>.py` (unformatted, without the header)."""
    by_name = {e.name: e for e in schema.entities}
    view = model_view(entity, schema)
    bindings = bind(_candidates(entity, by_name), {("sqlalchemy", ""): "sa"})
    return assemble(template, {"e": entity, "m": view}, bindings)


# --- the package files ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelExport:
    module: str
    name: str


def render_models_file(template: jinja2.Template, schema: Schema) -> str:
    """The body of `models/__init__.py` or `models/_base.py`."""
    exports = sorted(
        (ModelExport(module=e.names.module, name=e.name) for e in schema.entities),
        key=lambda x: _natural(x.module),
    )
    names: Iterable[str] = [*(x.name for x in exports), "Base", "ViewBase"]
    return template.render(
        source=naming.comment_text(schema.source),
        exports=exports,
        all_names=sorted(names, key=all_key),  # ruff's RUF022 order
    )
