"""Per-entity view: the code fragments the DTO, repository, service and controller templates
print, built from the IR before rendering.

Templates only print. Anything that needs a decision (which parameter name a key column gets,
which DTO field is required, which runtime base a repository extends) is made here, in Python,
where it can be tested, using `naming` for every identifier and literal.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, replace

from .. import naming
from ..ir import Entity, EntityKind
from ..outputs import user_module_path
from .fields import (
    FILTER_NAMES,
    DtoFields,
    Field,
    FilterTargets,
    ReadGuard,
    dto_fields,
    nested_field,
)
from .keys import Getter, KeyView, key_view
from .loads import LoadMember, load_members
from .nested import DEFAULT_DEPTH, NestedRead, nested_reads

__all__ = ["FILTER_NAMES", "EntityView", "Field", "Getter", "ReadGuard", "build"]

# Black does not touch docstrings: a docstring line that holds names is re-wrapped when it would be
# longer than the templates' own text (100 columns, the lint line length of generated_example and
# of the tests).
_DOC_WIDTH = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderMember:
    member: str
    value: str  # a literal


@dataclass(frozen=True, slots=True, kw_only=True)
class EntityView:
    doc_name: str
    model: str  # the model's name in generated modules (aliased when it collides)
    where_alias: str
    order_alias: str
    to_read_fn: str
    keys: KeyView
    dto: DtoFields
    order_members: tuple[OrderMember, ...]
    # The Load enum (see views.loads): its members, and its name where the model has
    # relationships (None: no enum, and the repository reads take only `load=None`).
    load_members: tuple[LoadMember, ...]
    load_type: str | None
    # The nested Read DTOs (see views.nested): one per Load path up to the depth.
    nested: tuple[NestedRead, ...]
    # What the printed getters (`get`, `get_by_<key>`) take after the key, and pass on after
    # it: `, *, include_deleted: bool = False, load: Load[CustomerLoad] = None`.
    read_options: str
    read_args: str
    # The repository module (see templates/repository.py.jinja): its RepositorySpec constant,
    # the runtime base its classes extend and that base's type arguments.
    spec_name: str
    orderable_attrs: tuple[str, ...]
    repository_base: str
    repository_params: str
    by_id: bool  # the base has the key-specific methods too (see _keyed_by_id)
    # No method of its own: the repository class body is `pass` (its spec comes from the type
    # arguments, see sublimate_runtime.type_args).
    repository_empty: bool
    repository_doc: str  # the module docstring, one line: the source and the runtime base
    service_doc: str  # the same for the service module, and where to extend it
    dto_doc: str  # the same for the DTO module

    @staticmethod
    def lit(value: object) -> str:
        return naming.literal(value)

    @staticmethod
    def doc(text: str, indent: int) -> str:
        """Docstring text that holds names: as written when each line fits, else re-wrapped.

        `text` is a line or a paragraph of a template (its own indentation is dropped); the
        lines after the first are indented by `indent`, as the template's first line is.
        """
        lines = [line.strip() for line in text.strip().splitlines()]
        if any(indent + len(line) > _DOC_WIDTH for line in lines):
            lines = _wrap(" ".join(lines), _DOC_WIDTH - indent)
        return ("\n" + " " * indent).join(lines)


def shape_entries(view: EntityView) -> list[tuple[str, str, bool]]:
    """The `SHAPES` dict of a controller or router module: (key literal, nested Read DTO,
    split). `split` when `key: Name,` would pass the templates' width: the template then puts
    the name in parentheses on a line of its own, which black and ruff keep (neither can break
    a name, and both keep the parentheses a long line needs)."""
    entries = []
    for nested in view.nested:
        key = naming.literal(nested.path)
        entries.append((key, nested.name, len(f"    {key}: {nested.name},") > _DOC_WIDTH))
    return entries


def build(
    entity: Entity,
    *,
    module_names: frozenset[str],
    dto_bound: frozenset[str],
    filter_targets: FilterTargets | None = None,
    entities: Mapping[str, Entity] | None = None,
    nested_depth: int = DEFAULT_DEPTH,
    dto: str = "msgspec",
) -> EntityView:
    """The view of one entity; `module_names` are the names repository/service modules bind,
    `filter_targets` where the Filters of related entities are (see fields.dto_fields),
    `entities` the schema's by name (the Load enum's second level reads its neighbours')."""
    if entity.column_ref is not None:
        module_names |= {entity.column_ref[1]}
    model = naming.model_binding(entity.name, module_names)
    names = entity.names
    keys = key_view(entity, module_names)
    by_id = _keyed_by_id(entity, keys)
    params = [model, names.filter, names.order]
    if by_id and entity.writable:
        params += [names.update, names.key, keys.pk_key_type]
    elif by_id:
        params.append(keys.pk_key_type)
    members = load_members(entity, entities or {})
    dto_view = dto_fields(entity, dto_bound, filter_targets, dto)
    load_type = names.load if members else None
    if load_type is not None:
        params.append(load_type)  # the bases' last type parameter (default: no Load enum)
    return EntityView(
        doc_name=_doc_name(entity),
        model=model,
        where_alias=names.where,
        order_alias=names.order_by,
        to_read_fn=names.to_read,
        keys=keys,
        dto=dto_view,
        order_members=_order_members(entity),
        load_members=members,
        load_type=load_type,
        nested=tuple(
            replace(n, field=nested_field(entity, n.field, dict(dto_view.dto_renames), dto))
            for n in nested_reads(
                entity,
                entities or {},
                depth=nested_depth,
                package=dto_view.filter_package,
                renames=dict(dto_view.dto_renames),
            )
        ),
        read_options=_read_options(entity, load_type),
        read_args=_read_args(entity, load_type),
        spec_name=naming.SPEC,
        orderable_attrs=tuple(c.attr for c in entity.columns if c.orderable),
        repository_base=("Id" if by_id else "") + _repository_base(entity),
        repository_params=", ".join(params),
        by_id=by_id,
        repository_empty=not (
            (entity.primary_key and not by_id)
            or keys.unique_getters
            or (entity.writable and (entity.version_column or not by_id))
        ),
        repository_doc=_repository_doc(entity, by_id),
        dto_doc=f'"""Source: {_source(entity)}. {dto} DTOs: what crosses the API boundary."""',
        service_doc=f'"""Source: {_source(entity)}. {_custom(entity)}"""',
    )


