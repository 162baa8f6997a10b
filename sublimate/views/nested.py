"""Nested Read DTOs: `OrderReadWithLines(OrderRead)` with `lines: list[OrderLineRead]`.

One class per path of the model's Load enum (see `views.loads`) up to `depth` levels (the
`nested_depth` setting, 1 by default): the path `lines` gives `OrderReadWithLines`, the path
`lines.product` (depth 2) `OrderReadWithLinesProduct`, whose `lines` hold the line module's
`OrderLineReadWithProduct`. So every class a nested field names is the first level of its
target's own, and the enum's rules bound them: a many-to-one straight back is left out (cycles
such as customer -> orders -> customer stop there), and a hub whose second level would pass
`loads.MAX_PATHS` keeps its first. The runtime reads the paths to load off the class's fields
(`sublimate_runtime.nested`): the class is the whole contract.

A to-many relationship is a `list`; a many-to-one is the target's DTO, `| None` when a column of
its foreign key is nullable; a one-to-one from the referenced side is always `| None`. A class
of another module is reached through the DTO package (`_dtos.order_line.OrderLineRead`), as the
Filter's relationship fields are, so modules never import each other.

Names depend only on the model and its paths (allocated in path order among the module's own
class names), so the module that refers to a neighbour's class computes the same name.
"""

from __future__ import annotations

import keyword
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .. import naming
from ..imports import rename_names
from ..ir import Entity, Relation, RelationKind
from .fields import Field
from .loads import MAX_DEPTH, load_paths

__all__ = ["DEFAULT_DEPTH", "NestedRead", "nested_names", "nested_reads"]

DEFAULT_DEPTH = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class NestedRead:
    """One nested Read DTO class: `name(base)` with one relationship field."""

    name: str  # OrderReadWithLines
    base: str  # OrderRead
    field: Field  # lines: list[_dtos.order_line.OrderLineRead]
    path: str  # "lines.product": for the docstring (attribute names: identifiers)


def nested_names(
    entity: Entity, entities: Mapping[str, Entity], depth: int
) -> dict[tuple[str, ...], str]:
    """The class name of each of the entity's nested Read DTOs, by path."""
    n = entity.names
    scope = naming.Scope(reserved={n.create, n.update, n.read, n.filter, n.order, n.key, n.load})
    return {
        path: scope.allocate(naming.nested_read(n.read, path))
        for path in _paths(entity, entities, depth)
    }


def nested_reads(
    entity: Entity,
    entities: Mapping[str, Entity],
    *,
    depth: int,
    package: str,
    renames: Mapping[str, str],
) -> tuple[NestedRead, ...]:
    """The entity's nested Read DTOs, in path order. `package` is the DTO package's bound name
    (see `fields.DtoFields.filter_package`), `renames` the module's shadowed names."""
    names = nested_names(entity, entities, depth)
    relations = {r.attr: r for r in entity.relations}
    reads = []
    for path, name in names.items():
        relation = relations[path[0]]
        target = entities[relation.target]
        if len(path) == 1:
            inner = target.names.read
        else:
            inner = nested_names(target, entities, depth)[path[1:]]
        if target.names.module != entity.names.module:
            if not package:  # no DTO package bound (a view built without the schema's targets)
                continue
            inner = f"{package}.{target.names.module}.{inner}"
        annotation = rename_names(_annotation(entity, relation, inner), renames)
        reads.append(
            NestedRead(
                name=name,
                base=entity.names.read,
                field=Field(attr=relation.attr, annotation=annotation),
                path=".".join(path),
            )
        )
    return tuple(reads)


def _paths(entity: Entity, entities: Mapping[str, Entity], depth: int) -> list[tuple[str, ...]]:
    """The Load paths within `depth` whose every step reaches a generated model, and whose
    first step's attribute is a plain identifier (it becomes a field name)."""
    depth = max(0, min(depth, MAX_DEPTH))
    if not depth:
        return []
    return [
        path
        for path in load_paths(entity, entities)
        if len(path) <= depth and _reaches(entity, path, entities)
    ]


def _reaches(entity: Entity, path: Sequence[str], entities: Mapping[str, Entity]) -> bool:
    source: Entity | None = entity
    for attr in path:
        if source is None or not attr.isidentifier() or keyword.iskeyword(attr):
            return False
        relation = next((r for r in source.relations if r.attr == attr), None)
        if relation is None:
            return False
        source = entities.get(relation.target)
    return source is not None


def _annotation(entity: Entity, relation: Relation, inner: str) -> str:
    if relation.uselist:
        return f"list[{inner}]"
    if relation.kind is RelationKind.MANY_TO_ONE:
        columns = {c.attr: c for c in entity.columns}
        local = [columns.get(attr) for attr in relation.local]
        if local and all(c is not None and not c.nullable for c in local):
            return inner
    return f"{inner} | None"
