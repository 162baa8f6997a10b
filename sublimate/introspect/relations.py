"""Foreign keys and the relationships they give, on both sides, between generated tables.

A foreign key to a table that is not generated (excluded, a view, or in a schema not read) is
kept in the IR but not in the model, with a warning. A table made only of two foreign keys to two
different tables is an association table: both ends get a many-to-many relationship through it;
with more columns it is an ordinary entity (an association object) with a relationship to each
end. Names are allocated in a fixed order: many-to-one names first, on every entity, so that
they win over inverse names.
"""

from __future__ import annotations

from collections.abc import Sequence

from sublimate import naming
from sublimate.introspect.class_names import Built, attribute
from sublimate.introspect.unique_keys import is_unique
from sublimate.ir import Diagnostic, EntityKind, ForeignKey, Relation, RelationKind

_ByTable = dict[tuple[str | None, str], Built]
# (source, its foreign key, target, the many-to-one attr, the stem its inverse name may use)
_ManyToOne = tuple[Built, ForeignKey, Built, str, str]


def foreign_keys(built: Built, by_table: _ByTable, notes: list[Diagnostic]) -> list[ForeignKey]:
    """The table's foreign keys, sorted; `target_entity` is "" for a target not generated."""
    raw = built.raw
    result = []
    for fk in raw.foreign_keys:
        local = [c for c in fk["constrained_columns"] if c in built.attrs]
        if len(local) != len(fk["constrained_columns"]) or not local:
            continue
        referred_schema = fk.get("referred_schema")
        target = by_table.get((referred_schema, fk["referred_table"]))
        if target is not None and target.raw.is_view:
            target = None
        if target is not None and not all(c in target.attrs for c in fk["referred_columns"]):
            target = None
        if target is None:
            spec = ".".join(filter(None, (referred_schema, fk["referred_table"])))
            notes.append(
                Diagnostic(
                    where=f"{raw.qualified}.{local[0]}",
                    message=f"foreign key to {spec}, which is not generated: left out of the model",
                )
            )
        options = fk.get("options") or {}
        result.append(
            ForeignKey(
                name=fk.get("name"),
                columns=tuple(built.attrs[c] for c in local),
                sql_columns=tuple(local),
                target_entity=target.name if target is not None else "",
                target_table=fk["referred_table"],
                target_schema=referred_schema,
                target_sql_columns=tuple(fk["referred_columns"]),
                ondelete=options.get("ondelete"),
                onupdate=options.get("onupdate"),
            )
        )
    return sorted(result, key=lambda f: (f.columns, f.name or ""))


def is_association(built: Built) -> bool:
    """Two foreign keys to two different generated tables, and no other column."""
    fks = built.foreign_keys
    if built.raw.is_view or len(fks) != 2 or not all(fk.target_entity for fk in fks):
        return False
    if fks[0].target_entity == fks[1].target_entity:
        return False
    covered = {c for fk in fks for c in fk.sql_columns}
    return covered == set(built.attrs) and len(covered) == sum(len(fk.sql_columns) for fk in fks)


def relations(built: Sequence[Built]) -> None:
    """Relationships on both sides of every foreign key between generated tables."""
    by_name = {b.name: b for b in built}
    for source, fk, target, attr, stem in _many_to_one_names(built, by_name):
        _link(source, fk, target, attr, stem)
    _many_to_many(built, by_name)


def _many_to_one_names(built: Sequence[Built], by_name: dict[str, Built]) -> list[_ManyToOne]:
    """The many-to-one attribute of every foreign key, allocated before any inverse name."""
    pending: list[_ManyToOne] = []
    for source in built:
        if source.kind is EntityKind.ASSOCIATION or source.raw.is_view:
            continue
        for fk in source.foreign_keys:
            if not fk.target_entity:
                continue
            target = by_name[fk.target_entity]
            stem = _stem(fk, target)
            wanted = stem
            if stem in source.attrs.values():
                wanted = f"{stem}_{naming.snake(target.name)}"
            attr = source.scope.allocate(attribute(wanted))
            pending.append((source, fk, target, attr, stem))
    return pending


def _stem(fk: ForeignKey, target: Built) -> str:
    """The many-to-one name a foreign key suggests: `artist_id` / `ArtistId` -> `artist`."""
    if len(fk.sql_columns) == 1:
        name = naming.snake(fk.sql_columns[0])
        for suffix in ("_id", "_fk", "_key"):
            if name.endswith(suffix) and len(name) > len(suffix):
                return name[: -len(suffix)]
        return name
    return naming.snake(target.name)


def _link(source: Built, fk: ForeignKey, target: Built, attr: str, stem: str) -> None:
    """The many-to-one `attr` on `source` and its inverse on `target` (one-to-one when the
    foreign key's columns are unique)."""
    siblings = [f for f in source.foreign_keys if f.target_entity == target.name]
    one_to_one = is_unique(source, fk.columns)
    base = naming.snake(source.name)
    if one_to_one:
        wanted = base
    elif len(siblings) == 1 and source is not target:
        wanted = naming.plural(base)
    else:
        wanted = f"{naming.plural(base)}_by_{stem}"
    inverse = target.scope.allocate(attribute(wanted))
    target_columns = tuple(target.attrs[c] for c in fk.target_sql_columns)
    source.relations.append(
        Relation(
            attr=attr,
            target=target.name,
            kind=RelationKind.MANY_TO_ONE,
            local=fk.columns,
            remote=target_columns,
            secondary=None,
            back_populates=inverse,
            uselist=False,
        )
    )
    target.relations.append(
        Relation(
            attr=inverse,
            target=source.name,
            kind=RelationKind.ONE_TO_ONE if one_to_one else RelationKind.ONE_TO_MANY,
            local=target_columns,
            remote=fk.columns,
            secondary=None,
            back_populates=attr,
            uselist=not one_to_one,
        )
    )


def _many_to_many(built: Sequence[Built], by_name: dict[str, Built]) -> None:
    """Through each association table, a many-to-many relationship on both ends (named after
    the association too when two associations join the same pair)."""
    pairs: dict[frozenset[str], int] = {}
    associations = [b for b in built if b.kind is EntityKind.ASSOCIATION]
    for association in associations:
        key = frozenset(fk.target_entity for fk in association.foreign_keys)
        pairs[key] = pairs.get(key, 0) + 1
    for association in associations:
        first, second = association.foreign_keys
        ends = [(first, second), (second, first)]
        names = []
        for mine, theirs in ends:
            owner, other = by_name[mine.target_entity], by_name[theirs.target_entity]
            wanted = naming.plural(naming.snake(other.name))
            if pairs[frozenset((owner.name, other.name))] > 1:
                wanted = f"{wanted}_via_{naming.snake(association.name)}"
            names.append(owner.scope.allocate(attribute(wanted)))
        for (mine, theirs), attr, back in zip(ends, names, reversed(names), strict=True):
            owner, other = by_name[mine.target_entity], by_name[theirs.target_entity]
            owner.relations.append(
                Relation(
                    attr=attr,
                    target=other.name,
                    kind=RelationKind.MANY_TO_MANY,
                    local=tuple(owner.attrs[c] for c in mine.target_sql_columns),
                    remote=tuple(other.attrs[c] for c in theirs.target_sql_columns),
                    secondary=association.raw.name,
                    back_populates=back,
                    uselist=True,
                )
            )
