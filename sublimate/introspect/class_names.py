"""Class and attribute names of the models generated from a database, and `Built`: the state of
one table while the IR is built from it (`build`, `columns`, `relations`, `unique_keys`).

The models do not exist yet, so every name is chosen here: the class from the table's name
(singular; prefixed with the schema when two schemas share it), each attribute from its column's
name, and neither may take a name the model module itself needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sublimate import naming
from sublimate.introspect.raw import RawTable
from sublimate.ir import Column, EntityKind, ForeignKey, Relation

# Names a generated model's attributes must not take, besides `naming.RESERVED_ATTRS`: what its
# class body uses after them (`sa.Integer()`, `Mapped[datetime.datetime]`, `Mapped[int]`), and
# `self` (the declarative constructor is `__init__(self, **kwargs)`).
MODEL_RESERVED_ATTRS = naming.RESERVED_ATTRS | frozenset(
    {
        "sa", "Mapped", "mapped_column", "relationship", "TYPE_CHECKING", "annotations",
        "datetime", "decimal", "uuid", "typing", "Any", "Literal", "Range", "postgresql",
        "mysql", "sqlite", "int", "str", "float", "bool", "bytes", "list", "dict", "set",
        "tuple", "object", "frozenset", "None", "self",
    }
)  # fmt: skip
MODEL_RESERVED_CLASSES = naming.RESERVED_CLASSES | frozenset(
    {"ViewBase", "Range", "TypeAlias", "MappingProxyType"}
)


@dataclass(slots=True)
class Built:
    """One table on its way to an `Entity`: filled in step by step, hence not frozen."""

    raw: RawTable
    name: str  # class name
    attrs: dict[str, str]  # sql column name -> attr
    scope: naming.Scope  # the class body's names (columns, then relationships)
    columns: tuple[Column, ...] = ()
    kind: EntityKind = EntityKind.TABLE
    relations: list[Relation] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)


def allocate_classes(ordered: Sequence[RawTable]) -> list[Built]:
    """Class names: the table's, singular; prefixed with the schema when two schemas share it."""
    wanted = {(t.schema, t.name): naming.class_name(t.name) for t in ordered}
    counts: dict[str, int] = {}
    for name in wanted.values():
        counts[name] = counts.get(name, 0) + 1
    scope = naming.Scope(reserved=MODEL_RESERVED_CLASSES)
    result = []
    for table in ordered:
        name = wanted[(table.schema, table.name)]
        if counts[name] > 1 and table.schema is not None:
            name = naming.class_name(f"{table.schema}_{table.name}")
        if name in MODEL_RESERVED_CLASSES:
            name = f"{name}Model"
        attrs_scope = naming.Scope(reserved=MODEL_RESERVED_ATTRS)
        attrs = {
            column["name"]: attrs_scope.allocate(attribute(column["name"]))
            for column in table.columns
        }
        result.append(Built(raw=table, name=scope.allocate(name), attrs=attrs, scope=attrs_scope))
    return result


def attribute(sql_name: str) -> str:
    """`naming.attribute_name`, with `_` after a name the model's class body needs (`bytes_`)."""
    name = naming.attribute_name(sql_name)
    return f"{name}_" if name in MODEL_RESERVED_ATTRS else name
