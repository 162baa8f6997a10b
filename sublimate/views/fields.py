"""The fields of an entity's DTOs, as the DTO module prints them (annotations, defaults, checks).

A DTO field named like a type its class body reads (`str`, `Decimal`, `UNSET`...) would shadow
it: `dto_renames` imports those names under other names first.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .. import naming
from ..bounds import NO_NUL, int_bounds
from ..imports import rename_names, used_names
from ..ir import Column, Entity, FilterKind, Relation

_BUILTIN_TYPES = frozenset({"str", "int", "float", "bool", "bytes", "dict", "list", "tuple"})

_FILTERS = {
    (FilterKind.EQUALITY, False): "EqFilter[{t}]",
    (FilterKind.EQUALITY, True): "NullableEqFilter[{t}]",
    (FilterKind.RANGE, False): "RangeFilter[{t}]",
    (FilterKind.RANGE, True): "NullableRangeFilter[{t}]",
    (FilterKind.TEXT, False): "TextFilter",
    (FilterKind.TEXT, True): "NullableTextFilter",
}
FILTER_NAMES = (
    "EqFilter",
    "NullableEqFilter",
    "RangeFilter",
    "NullableRangeFilter",
    "TextFilter",
    "NullableTextFilter",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Field:
    attr: str
    annotation: str
    default: str = ""  # " = UNSET", " = None" or ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadGuard:
    """A column the model types as optional though it is NOT NULL: checked before the Read DTO."""

    attr: str
    message: str  # a literal


@dataclass(frozen=True, slots=True, kw_only=True)
class DtoFields:
    """Everything the DTO module prints per field."""

    create_fields: tuple[Field, ...]
    update_fields: tuple[Field, ...]
    update_attrs: tuple[str, ...]  # the Update DTO's fields: what `update` may write
    read_fields: tuple[Field, ...]
    read_guards: tuple[ReadGuard, ...]
    filter_fields: tuple[Field, ...]
    create_checks: tuple[str, ...]  # statements for <M>Create.__post_init__
    update_checks: tuple[str, ...]
    filter_checks: tuple[str, ...]  # statements for <M>Filter.__post_init__
    # The name the DTO package is bound to when the Filter reads a sibling module's Filter
    # (`from .. import dtos as _dtos`), else "".
    filter_package: str
    dto_renames: tuple[tuple[str, str], ...]  # bound name -> alias, for the DTO module's imports
    # dto = "pydantic": the checks run in an after-validator, `@<validator>(mode="after")`
    # returning `<self_type>` (the names as the module binds them).
    validator: str = "model_validator"
    self_type: str = "Self"


# The bounded types the runtime names (sublimate_runtime.dto, and .pydantic_dto for pydantic),
# by the annotation introspection spells out: `Int64` instead of `Annotated[int, Meta(ge=...)]`
# in every Create/Update/Filter field keeps the lines short (nothing for the formatter to
# re-wrap) and mypy's work small.
_DTO_ALIASES = {
    **{
        f"Annotated[int, Meta({', '.join(int_bounds((-(2**b), 2**b - 1)))})]": f"Int{b + 1}"
        for b in (15, 31, 63)
    },
    f"Annotated[str, Meta(pattern={naming.literal(NO_NUL)})]": "Text",
    "Annotated[datetime.datetime, Meta(tz=False)]": "NaiveDateTime",
    "Annotated[datetime.datetime, Meta(tz=True)]": "AwareDateTime",
}
DTO_ALIAS_NAMES = ("AwareDateTime", "Int16", "Int32", "Int64", "NaiveDateTime", "Text")
_BOUNDED_TEXT = re.compile(
    rf"Annotated\[str, Meta\(max_length=(\d+), pattern={re.escape(naming.literal(NO_NUL))}\)\]"
)


def dto_type(column: Column) -> str:
    """The column's DTO annotation, a bounded type the runtime names by its name."""
    alias = _DTO_ALIASES.get(column.dto_type)
    if alias is not None:
        return alias
    bounded = _BOUNDED_TEXT.fullmatch(column.dto_type)
    if bounded is not None:
        return f"Annotated[Text, Meta(max_length={bounded[1]})]"
    return column.dto_type


