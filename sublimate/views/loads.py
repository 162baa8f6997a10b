"""The `<M>Load` enum: the relationship paths a repository read may load (`load=`).

A path is a chain of relationship attributes (`orders`, `orders.lines`), up to `MAX_DEPTH`
levels. A many-to-one straight back along the relationship just taken (`orders.customer` from
a customer) is left out: its rows are the ones already loaded, and the runtime's
`raiseload(..., sql_only=True)` resolves such a many-to-one from the identity map without SQL.
Other cycles (`customer.orders` from an order: the customer's other orders; `parent.parent`,
`children.children`) are kept, up to the depth.

The second level reads the relationships of the models the first one reaches (the DTO module's
render reads its neighbours: see `outputs.py`). A hub table with many relationships would list
hundreds of paths, so the second level is kept only while the enum stays within `MAX_PATHS`
members: else the enum holds the first level only (every path of a level or none, so a member
never appears or disappears because a sibling was added elsewhere in that level).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .. import naming
from ..ir import Entity, Relation, RelationKind

__all__ = ["MAX_DEPTH", "MAX_PATHS", "LoadMember", "has_load", "load_members", "load_paths"]

MAX_DEPTH = 2
MAX_PATHS = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadMember:
    member: str
    value: str  # a literal: the dotted path


def has_load(entity: Entity) -> bool:
    """Whether the entity has a Load enum (the package exports it then)."""
    return any(map(_loadable, entity.relations))


def load_members(entity: Entity, entities: Mapping[str, Entity]) -> tuple[LoadMember, ...]:
    """The members of the entity's Load enum, by path; empty without relationships."""
    scope = naming.Scope()
    return tuple(
        LoadMember(
            member=scope.allocate(naming.load_member(path)),
            value=naming.literal(".".join(path)),
        )
        for path in load_paths(entity, entities)
    )


def load_paths(entity: Entity, entities: Mapping[str, Entity]) -> list[tuple[str, ...]]:
    """The paths of the entity's Load enum, sorted (the nested Read DTOs follow them too)."""
    first = [r for r in entity.relations if _loadable(r)]
    levels: list[list[tuple[str, ...]]] = [[(r.attr,) for r in first]]
    frontier: list[tuple[Entity, Relation, tuple[str, ...]]]
    frontier = [(entity, r, (r.attr,)) for r in first]
    for _ in range(MAX_DEPTH - 1):
        deeper: list[tuple[Entity, Relation, tuple[str, ...]]] = []
        for source, relation, path in frontier:
            target = entities.get(relation.target)
            if target is None:
                continue
            for step in target.relations:
                if _loadable(step) and not _reverses(source, relation, step):
                    deeper.append((target, step, (*path, step.attr)))
        if sum(map(len, levels)) + len(deeper) > MAX_PATHS:
            break
        levels.append([path for _, _, path in deeper])
        frontier = deeper
    return sorted(path for level in levels for path in level)


def _loadable(relation: Relation) -> bool:
    """A relationship whose attribute holds a dot (one set by hand on a mapper) would make its
    path ambiguous: it is left out of the enum (a read cannot name it)."""
    return "." not in relation.attr


def _reverses(source: Entity, taken: Relation, step: Relation) -> bool:
    """Whether `step` is the many-to-one straight back along `taken` (to the row it came from)."""
    if step.target != source.name or step.kind is not RelationKind.MANY_TO_ONE:
        return False
    return taken.back_populates == step.attr or step.back_populates == taken.attr