def _order_members(entity: Entity) -> tuple[OrderMember, ...]:
    """The Order enum: `EMAIL = "email"`, `EMAIL_DESC = "-email"` per orderable column."""
    scope = naming.Scope()
    members = []
    for column in entity.columns:
        if not column.orderable:
            continue
        member = scope.allocate(naming.upper(column.attr))
        descending = scope.allocate(f"{member}_DESC")
        members.append(OrderMember(member=member, value=naming.literal(column.attr)))
        members.append(OrderMember(member=descending, value=naming.literal(f"-{column.attr}")))
    return tuple(members)


def _read_options(entity: Entity, load_type: str | None) -> str:
    """The keyword-only options of the printed getters, after the key."""
    options = []
    if entity.soft_delete_column:
        options.append("include_deleted: bool = False")
    if load_type is not None:
        options.append(f"load: Load[{load_type}] = None")
    return f", *, {', '.join(options)}" if options else ""


def _read_args(entity: Entity, load_type: str | None) -> str:
    """What the printed getters pass to the runtime's `_get`/`_get_by` after the key
    (positional: include_deleted, then load)."""
    soft = "include_deleted" if entity.soft_delete_column else "False"
    if load_type is not None:
        return f", {soft}, load"
    return ", include_deleted" if entity.soft_delete_column else ""


def _repository_base(entity: Entity) -> str:
    """The sublimate_runtime class the repositories extend (the async one is `Async` + it)."""
    if not entity.primary_key:
        return "ReadRepository"
    if not entity.writable:
        return "KeyedReadRepository"
    return "SoftDeleteRepository" if entity.soft_delete_column else "Repository"


def _keyed_by_id(entity: Entity, keys: KeyView) -> bool:
    """Whether the runtime's `Id...` base can carry the key-specific methods: a one-column
    primary key whose attribute and parameter are `id`, and (writable) whose key name, the
    default `on` of upserts, is `id` too. Then the generated classes print only the getters of
    the other unique keys (and a versioned `update`)."""
    pk = entity.pk_columns
    if len(pk) != 1 or pk[0].attr != "id" or keys.pk_args != "id":
        return False
    return not entity.writable or keys.default_conflict == "id"


def _repository_doc(entity: Entity, by_id: bool) -> str:
    """The repository module's docstring: what it reads (a view is read-only), and the runtime
    base whose methods are the rest (the header comment already names the model)."""
    base = ("Id" if by_id else "") + _repository_base(entity)
    return f'"""Source: {_source(entity)}. Every other method is sublimate_runtime.{base}\'s."""'


def _custom(entity: Entity) -> str:
    """Where the service module's docstring sends a reader who wants to extend it (the same
    words whether the user module exists yet or not: extending a model changes no generated
    module but the package's `__init__`)."""
    return (
        f"Extend these use cases in {user_module_path(entity)}"
        f" (`sublimate extend {entity.name}` writes it)."
    )


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False)


def _doc_name(entity: Entity) -> str:
    """What a module docstring's `Source:` line names; on two lines when it would be long."""
    table = _source(entity)
    model = f"(model {naming.comment_text(entity.source, limit=60)})"
    one_line = f"{table} {model}"
    return one_line if len(f"Source: {one_line}.") <= _DOC_WIDTH else f"{table}\n{model}"


def _source(entity: Entity) -> str:
    """`table "customers"` or `view "sensor_totals"`: what a module docstring says it is from."""
    kind = "view" if entity.kind is EntityKind.VIEW else "table"
    return f'{kind} "{naming.comment_text(entity.table, limit=60)}"'
