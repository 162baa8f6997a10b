"""Per-entity view: the code fragments a template prints, built from the IR before rendering.

Templates only print. Anything that needs a decision (which parameter name a key column gets,
how a composite key is compared, which DTO field is required) is made here, in Python, where it
can be tested, using `naming` for every identifier and literal.
"""

from __future__ import annotations

import builtins
import functools
import textwrap
from dataclasses import dataclass

from . import naming
from .imports import rename_names, used_names
from .ir import Column, Entity, EntityKind, FilterKind

# Names a repository or service method body binds or reads besides its parameters: a key column's
# parameter must not shadow them. Comprehension variables do not count (they have their own
# scope). Module-level names of those modules are added by the renderer.
METHOD_LOCALS = frozenset(
    {
        "self", "session", "instance", "instances", "statement", "values", "result", "returning",
        "rows", "keys", "conditions", "found", "after", "last", "cursor", "limit", "where",
        "order_by", "offset", "changes", "on", "dialect", "conflict", "updated", "reselect",
        "matching", "data", "items", "total", "names", "columns", "wanted", "by_key",
        "inner", "include_deleted", "expected_version", "load", "probe", "written",
    }
)  # fmt: skip

# Black cannot split a dict display's `key: value` entry: one that holds names and could be longer
# than this gets its value in parentheses, which the formatter splits when it has to (79 is the
# narrowest line length in common use). Nor does it touch docstrings: a docstring line that holds
# names is re-wrapped when it would be longer than the templates' own text (100 columns, the lint
# line length of generated_example and of the tests).
_FITS = 79
_DOC_WIDTH = 100

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
    column: str = ""  # "Customer.email", for filters


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderMember:
    member: str
    value: str  # a literal
    expression: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Getter:
    method: str
    params: str
    where: str
    label: str
    name: str  # the unique key's name (a ModelCache key)
    values: str  # "(email,)": the looked-up values as a tuple


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadGuard:
    """A column the model types as optional though it is NOT NULL: checked before the Read DTO."""

    attr: str
    message: str  # a literal


