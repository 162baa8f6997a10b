"""The factory modules and the pytest fixtures of `factories = true`: what
`templates/factories/` print.

A factory derives each column of `<M>Create` from a sequence number through
`sublimate_runtime.factory_values`; the choice of function per column is made here, from the IR:

- a column with a default, or a nullable one, is left to its default (UNSET, None) unless it is
  part of a unique key or unique index, whose columns are always derived (each derived value is
  distinct per sequence number, so no unique key collides);
- `Literal[...]` types (CHECK IN lists, enums read from a database) and enum classes cycle
  through their values; other CHECK constraints are not read (see factory_values);
- a foreign key column comes from its parent (a given row, else one the factory creates when it
  is NOT NULL: `sublimate_runtime.factories.Parent`);
- a NOT NULL column of a type no function fits (`Any` that is not JSON, a MONEY or a PostGIS
  type) must be given: the factory names it in a `FactoryError`;
- a unique key whose derived values run out (a TINYINT key, a unique column with a CHECK IN
  list, a `VARCHAR(2)`) becomes a `Capacity` of the factory (see `capacities`): asking for more
  rows than it holds is refused before anything is inserted.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import jinja2

from .. import naming
from ..imports import assemble, bind, rename_names
from ..introspect.check_sql import check_values
from ..ir import Column, Entity, FactoryNames, ForeignKey, Import, RelationKind, Schema
from ..ruff_order import all_key, member_key, module_key
from ..sessions import Flavours
from .entity import _doc_name
from .fields import dto_renames

RUNTIME = "sublimate_runtime"
VALUES = "factory_values"  # the module the expressions call, bound under this name

# python_type -> the expression deriving it (`{n}`: the sequence number), for the simple types.
_SIMPLE = {
    "float": "{v}.real(n)",
    "bool": "{v}.flag(n)",
    "datetime.date": "{v}.day(n)",
    "datetime.timedelta": "{v}.span(n)",
    "uuid.UUID": "{v}.uuid(n)",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldLine:
    """One field of `<M>Fields` and, for a column, its argument in the Create call."""

    name: str  # the field: a column's attribute, or the relationship taking a parent row
    annotation: str
    attr: str = ""  # the Create DTO's field ("" for a parent row's keyword)
    value: str = ""  # the expression the Create call passes


@dataclass(frozen=True, slots=True, kw_only=True)
class ParentLine:
    """A `Parent(...)` spec, printed once per flavour (the factory class names differ)."""

    arguments: str  # everything but `factory=`
    module: str  # the parent's factory module ("" when the target is not generated)
    factory: str
    async_factory: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FactoryView:
    names: FactoryNames
    model: str  # the bound name of the model class
    fields: tuple[FieldLine, ...]
    parents: tuple[ParentLine, ...]
    required: str  # a literal tuple of the fields that must be given, "" when none
    capacities: str  # a tuple of `Capacity(...)` calls, "" when no key runs out
    source: str  # the module docstring's `Source:` (table and model)


class _Names:
    """The schema's factory names (naming.factory_names), allocated once per schema: every
    factory module and the package files read them, and each allocation walks all entities."""

    def __init__(self) -> None:
        self._for: tuple[Entity, ...] = ()
        self._names: dict[str, FactoryNames] = {}

    def __call__(self, schema: Schema) -> dict[str, FactoryNames]:
        if schema.entities is not self._for:
            self._names = naming.factory_names(schema.entities)
            self._for = schema.entities
        return self._names


names_of = _Names()


def unique_attrs(entity: Entity) -> frozenset[str]:
    """The attributes in a unique key or a (non-partial) unique index: always derived."""
    attrs = {attr for key in entity.unique_keys for attr in key.columns}
    by_sql = {c.sql_name: c.attr for c in entity.columns}
    for index in entity.indexes:
        if index.unique and index.where is None:
            attrs |= {by_sql[name] for name in index.columns if name in by_sql}
    return frozenset(attrs)


# PostgreSQL's spelling of `CHECK (c IN ('a', 'b'))` on a varchar, as it reports it back:
# `((c)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))`.
_ANY_CHECK = re.compile(
    r"""^\(*\s*(?P<column>"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\s*\)?(?:::[a-z ]+)?"""
    r"""\s*=\s*ANY\s*\(\s*\(?\s*ARRAY\s*\[(?P<values>.*?)\]\s*\)?(?:::[a-z \[\]]+)?\s*\)\s*\)*$""",
    re.IGNORECASE | re.DOTALL,
)
_ANY_VALUE = re.compile(
    r"\s*(?:'(?P<text>(?:[^']|'')*)'(?:::[a-z ]+)?|(?P<number>-?\d+))\s*(?:,|$)", re.IGNORECASE
)


def check_options(entity: Entity) -> dict[str, tuple[str | int, ...]]:
    """attr -> the values a CHECK IN list allows, for the checks the column's type does not
    carry already (PostgreSQL's `= ANY (ARRAY[...])` form of a varchar's IN list)."""
    by_sql = {c.sql_name: c.attr for c in entity.columns}
    found: dict[str, tuple[str | int, ...]] = {}
    for check in entity.checks:
        parsed = check_values(check.sqltext) or _any_values(check.sqltext)
        if parsed is not None and parsed[0] in by_sql:
            found[by_sql[parsed[0]]] = parsed[1]
    return found


def _any_values(sqltext: str) -> tuple[str, tuple[str | int, ...]] | None:
    match = _ANY_CHECK.match(sqltext)
    if match is None:
        return None
    column = match["column"]
    if column.startswith('"'):
        column = column[1:-1].replace('""', '"')
    text, position = match["values"], 0
    values: list[str | int] = []
    while position < len(text):
        item = _ANY_VALUE.match(text, position)
        if item is None or item.end() == position:
            return None
        found = item["text"]
        values.append(found.replace("''", "'") if found is not None else int(item["number"]))
        position = item.end()
    return (column, tuple(values)) if values else None


def derived(
    column: Column,
    values: str = VALUES,
    options: tuple[str | int, ...] | None = None,
    unique: bool = False,
) -> str | None:
    """The expression deriving a value of `column` from `n`; None when no function fits.
    `options`: the values a CHECK IN list allows it (see check_options); `unique`: the column is
    in a unique key (an integer one then takes its type's values below 1 too, before wrapping)."""
    kind = column.python_type
    texts = options is not None and all(isinstance(o, str) for o in options)
    if options and kind in ("str", "int") and texts == (kind == "str"):
        return f"{values}.choice(n, {naming.literal(options)})"
    if kind in _SIMPLE:
        return _SIMPLE[kind].format(v=values)
    if kind == "str":
        if column.pattern is not None:  # a UUID stored as text
            return f"{values}.uuid_text(n)"
        stem = naming.literal(column.attr[:12])
        return f"{values}.text(n, {column.max_length}, {stem})"
    if kind == "int":
        if unique and column.int_range is not None and column.int_range[0] < 1:
            low, high = column.int_range
            return f"{values}.integer(n, {high}, {low})"
        largest = column.int_range[1] if column.int_range else None
        return f"{values}.integer(n, {largest})"
    if kind == "decimal.Decimal":
        return f"{values}.decimal(n, {column.precision}, {column.scale})"
    if kind in ("datetime.datetime", "datetime.time"):
        function = "moment" if kind == "datetime.datetime" else "clock"
        return f"{values}.{function}(n, {'tz=True' in column.dto_type})"
    if kind == "bytes":
        return f"{values}.binary(n, {column.max_length})"
    if kind.startswith("dict[") or (kind == "Any" and "JSON" in column.sql_type.upper()):
        return f"{values}.document(n)"
    if kind.startswith("list["):
        return "[]"
    if kind.startswith("set["):
        return "set()"
    options = _literal_values(kind)
    if options is not None:
        return f"cast({kind}, {values}.choice(n, {naming.literal(options)}))"
    if column.enum is not None and kind.isidentifier():
        return f"{values}.choice(n, list({kind}))"
    return None


_UNBOUNDED = 2**31 - 1  # a key holding this many rows is not worth a Capacity: none runs out


def domain(
    column: Column, options: tuple[str | int, ...] | None = None, unique: bool = False
) -> tuple[int, str] | None:
    """How many distinct values `derived` (same arguments) gives `column` before wrapping, and
    why, or None when it does not wrap within 2**31 values (or is not derived). An integer key
    the database counts (AUTO_INCREMENT, identity) holds its type's positive values."""
    kind, sql = column.python_type, column.sql_type
    count: int | None = None
    why = sql
    if column.server_generated:
        if kind == "int" and column.primary_key and column.int_range is not None:
            count, why = column.int_range[1], f"{sql} counted by the database from 1"
    elif derived(column, options=options, unique=unique) is None:
        return None
    elif options and derived(column, VALUES, options, unique) != derived(column, unique=unique):
        count, why = len(options), f"CHECK IN list of {len(options)}"
    elif (literal := _literal_values(kind)) is not None:
        count, why = len(literal), f"{len(literal)} values"
    elif kind == "bool":
        count = 2
    elif kind == "int" and column.int_range is not None:
        low, high = column.int_range
        count = high - low + 1 if unique and low < 1 else high
    elif kind in ("str", "bytes") and column.pattern is None and column.max_length is not None:
        count = 36 ** min(column.max_length, 7)  # base-36 codes cut to the length
    elif kind == "decimal.Decimal" and column.precision is not None:
        count = 10 ** min(column.precision, 10) - 1
    else:
        count = {"datetime.date": 36500, "datetime.time": 86400, "float": 2**20 - 1}.get(kind)
    return (count, why) if count is not None and 0 < count < _UNBOUNDED else None


def capacities(entity: Entity) -> str:
    """The `Capacity(...)` of each unique key (and unique index) all of whose columns hold a
    bounded number of values: their product; "" when no key runs out. A key with a foreign
    key column is left to the parent's capacity."""
    options = check_options(entity)
    by_sql = {c.sql_name: c.attr for c in entity.columns}
    keys = [key.columns for key in entity.unique_keys]
    for index in entity.indexes:
        usable = index.unique and index.where is None and not index.expressions
        if usable and all(name in by_sql for name in index.columns):
            keys.append(tuple(by_sql[name] for name in index.columns))
    foreign = {attr for fk in entity.foreign_keys for attr in fk.columns}
    found: dict[tuple[str, ...], str] = {}
    for key in keys:
        if not key or key in found or any(attr in foreign for attr in key):
            continue
        rows, whys = 1, []
        for attr in key:
            column = entity.column(attr)
            bounded = domain(column, options.get(attr), unique=True)
            if bounded is None:
                break
            rows *= bounded[0]
            whys.append(f"{column.sql_name}: {bounded[1]}" if len(key) > 1 else bounded[1])
        else:
            if rows < _UNBOUNDED:
                found[key] = (
                    f"Capacity(columns={naming.literal(key)}, rows={rows},"
                    f" why={naming.literal(', '.join(whys))})"
                )
    if not found:
        return ""
    return "(" + " ".join(f"{call}," for call in found.values()) + ")"


def _literal_values(annotation: str) -> tuple[str | int | bool, ...] | None:
    """The values of a `Literal[...]` annotation, or None for any other annotation."""
    try:
        tree = ast.parse(annotation, mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(tree, ast.Subscript) and ast.unparse(tree.value) == "Literal"):
        return None
    elements = tree.slice.elts if isinstance(tree.slice, ast.Tuple) else [tree.slice]
    values = [
        e.value
        for e in elements
        if isinstance(e, ast.Constant) and isinstance(e.value, str | int | bool)
    ]
    if len(values) != len(elements) or not values:
        return None
    return tuple(values)


def _parent_name(entity: Entity, fk: ForeignKey) -> str:
    """The relationship that holds this foreign key's parent row, "" when the model has none."""
    to_one = (RelationKind.MANY_TO_ONE, RelationKind.ONE_TO_ONE)
    for relation in entity.relations:
        if (
            relation.kind in to_one
            and not relation.uselist
            and relation.target == fk.target_entity
            and set(relation.local) == set(fk.columns)
        ):
            return relation.attr
    return ""


def _defaulted(column: Column) -> bool:
    """A nullable foreign-key column with a server default other than NULL (`status_id ...
    DEFAULT 0`): a None there is read as "the default" (SQLAlchemy leaves the column out of the
    INSERT), a key no empty test database holds, so the factory fills it from a parent row, one
    for a whole `create_many` batch (as the default would have been one key for them all)."""
    default = (column.server_default or "").strip().strip("()'\"").upper()
    return column.nullable and default not in ("", "NULL")


def _parent(
    entity: Entity,
    fk: ForeignKey,
    targets: Mapping[str, Entity],
    factory_names: Mapping[str, FactoryNames],
) -> ParentLine:
    target = targets.get(fk.target_entity)
    by_sql = {c.sql_name: c.attr for c in target.columns} if target else {}
    keys = tuple(by_sql.get(name, name) for name in fk.target_sql_columns)
    columns = [entity.column(attr) for attr in fk.columns]
    not_null = any(not column.nullable for column in columns)
    shared = not not_null and any(_defaulted(column) for column in columns)
    arguments = (
        f"name={naming.literal(_parent_name(entity, fk))},"
        f" columns={naming.literal(fk.columns)}, keys={naming.literal(keys)},"
        f" required={not_null or shared}" + (", shared=True" if shared else "")
    )
    if target is None or not target.writable:
        return ParentLine(arguments=arguments, module="", factory="", async_factory="")
    names = factory_names[target.name]
    return ParentLine(
        arguments=arguments,
        module=target.names.module,
        factory=names.factory,
        async_factory=names.async_factory,
    )


def _model_bindings(
    entity: Entity, names: FactoryNames, parents: Sequence[Entity]
) -> dict[str, str]:
    """The name each model a factory module imports (its own, its parents') is bound to: its
    own, unless the module binds that name for something else; the aliases are allocated
    after the models that keep their names (`Parent` -> `ParentModel_2` when a model
    `ParentModel` is imported too)."""
    module = naming.FACTORY_MODULE_BOUND | {names.fields, names.values, names.factory}
    module |= {names.async_factory, entity.names.create, entity.names.repository}
    module |= {entity.names.async_repository}
    models = sorted({entity.name, *(parent.name for parent in parents)})
    taken = set(module) | {model for model in models if model not in module}
    bindings: dict[str, str] = {}
    for model in models:
        bindings[model] = model if model not in module else naming.model_binding(model, taken)
        taken.add(bindings[model])
    return bindings


def build(
    entity: Entity, targets: Mapping[str, Entity], factory_names: Mapping[str, FactoryNames]
) -> tuple[FactoryView, list[Import], dict[Import, str]]:
    """The view of one entity's factory module, the imports its body may read, and the names
    some of them are bound to (a model named like a name the module binds otherwise)."""
    names = factory_names[entity.name]
    parent_models = [
        target
        for fk in entity.foreign_keys
        if _parent_name(entity, fk) and (target := targets.get(fk.target_entity)) is not None
    ]
    bound = _model_bindings(entity, names, parent_models)
    aliases: dict[Import, str] = {}
    model = bound[entity.name]
    if model != entity.name:
        aliases[entity.model_import] = model
    imports: list[Import] = [entity.model_import]
    foreign = {attr for fk in entity.foreign_keys for attr in fk.columns}
    unique = unique_attrs(entity)
    options = check_options(entity)
    lines: list[FieldLine] = []
    required: list[str] = []
    for column in entity.columns:
        if column.server_generated:
            continue
        imports.extend(column.imports)
        annotation = f"{column.python_type} | None" if column.nullable else column.python_type
        key = naming.literal(column.attr)
        access = _access(column, key, column.attr in foreign, column.attr in unique, options)
        if access == f"fields[{key}]" and column.attr not in foreign:
            required.append(column.attr)
        lines.append(
            FieldLine(name=column.attr, annotation=annotation, attr=column.attr, value=access)
        )
    parents = [_parent(entity, fk, targets, factory_names) for fk in entity.foreign_keys]
    for fk in entity.foreign_keys:
        name = _parent_name(entity, fk)
        target = targets.get(fk.target_entity)
        if name and target is not None:
            if bound[target.name] != target.name:
                aliases[target.model_import] = bound[target.name]
            imports.append(target.model_import)
            lines.append(FieldLine(name=name, annotation=bound[target.name]))
    view = FactoryView(
        names=names,
        model=model,
        fields=tuple(lines),
        parents=tuple(parents),
        required=naming.literal(tuple(required)) if required else "",
        capacities=capacities(entity),
        source=_doc_name(entity),
    )
    return view, imports, aliases


def _access(
    column: Column,
    key: str,
    foreign: bool,
    unique: bool,
    options: Mapping[str, tuple[str | int, ...]],
) -> str:
    """What the Create call passes for a column: the given value, else its derived value, its
    default (UNSET, None), or (a NOT NULL column no function fits) the given value only."""
    if foreign:  # filled from the parent before the call when NOT NULL
        return f"fields.get({key})" if column.nullable else f"fields[{key}]"
    value = derived(column, options=options.get(column.attr), unique=unique)
    if value is not None and (unique or not (column.has_default or column.nullable)):
        return f"fields.get({key}, {value})"
    if column.has_default:
        return f"fields.get({key}, UNSET)"
    return f"fields.get({key})" if column.nullable else f"fields[{key}]"


def render(
    template: jinja2.Template,
    entity: Entity,
    schema: Schema,
    flavours: Flavours,
    first_party: frozenset[str],
) -> str:
    """One entity's factory module (`factories/<module>.py`)."""
    targets = {e.name: e for e in schema.entities}
    view, imports, aliases = build(entity, targets, names_of(schema))
    module = entity.names.module
    candidates: list[Import] = [
        *imports,
        ("typing", "TypedDict"),
        ("typing", "Unpack"),
        ("typing", "cast"),
        ("typing", "Any"),
        ("builtins", ""),
        (RUNTIME, VALUES),
        (RUNTIME, "UNSET"),
        (f"{RUNTIME}.factories", "AsyncFactory"),
        (f"{RUNTIME}.factories", "Capacity"),
        (f"{RUNTIME}.factories", "Factory"),
        (f"{RUNTIME}.factories", "Parent"),
        (f"..dtos.{module}", entity.names.create),
        (f"..repositories.{module}", entity.names.repository),
        (f"..repositories.{module}", entity.names.async_repository),
    ]
    view, renamed = _unshadowed(entity, view, candidates)
    for module_, name in candidates:
        if (name or module_) in renamed:
            aliases[(module_, name)] = renamed[name or module_]
    bindings = bind(candidates, aliases)
    context = {"e": entity, "f": view, "flavours": flavours}
    return assemble(template, context, bindings, first_party)


def _unshadowed(
    entity: Entity, view: FactoryView, candidates: list[Import]
) -> tuple[FactoryView, dict[str, str]]:
    """The view with the names a `<M>Fields` field would shadow in its class body renamed (a
    column named `datetime` next to a `datetime.date` annotation), and the imports' new names
    (`import datetime as datetime_`), as the DTO modules do (views.fields.dto_renames)."""
    bound = frozenset(name or module for module, name in candidates)
    parents = {line.name for line in view.fields if not line.attr}  # relationship keywords
    renames = dto_renames(entity, bound, parents)
    if not renames:
        return view, {}
    fields = tuple(
        dataclasses.replace(
            line,
            annotation=rename_names(line.annotation, renames),
            value=rename_names(line.value, renames) if line.value else "",
        )
        for line in view.fields
    )
    imported = {k: v for k, v in renames.items() if not v.startswith(("builtins.", "builtins_."))}
    if any(v.startswith("builtins_.") for v in renames.values()):
        imported["builtins"] = "builtins_"
    return dataclasses.replace(view, fields=fields), imported


URL_VARIABLE = "SUBLIMATE_TEST_URL"  # where the fixtures' engine finds its database


def _factories(schema: Schema, flavours: Flavours) -> list[tuple[str, list[str]]]:
    """(module, factory classes printed) per writable entity."""
    found = []
    for entity in schema.entities:
        if entity.writable:
            names = names_of(schema)[entity.name]
            classes = [names.async_factory] if flavours.has_async else []
            classes += [names.factory] if flavours.has_sync else []
            found.append((entity.names.module, sorted(classes, key=member_key)))
    return found


def render_package(template: jinja2.Template, schema: Schema, flavours: Flavours) -> str:
    """`factories/__init__.py`: every factory class, re-exported."""
    exports = sorted(_factories(schema, flavours), key=lambda x: module_key(x[0]))
    all_names = sorted((n for _, names in exports for n in names), key=all_key)
    return template.render(exports=exports, all_names=all_names)


def render_testing(
    template: jinja2.Template,
    schema: Schema,
    flavours: Flavours,
    package: str,
    first_party: frozenset[str],
) -> str:
    """`testing.py`: the pytest fixtures (sync sessions: the factories of sync classes)."""
    module, name = schema.metadata_import
    taken = {"URL_VARIABLE", "db_engine", "db_session", "pytest", "os", "Iterator", "Engine"}
    taken |= {"Session", "create_engine", "rolled_back", "savepoints_on_sqlite", name}
    scope = naming.Scope(taken)
    fixtures: list[tuple[str, str]] = []
    candidates: list[Import] = [(module, name)]
    if flavours.has_sync:
        for entity in schema.entities:
            if entity.writable:
                names = names_of(schema)[entity.name]
                fixtures.append((scope.allocate(names.fixture), names.factory))
                candidates.append((".factories", names.factory))
    candidates += [
        ("os", ""),
        ("collections.abc", "Iterator"),
        ("pytest", ""),
        ("sqlalchemy", "Engine"),
        ("sqlalchemy.orm", "Session"),
        (RUNTIME, "create_engine"),
        (f"{RUNTIME}.factories", "rolled_back"),
        (f"{RUNTIME}.factories", "savepoints_on_sqlite"),
    ]
    context = {
        "fixtures": fixtures,
        "metadata": schema.metadata_expr,
        "url_variable": URL_VARIABLE,
        "package": package,
        "all_names": sorted(["db_engine", "db_session", *(f for f, _ in fixtures)], key=all_key),
    }
    return assemble(template, context, bind(candidates), first_party)