FilterTargets = Mapping[str, tuple[str, str]]
"""Entity name -> (DTO module stem, Filter class): where a relationship field's type lives."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _FilterTree:
    """A Filter's relationship and combinator fields, named (see naming.filter_tree_fields)."""

    relations: tuple[tuple[Relation, str], ...]  # (relation, field name), targets generated
    combinators: dict[str, str]  # wire name -> field name

    @property
    def attrs(self) -> set[str]:
        return {name for _, name in self.relations} | set(self.combinators.values())


def dto_fields(
    entity: Entity,
    dto_bound: frozenset[str],
    targets: FilterTargets | None = None,
    dto: str = "msgspec",
) -> DtoFields:
    """`targets` locates the Filters of related entities; a relationship whose target is not
    among them gets no field. `dto` the library ("msgspec" or "pydantic"): the same fields, but
    a renamed wire name is spelled its way."""
    targets = targets or {}
    tree = _filter_tree(entity, targets)
    renames = dto_renames(entity, dto_bound, tree.attrs)
    package = _filter_package(entity, tree, targets, dto_bound | set(renames.values()))
    updatable = [c for c in entity.columns if not c.primary_key and not c.server_generated]
    filtered = [c for c in entity.columns if c.filter_kind is not FilterKind.NONE]
    own = _pydantic_names(entity, tree, dto)
    aliased = functools.partial(_aliased, names=own, renames=renames)
    return DtoFields(
        create_fields=tuple(
            aliased(_create_field(c, renames)) for c in entity.columns if not c.server_generated
        ),
        update_fields=tuple(aliased(_unset_field(c, renames)) for c in updatable),
        update_attrs=tuple(c.attr for c in updatable),
        read_fields=tuple(
            aliased(Field(attr=c.attr, annotation=_rename(optional(c), renames)))
            for c in entity.columns
        ),
        read_guards=tuple(
            ReadGuard(attr=c.attr, message=naming.literal(f"{c.attr} is None: not flushed yet"))
            for c in entity.columns
            if c.declared_optional
        ),
        filter_fields=tuple(
            aliased(f)
            for f in (
                *(_filter_field(c, renames) for c in filtered),
                *_tree_fields(entity, tree, targets, package, renames, dto),
            )
        ),
        create_checks=tuple(
            _decimal_check(c, renames, own)
            for c in entity.columns
            if _checked(c) and not c.server_generated
        ),
        update_checks=tuple(_decimal_check(c, renames, own) for c in updatable if _checked(c)),
        filter_checks=(
            *(
                _filter_check(c, renames, own)
                for c in filtered
                if c.python_type == "decimal.Decimal"
            ),
            f"{_rename('check_filter_tree', renames)}(self)",
        ),
        filter_package=package,
        dto_renames=tuple(sorted(renames.items())),
        validator=_rename("model_validator", renames),
        self_type=_rename("Self", renames),
    )


def _pydantic_names(entity: Entity, tree: _FilterTree, dto: str) -> dict[str, str]:
    """dto = "pydantic": attribute -> DTO field name, for the names pydantic reserves (columns
    and the Filter's relationship fields; see naming.pydantic_field_names)."""
    if dto != "pydantic":
        return {}
    attrs = [c.attr for c in entity.columns] + [name for _, name in tree.relations]
    return naming.pydantic_field_names(attrs, tree.combinators.values())