@dataclass(frozen=True, slots=True, kw_only=True)
class EntityView:
    doc_name: str
    model: str
    where_alias: str
    order_alias: str
    conditions_fn: str
    to_read_fn: str
    pk_params: str
    pk_args: str
    pk_get_arg: str
    pk_key_dict: str
    pk_where: str
    pk_order: str
    pk_tuple_type: str
    pk_after: str
    pk_cursor_values: str
    pk_key_type: str
    pk_in: str
    pk_from_row: str
    pk_ident: str  # "(id,)": the key as a tuple (ModelCache identity)
    pk_of_instance: str  # "instance.id" or "(instance.a, instance.b)", as `keys` holds it
    cache_keys: str  # ModelCache unique_keys: {"email": ("email",)}
    version_ref: str  # "Product.version" when the model has optimistic locking, else ""
    version_attr: str
    deleted_ref: str  # "Customer.deleted_at" when the model soft-deletes, else ""
    deleted_attr: str
    exists_column: str
    default_order: str  # a tuple expression
    column_attrs: tuple[str, ...]
    unique_getters: tuple[Getter, ...]
    key_specs: tuple[str, ...]
    key_literals: str
    default_conflict: str
    order_members: tuple[OrderMember, ...]
    filter_fields: tuple[Field, ...]
    create_fields: tuple[Field, ...]
    update_fields: tuple[Field, ...]
    update_attrs: tuple[str, ...]  # the Update DTO's fields: what `update` may write
    read_fields: tuple[Field, ...]
    read_guards: tuple[ReadGuard, ...]
    create_checks: tuple[str, ...]  # statements for <M>Create.__post_init__
    update_checks: tuple[str, ...]
    filter_checks: tuple[str, ...]  # statements for <M>Filter.__post_init__
    sql_names: tuple[tuple[str, str], ...]  # ('"attr"', '"sql name"'): _SQL_NAMES entries
    conflict_keys: tuple[tuple[str, str], ...]  # ('"key"', "_KEYS[0]"): _CONFLICT_KEYS entries
    dto_renames: tuple[tuple[str, str], ...]  # bound name -> alias, for the DTO module's imports
    put_conflict: str = ""  # the key the Litestar PUT upserts on (see upsert_defaults)
    # The service upsert's `on` parameter, printed whole: `on: <M>Key = "id"`, or `on: <M>Key`
    # without a default when the primary key is not part of <M>Create (see upsert_defaults).
    service_on: str = ""

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
            lines = textwrap.wrap(
                " ".join(lines),
                width=_DOC_WIDTH - indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
        return ("\n" + " " * indent).join(lines)


@functools.lru_cache(maxsize=4096)
def _type_names(annotation: str) -> frozenset[str]:
    """The names a type annotation reads; a schema repeats a handful of annotations."""
    return frozenset(used_names(annotation))


def dto_renames(entity: Entity, bound_names: frozenset[str]) -> dict[str, str]:
    """Names a DTO field would shadow inside its class body, and what to import them as.

    Only names used in the class bodies' annotations and defaults matter (a class's bases are
    evaluated in the module scope, where a field name shadows nothing).
    """
    attrs = {column.attr for column in entity.columns}
    in_bodies = {"UNSET", "UnsetType", "None", "check_decimal", "check_decimal_filter"}
    in_bodies |= set(FILTER_NAMES)
    for column in entity.columns:
        in_bodies |= _type_names(column.python_type) | _type_names(column.dto_type)
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


def build(entity: Entity, *, module_names: frozenset[str], dto_bound: frozenset[str]) -> EntityView:
    """The view of one entity; `module_names` are the names repository/service modules bind."""
    if entity.column_ref is not None:
        module_names |= {entity.column_ref[1]}
    model = entity.name if entity.name not in module_names else f"{entity.name}Model"

    def column(attr: str) -> str:
        """The column expression of a model attribute: `Customer.email` or `col(Hero.name)`."""
        if entity.column_ref is None:
            return f"{model}.{attr}"
        return f"{entity.column_ref[1]}({model}.{attr})"

    renames = dto_renames(entity, dto_bound)
    params = naming.Scope(reserved=METHOD_LOCALS | module_names | set(dir(builtins)) - {"id"})
    param_of = {
        c.attr: params.allocate(c.attr if c.attr not in params else f"{c.attr}_")
        for c in entity.columns
    }
    pk = entity.pk_columns
    names = [param_of[c.attr] for c in pk]
    single = len(pk) == 1
    ref = [column(c.attr) for c in pk]
    types = [c.python_type for c in pk]
    key_getters = []
    for key in entity.unique_keys:
        if key.is_primary:
            continue
        columns = [entity.column(attr) for attr in key.columns]
        key_getters.append(
            Getter(
                method=f"get_by_{key.name}",
                params=", ".join(f"{param_of[c.attr]}: {_optional(c)}" for c in columns),
                where=", ".join(f"{column(c.attr)} == {param_of[c.attr]}" for c in columns),
                label=naming.comment_text(" and ".join(key.columns)),
                name=key.name,
                values=_tuple_expr([param_of[c.attr] for c in columns]),
            )
        )
    default_conflict, put_conflict = upsert_defaults(entity)
    order_scope = naming.Scope()
    order_members = []
    for c in entity.columns:
        if not c.orderable:
            continue
        member = order_scope.allocate(naming.upper(c.attr))
        descending = order_scope.allocate(f"{member}_DESC")
        expression = column(c.attr)
        for name, value, direction in (
            (member, c.attr, "asc"),
            (descending, f"-{c.attr}", "desc"),
        ):
            order_members.append(
                OrderMember(
                    member=name,
                    value=naming.literal(value),
                    expression=_dict_value(naming.literal(value), f"{expression}.{direction}()"),
                )
            )
    first = column((pk or entity.columns)[0].attr)
    updatable = [c for c in entity.columns if not c.primary_key and not c.server_generated]
    return EntityView(
        doc_name=_doc_name(entity),
        model=model,
        where_alias=f"{entity.name}Where",
        order_alias=f"{entity.name}OrderBy",
        conditions_fn=f"{entity.names.module}_conditions",
        to_read_fn=f"{entity.names.module}_to_read",
        pk_params=", ".join(f"{n}: {t}" for n, t in zip(names, types, strict=True)),
        pk_args=", ".join(names),
        pk_get_arg=names[0] if single else f"({', '.join(names)})",
        pk_key_dict="{"
        + ", ".join(
            f"{naming.literal(c.attr)}: {_dict_value(naming.literal(c.attr), n, indent=20)}"
            for c, n in zip(pk, names, strict=True)
        )
        + "}",
        pk_where=", ".join(f"{r} == {n}" for r, n in zip(ref, names, strict=True)),
        pk_order=", ".join(ref),
        # The cursor's type is bounded as the DTO fields are: a tampered cursor is an
        # InvalidCursorError, not a value the database refuses.
        pk_tuple_type=f"tuple[{', '.join(c.dto_type for c in pk)}]" if pk else "tuple[()]",
        pk_after=(
            f"{ref[0]} > after[0]" if single else f"tuple_({', '.join(ref)}) > tuple_(*after)"
        ),
        pk_cursor_values="(" + "".join(f"last.{c.attr}, " for c in pk).rstrip(" ") + ")",
        pk_key_type=types[0] if single else f"tuple[{', '.join(types)}]",
        pk_in=(f"{ref[0]}.in_(keys)" if single else f"tuple_({', '.join(ref)}).in_(keys)"),
        pk_from_row=(
            f"row[{naming.literal(pk[0].attr)}]"
            if single
            else "(" + ", ".join(f"row[{naming.literal(c.attr)}]" for c in pk) + ")"
        ),
        pk_ident=_tuple_expr(names) if pk else "()",
        pk_of_instance=(
            f"instance.{pk[0].attr}"
            if single
            else "(" + ", ".join(f"instance.{c.attr}" for c in pk) + ")"
        ),
        cache_keys="{"
        + ", ".join(
            f"{naming.literal(k.name)}: {naming.literal(k.columns)}"
            for k in entity.unique_keys
            if not k.is_primary
        )
        + "}",
        version_ref=column(entity.version_column) if entity.version_column else "",
        version_attr=entity.version_column or "",
        deleted_ref=column(entity.soft_delete_column) if entity.soft_delete_column else "",
        deleted_attr=entity.soft_delete_column or "",
        exists_column=first,
        default_order=_tuple_expr([f"{r}.asc()" for r in (ref or [first])]),
        column_attrs=tuple(c.attr for c in entity.columns),
        unique_getters=tuple(key_getters),
        key_specs=tuple(
            f"UniqueKeySpec(constraint_name={naming.literal(k.constraint_name)}, "
            f"columns={naming.literal(k.columns)}, sql_columns={naming.literal(k.sql_columns)}"
            + (", primary=True)" if k.is_primary else ")")
            for k in entity.unique_keys
        ),
        key_literals=", ".join(naming.literal(k.name) for k in entity.unique_keys),
        default_conflict=default_conflict,
        order_members=tuple(order_members),
        filter_fields=tuple(
            _filter_field(column(c.attr), c, renames)
            for c in entity.columns
            if c.filter_kind is not FilterKind.NONE
        ),
        create_fields=tuple(
            _create_field(c, renames) for c in entity.columns if not c.server_generated
        ),
        update_fields=tuple(_unset_field(c, renames) for c in updatable),
        update_attrs=tuple(c.attr for c in updatable),
        create_checks=tuple(
            _decimal_check(c, renames)
            for c in entity.columns
            if _checked(c) and not c.server_generated
        ),
        update_checks=tuple(
            _decimal_check(c, renames)
            for c in entity.columns
            if _checked(c) and not c.primary_key and not c.server_generated
        ),
        filter_checks=tuple(
            _filter_check(c, renames)
            for c in entity.columns
            if c.python_type == "decimal.Decimal" and c.filter_kind is not FilterKind.NONE
        ),
        read_fields=tuple(
            Field(attr=c.attr, annotation=_rename(_optional(c), renames)) for c in entity.columns
        ),
        read_guards=tuple(
            ReadGuard(
                attr=c.attr,
                message=naming.literal(f"{c.attr} is None: not flushed yet"),
            )
            for c in entity.columns
            if c.declared_optional
        ),
        sql_names=tuple(
            _dict_entry(naming.literal(c.attr), naming.literal(c.sql_name)) for c in entity.columns
        ),
        conflict_keys=tuple(
            _dict_entry(naming.literal(k.name), f"_KEYS[{i}]")
            for i, k in enumerate(entity.unique_keys)
        ),
        dto_renames=tuple(sorted(renames.items())),
        put_conflict=put_conflict,
        service_on=_service_on(entity, default_conflict),
    )


def upsert_defaults(entity: Entity) -> tuple[str, str]:
    """The default `on` of `upsert`/`upsert_many`, and the key the Litestar PUT upserts on.

    The default is the primary key, always: adding a unique key to a table must not change what
    an existing `upsert(data)` call matches on (it once moved from `id` to a new `slug` key
    without a word). Upserting on a natural key is explicit: `upsert(data, on="email")`. The
    PUT route takes a Create DTO, which leaves a surrogate key out, so it names its key in the
    generated code: the first unique key other than the primary key (by name), else the primary
    key. Tables without a primary key are read-only: no upsert, both are "".
    """
    keys = entity.unique_keys
    primary = next((k.name for k in keys if k.is_primary), keys[0].name if keys else "")
    natural = next((k.name for k in keys if not k.is_primary), primary)
    return primary, natural


def _service_on(entity: Entity, default_conflict: str) -> str:
    """The service upsert takes a <M>Create, which leaves server-generated key columns out: an
    upsert on such a primary key could never match a row and would always insert. So `on` has a
    default only when <M>Create carries every primary-key column; otherwise the caller names the
    key (`upsert(data, on="email")`), and adding a unique key still changes nothing."""
    annotation = f"on: {entity.names.key}"
    if entity.primary_key and not any(c.server_generated for c in entity.pk_columns):
        return f"{annotation} = {naming.literal(default_conflict)}"
    return annotation


def _doc_name(entity: Entity) -> str:
    """What a module docstring's `Source:` line names; on two lines when it would be long."""
    kind = "view" if entity.kind is EntityKind.VIEW else "table"
    table = f'{kind} "{naming.comment_text(entity.table, limit=60)}"'
    model = f"(model {naming.comment_text(entity.source, limit=60)})"
    one_line = f"{table} {model}"
    return one_line if len(f"Source: {one_line}.") <= _DOC_WIDTH else f"{table}\n{model}"


def _dict_entry(key: str, value: str) -> tuple[str, str]:
    return key, _dict_value(key, value)


def _dict_value(key: str, value: str, *, indent: int = 4) -> str:
    """A dict entry's value, parenthesized when `key: value,` could be too long to fit."""
    return value if indent + len(f"{key}: {value},") <= _FITS else f"({value})"


def _checked(column: Column) -> bool:
    """Decimal columns with a known precision: msgspec cannot bound a Decimal, so we check."""
    return column.python_type == "decimal.Decimal" and column.precision is not None


def _decimal_check(column: Column, renames: dict[str, str]) -> str:
    call = _rename("check_decimal", renames)
    label = naming.literal(column.attr)
    return f"{call}(self.{column.attr}, {label}, {column.precision}, {column.scale or 0})"


def _filter_check(column: Column, renames: dict[str, str]) -> str:
    """A Decimal filter's values must be finite and fit the column: msgspec cannot bound them."""
    call = _rename("check_decimal_filter", renames)
    label = naming.literal(column.attr)
    return f"{call}(self.{column.attr}, {label}, {column.precision}, {column.scale})"


def _tuple_expr(items: list[str]) -> str:
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def _rename(annotation: str, renames: dict[str, str]) -> str:
    return rename_names(annotation, renames)


def _optional(column: Column, *, dto: bool = False) -> str:
    base = column.dto_type if dto else column.python_type
    return f"{base} | None" if column.nullable else base


def _create_field(column: Column, renames: dict[str, str]) -> Field:
    annotation = _optional(column, dto=True)
    if column.has_default:
        return _unset_field(column, renames)
    if column.nullable:
        return Field(attr=column.attr, annotation=_rename(annotation, renames), default=" = None")
    return Field(attr=column.attr, annotation=_rename(annotation, renames))


def _unset_field(column: Column, renames: dict[str, str]) -> Field:
    none = " | None" if column.nullable else ""
    annotation = _rename(f"{column.dto_type} | UnsetType{none}", renames)
    return Field(attr=column.attr, annotation=annotation, default=f" = {_rename('UNSET', renames)}")


def _filter_field(expression: str, column: Column, renames: dict[str, str]) -> Field:
    """The column's filter, over the DTO's bounded type (an int in its SQL range, say)."""
    pattern = _FILTERS[(column.filter_kind, column.nullable)]
    annotation = pattern.format(t=column.dto_type)
    return Field(attr=column.attr, annotation=_rename(annotation, renames), column=expression)