def nested_field(entity: Entity, field: Field, renames: Mapping[str, str], dto: str) -> Field:
    """dto = "pydantic": a nested Read's relationship field (`schema: SchemaRead`), renamed as
    the Read's column fields are when pydantic reserves its name, apart from them."""
    if dto != "pydantic":
        return field
    columns = [c.attr for c in entity.columns]
    taken = [*columns, *naming.pydantic_field_names(columns).values()]
    names = naming.pydantic_field_names([field.attr], taken)
    return _aliased(field, names=names, renames=dict(renames))


def _aliased(field: Field, *, names: Mapping[str, str], renames: dict[str, str]) -> Field:
    """``field`` under its pydantic name, its attribute kept as the alias (wire name, constructor
    keyword, what the runtime maps back to the model: pydantic_dto.model_names)."""
    name = names.get(field.attr)
    if name is None:
        return field
    value = field.default.removeprefix(" = ")
    default = f"default={value}, " if value else ""
    call = _rename("Field", renames)
    alias = naming.literal(field.attr)
    return Field(
        attr=name, annotation=field.annotation, default=f" = {call}({default}alias={alias})"
    )


@functools.lru_cache(maxsize=4096)
def _type_names(annotation: str) -> frozenset[str]:
    """The names a type annotation reads; a schema repeats a handful of annotations."""
    return frozenset(used_names(annotation))


def dto_renames(
    entity: Entity, bound_names: frozenset[str], tree_attrs: set[str] | None = None
) -> dict[str, str]:
    """Names a DTO field would shadow inside its class body, and what to import them as.

    Only names used in the class bodies' annotations and defaults matter (a class's bases are
    evaluated in the module scope, where a field name shadows nothing). `tree_attrs` are the
    Filter's relationship and combinator fields.
    """
    attrs = {column.attr for column in entity.columns} | (tree_attrs or set())
    in_bodies = {"UNSET", "UnsetType", "None", "check_decimal", "check_decimal_filter"}
    in_bodies |= {"check_filter_tree", "field", "list"}  # the Filter's tree fields
    in_bodies |= {"Annotated", "Field", "model_validator", "Self"}  # dto = "pydantic"
    in_bodies |= set(FILTER_NAMES)
    for column in entity.columns:
        in_bodies |= _type_names(column.python_type) | _type_names(dto_type(column))
    taken = naming.Scope(attrs | bound_names)
    renames: dict[str, str] = {}
    for name in sorted((bound_names | _BUILTIN_TYPES) & attrs & in_bodies):
        if name in _BUILTIN_TYPES:
            renames[name] = f"builtins.{name}"
        else:
            renames[name] = taken.allocate(f"{name}_")
    if "builtins" in attrs and any(v.startswith("builtins.") for v in renames.values()):
        renames = {k: v.replace("builtins.", "builtins_.") for k, v in renames.items()}
        renames["builtins"] = "builtins_"
    return renames


def optional(column: Column, *, dto: bool = False) -> str:
    base = dto_type(column) if dto else column.python_type
    return f"{base} | None" if column.nullable else base


def _checked(column: Column) -> bool:
    """Decimal columns with a known precision: msgspec cannot bound a Decimal, so we check."""
    return column.python_type == "decimal.Decimal" and column.precision is not None


def _decimal_check(
    column: Column, renames: dict[str, str], own: Mapping[str, str] | None = None
) -> str:
    call = _rename("check_decimal", renames)
    label = naming.literal(column.attr)
    attr = (own or {}).get(column.attr, column.attr)
    return f"{call}(self.{attr}, {label}, {column.precision}, {column.scale or 0})"


def _filter_check(
    column: Column, renames: dict[str, str], own: Mapping[str, str] | None = None
) -> str:
    """A Decimal filter's values must be finite and fit the column: msgspec cannot bound them."""
    call = _rename("check_decimal_filter", renames)
    label = naming.literal(column.attr)
    attr = (own or {}).get(column.attr, column.attr)
    return f"{call}(self.{attr}, {label}, {column.precision}, {column.scale})"


def _rename(annotation: str, renames: dict[str, str]) -> str:
    return rename_names(annotation, renames)


def _create_field(column: Column, renames: dict[str, str]) -> Field:
    annotation = optional(column, dto=True)
    if column.has_default:
        return _unset_field(column, renames)
    if column.nullable:
        return Field(attr=column.attr, annotation=_rename(annotation, renames), default=" = None")
    return Field(attr=column.attr, annotation=_rename(annotation, renames))


def _unset_field(column: Column, renames: dict[str, str]) -> Field:
    none = " | None" if column.nullable else ""
    annotation = _rename(f"{dto_type(column)} | UnsetType{none}", renames)
    return Field(attr=column.attr, annotation=annotation, default=f" = {_rename('UNSET', renames)}")


def _filter_field(column: Column, renames: dict[str, str]) -> Field:
    """The column's filter, over the DTO's bounded type (an int in its SQL range, say)."""
    pattern = _FILTERS[(column.filter_kind, column.nullable)]
    annotation = pattern.format(t=dto_type(column))
    return Field(
        attr=column.attr, annotation=_rename(f"{annotation} | None", renames), default=" = None"
    )


def _filter_tree(entity: Entity, targets: FilterTargets) -> _FilterTree:
    relations = [r for r in entity.relations if r.target in targets]
    related, combinators = naming.filter_tree_fields(
        [c.attr for c in entity.columns], [r.attr for r in relations]
    )
    return _FilterTree(
        relations=tuple((r, related[r.attr]) for r in relations), combinators=combinators
    )


def sibling_modules(entity: Entity, targets: FilterTargets) -> set[str]:
    """The other DTO modules whose Filters `entity`'s relationship fields hold."""
    wanted = {targets[r.target][0] for r in entity.relations if r.target in targets}
    return wanted - {entity.names.module}


def _filter_package(
    entity: Entity, tree: _FilterTree, targets: FilterTargets, bound: set[str] | frozenset[str]
) -> str:
    """The DTO package's bound name, when the relationship fields read a sibling module."""
    if not sibling_modules(entity, targets):
        return ""
    n = entity.names
    taken = {c.attr for c in entity.columns} | tree.attrs | set(bound)
    taken |= {n.create, n.update, n.read, n.filter, n.order, n.key}
    return naming.dtos_package_alias(taken)


def _tree_fields(
    entity: Entity,
    tree: _FilterTree,
    targets: FilterTargets,
    package: str,
    renames: dict[str, str],
    dto: str,
) -> list[Field]:
    """One field per relationship (the target's Filter: EXISTS of its conditions), then
    `and_`/`or_`/`not_` (this Filter again), wire names as the runtime reads them."""
    fields = []
    for relation, name in tree.relations:
        module, filter_class = targets[relation.target]
        own_module = module == entity.names.module
        annotation = filter_class if own_module else f"{package}.{module}.{filter_class}"
        fields.append(_optional_field(name, relation.attr, annotation, renames, dto))
    own = entity.names.filter
    for wire, name in tree.combinators.items():
        annotation = own if wire == "not" else f"list[{own}]"
        fields.append(_optional_field(name, wire, annotation, renames, dto))
    return fields


def _optional_field(
    name: str, wire: str, annotation: str, renames: dict[str, str], dto: str
) -> Field:
    default = " = None"
    wire_name = naming.literal(wire)
    if wire != name and dto == "pydantic":
        # "and" on the wire and in every schema (Litestar's reads `alias`), in the annotation:
        # a type checker reads a default's `alias=` as the keyword, which `and` cannot be.
        call = _rename("Field", renames)
        optional = _rename(f"{annotation} | None", renames)
        annotated = f"{_rename('Annotated', renames)}[{optional}, {call}(alias={wire_name})]"
        return Field(attr=name, annotation=annotated, default=default)
    if wire != name:
        default = f" = {_rename('field', renames)}(default=None, name={wire_name})"
    return Field(attr=name, annotation=_rename(f"{annotation} | None", renames), default=default)
