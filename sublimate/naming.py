"""Every identifier sublimate generates is made here, and every literal is printed here.

Names from a database are hostile input: any Unicode, spaces, quotes, newlines, keywords, names
that collide after casing (`a-b` next to `a_b`), names that shadow what a generated module imports
(`Base`, `metadata`, `select`). The rules:

- `identifier()` turns any text into a valid Python identifier (NFKC, ASCII where possible,
  never a keyword, never a dunder).
- `Scope` hands out names that are unique in one namespace, seeded with what that namespace
  already binds; a name that had to change still maps to its real SQL name in generated code.
- `literal()` is the only way database text reaches generated code: as a `repr` string literal.
- `comment_text()` makes text safe inside a docstring or comment.
"""

from __future__ import annotations

import functools
import hashlib
import keyword
import re
import unicodedata
from collections.abc import Iterable, Sequence

from sublimate.ir import Entity, EntityNames, FactoryNames

# Names a model class or its attributes must never take: SQLAlchemy's declarative machinery
# and what generated modules import.
RESERVED_ATTRS = frozenset(
    {
        "metadata",
        "registry",
        "query",
        "query_class",
        "type_annotation_map",
        "Base",
    }
)

RESERVED_CLASSES = frozenset(
    {
        "Base",
        "Any",
        "Annotated",
        "Meta",
        "Mapped",
        "Literal",
        "Sequence",
        "Iterable",
        "Session",
        "AsyncSession",
        "UNSET",
        "UnsetType",
        "Struct",
        "Enum",
    }
)

_SOFT_KEYWORDS = frozenset({"match", "case", "type", "_"})
_NOT_IDENT = re.compile(r"[^0-9a-zA-Z_]+")
_WORD_BREAK = re.compile(r"[^0-9a-zA-Z]+")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _ascii_fold(text: str) -> str:
    if text.isascii():
        return text  # NFKD leaves ASCII alone: the common case, without the Unicode tables
    normalized = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in normalized if not unicodedata.combining(ch))
    out = []
    for ch in folded:
        if ch.isascii():
            out.append(ch)
        elif ch.isalnum():
            # Keep a trace of letters ASCII cannot spell, so distinct names stay distinct.
            out.append(f"u{ord(ch):04x}")
        else:
            out.append("_")
    return "".join(out)


@functools.lru_cache(maxsize=1 << 16)  # pure, and called for every name of every table
def identifier(text: str, *, default: str = "field") -> str:
    """Any text as a valid, non-keyword, non-dunder Python identifier (not yet unique)."""
    name = _NOT_IDENT.sub("_", _ascii_fold(text)).strip("_")
    name = re.sub(r"__+", "_", name)
    if not name:
        name = default
    if name[0].isdigit():
        name = f"{default}_{name}" if default else f"n{name}"
    if keyword.iskeyword(name) or name in _SOFT_KEYWORDS:
        name = f"{name}_"
    return name


@functools.lru_cache(maxsize=1 << 16)  # pure, and called for every name of every table
def snake(text: str) -> str:
    """`InvoiceLine`, `invoice-line`, `Invoice Line` -> `invoice_line`."""
    spaced = _CAMEL_BOUNDARY.sub("_", _ascii_fold(text))
    return identifier(spaced.lower(), default="n")


@functools.lru_cache(maxsize=1 << 16)  # pure, and called for every name of every table
def pascal(text: str) -> str:
    """`invoice_line`, `InvoiceLine`, `invoice line` -> `InvoiceLine`."""
    parts = [p for p in _WORD_BREAK.split(_CAMEL_BOUNDARY.sub("_", _ascii_fold(text))) if p]
    name = "".join(p[:1].upper() + p[1:] for p in parts) or "Model"
    if name[0].isdigit():
        name = f"T{name}"
    return name if not keyword.iskeyword(name) else f"{name}_"


def upper(text: str) -> str:
    """An enum member name: `email` -> `EMAIL`."""
    return snake(text).upper().strip("_") or "VALUE"


def load_member(path: Sequence[str]) -> str:
    """A Load enum member: `("orders", "lines")` -> `ORDERS__LINES` (`upper` never yields a
    double underscore, so a level's boundary cannot be mistaken for one inside a name)."""
    return "__".join(upper(attr) for attr in path)


def nested_read(read: str, path: Sequence[str]) -> str:
    """A nested Read DTO: `("lines", "product")` of `OrderRead` -> `OrderReadWithLinesProduct`."""
    return f"{read}With{''.join(pascal(attr) for attr in path)}"


class Scope:
    """Unique names within one namespace (a module, a class body, a function's parameters)."""

    def __init__(self, taken: Iterable[str] = (), *, reserved: Iterable[str] = ()) -> None:
        self._taken: set[str] = set(taken) | set(reserved)

    def take(self, name: str) -> str:
        """Reserve `name` exactly (it must be free): for names the program itself defines."""
        if name in self._taken:
            raise ValueError(f"name {name!r} is already taken in this scope")
        self._taken.add(name)
        return name

    def allocate(self, wanted: str) -> str:
        """`wanted` if free, else `wanted_2`, `wanted_3`, ...; `wanted` must be an identifier."""
        candidate = wanted
        counter = 2
        while candidate in self._taken:
            candidate = f"{wanted}_{counter}"
            counter += 1
        self._taken.add(candidate)
        return candidate

    def __contains__(self, name: object) -> bool:
        return name in self._taken


def attribute_name(sql_name: str) -> str:
    """The wanted (not yet unique) attribute name for a database column."""
    name = snake(sql_name)
    if name in RESERVED_ATTRS or name.startswith("_"):
        name = f"{name.strip('_')}_" if name.strip("_") else "field_"
    return name


def class_name(table: str) -> str:
    """The wanted (not yet unique) class name for a database table."""
    name = pascal(singular(table))
    if name in RESERVED_CLASSES:
        name = f"{name}Model"
    return name


def singular(word: str) -> str:
    """A conservative singular for class names: `customers` -> `customer`, `status` stays."""
    lower = word.lower()
    if lower.endswith(("ss", "us", "is")):
        return word
    if lower.endswith("ies") and len(word) > 4:
        return word[:-3] + ("Y" if word[-3].isupper() else "y")
    if lower.endswith(("sses", "xes", "zzes", "ches", "shes", "tuses")):
        return word[:-2]  # addresses, boxes, batches, statuses (but courses -> course)
    if lower.endswith("s") and len(word) > 3:
        return word[:-1]
    return word


def plural(word: str) -> str:
    """`customer` -> `customers`, `category` -> `categories` (for route names, not classes)."""
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


def key_name(attrs: Iterable[str]) -> str:
    """The name of a unique key (`get_by_<name>`): `("sku", "vendor_id")` -> `sku_and_vendor_id`."""
    return "_and_".join(attrs)


def literal(value: object) -> str:
    """Python source for a str/int/float/bool/None/tuple value: the only way text reaches code.

    `repr` of a str never contains a raw newline or an unescaped quote, so no database text can
    end the literal early and inject code.
    """
    if isinstance(value, tuple):
        inner = ", ".join(literal(item) for item in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if value is None or isinstance(value, bool | int | float | str):
        return repr(value)
    raise TypeError(f"cannot print {type(value).__name__} as a literal")


# Keywords the databases reject unquoted that SQLAlchemy 2.1's dialects do not quote (SQLite:
# returning, nothing; PostgreSQL: collation, concurrently, lateral, tablesample; MariaDB:
# current_role, offset, page_checksum). Found by the hostile-name fuzz and checked on the servers.
FORCE_QUOTE = frozenset(
    {
        "returning", "nothing", "collation", "concurrently", "lateral", "tablesample",
        "current_role", "offset", "page_checksum",
    }
)  # fmt: skip


def sql_name(name: str) -> str:
    """A table or column name as a model prints it: a literal, force-quoted where SQLAlchemy
    would leave a keyword bare (`sa.quoted_name("returning", True)`)."""
    text = literal(name)
    return f"sa.quoted_name({text}, True)" if name in FORCE_QUOTE else text


_UNSAFE_IN_DOC = re.compile(r'[\\"\r\n\t\x00-\x1f\x7f]|"""')


def comment_text(text: str | None, *, limit: int = 200) -> str:
    """Database text made safe for one line of a docstring or comment (no quotes, no breaks)."""
    if not text:
        return ""
    cleaned = _UNSAFE_IN_DOC.sub(" ", text)
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 3].rstrip() + "..."
    return cleaned


MODULE_STEM_LIMIT = 60  # characters (ASCII), before a `_2` that keeps it unique in its package


def module_stem(stem: str) -> str:
    """A file stem no file system refuses: `stem` itself when short, else its first characters,
    `_` and a hash of the whole of it (stable, so the file keeps its name from run to run).

    Identifiers may be long, file names may not (255 bytes on most file systems, and the staging
    name adds to it): a legal 63-byte PostgreSQL name of 21 Hangul syllables folds to a stem of
    315 characters (`u1112u1161u11ab...`). `stem` is an identifier, so ASCII: characters are bytes.
    """
    if len(stem) <= MODULE_STEM_LIMIT:
        return stem
    digest = hashlib.sha256(stem.encode()).hexdigest()[:10]
    return f"{stem[: MODULE_STEM_LIMIT - len(digest) - 1].rstrip('_')}_{digest}"


# Names a repository or service method body binds or reads besides its parameters: a key column's
# parameter must not shadow them. Kept as it was when the bodies held the machinery (they are a
# line or two now): a parameter's name is public API, and a model must not see it change on
# upgrade. Module-level names of those modules are added by the renderer.
METHOD_LOCALS = frozenset(
    {
        "self", "session", "instance", "instances", "statement", "values", "result", "returning",
        "rows", "keys", "conditions", "found", "after", "last", "cursor", "limit", "where",
        "order_by", "offset", "changes", "on", "dialect", "conflict", "updated", "reselect",
        "matching", "data", "items", "total", "names", "columns", "wanted", "by_key",
        "inner", "include_deleted", "expected_version", "load", "probe", "written",
    }
)  # fmt: skip

# What repository and service modules bound before the runtime took their machinery (0.1 output):
# still kept from key parameters, for the same reason (a column named `update` keeps `update_`).
FORMER_MODULE_NAMES = frozenset(
    {
        "Any", "ColumnElement", "ConflictError", "CursorResult", "KeysetPage", "ModelCache",
        "NotFoundError", "READ_INTENT", "Select", "Sequence", "Session", "TYPE_CHECKING",
        "TypeAlias", "UniqueKeySpec", "WRITE_INTENT", "async_dialect_of", "async_write_guard",
        "builtins", "cast", "decode_cursor", "delete", "delete_returns", "dialect_of",
        "encode_cursor", "func", "select", "set_fields", "true", "tuple_", "update",
        "update_returns", "upsert_returns", "upsert_statement", "write_guard", "OffsetPage",
        "validated", "annotations", "_KEYS", "_ORDER", "_DEFAULT_ORDER", "_COLUMNS", "_SQL_NAMES",
        "_PRIMARY_KEY", "_CACHE",
    }
)  # fmt: skip


# What a Litestar handler binds or takes (Litestar's own reserved keyword names too), besides the
# names its module imports: a key path parameter takes none of them.
CONTROLLER_LOCALS = frozenset(
    {"self", "db_session", "data", "item_id", "MAX_LIMIT", "MAX_OFFSET", "parse_where"}
    | {"load", "shape", "LOAD_DOC", "SHAPES"}
    | {"request", "state", "headers", "cookies", "query", "scope", "socket", "body"}
)

# What a FastAPI router module (`fastapi = true`) binds, or its routes take, besides its imports.
# Each module's router is `router` and the app imports it as `<module>_router` (module stems are
# unique): no name per entity is needed, so EntityNames (and the IR's hash) stay as they were.
ROUTER_LOCALS = frozenset(
    {"router", "session", "data", "where", "order_by", "limit", "offset", "cursor", "load"}
    | {"conditions", "service", "shape", "MAX_LIMIT", "MAX_OFFSET", "ORDER_DOC", "CURSOR_DOC"}
    | {"LOAD_DOC", "SHAPES", "SCHEMAS", "list_items", "get_item", "create_item", "update_item"}
    | {"upsert_item", "delete_item"}
)

# The repository module's RepositorySpec constant (renderers keep a model of that name apart).
SPEC = "SPEC"


def entity_names(class_name: str, *, modules: Scope, classes: Scope) -> EntityNames:
    """Every generated identifier for one entity.

    `modules` is shared by all entities of a schema (file stems of dtos/, repositories/, ...);
    `classes` too (the package `__init__` re-exports every generated class, and
    `AsyncCustomer` + `Repository` would otherwise meet `Async` + `Customer` + `Repository`).
    Call it for entities in a fixed order: allocation is first come.
    """
    stem = snake(class_name)
    module = modules.allocate(module_stem(stem))
    base = pascal(class_name) if not class_name.isidentifier() else class_name
    return EntityNames(
        module=module,
        create=classes.allocate(f"{base}Create"),
        update=classes.allocate(f"{base}Update"),
        read=classes.allocate(f"{base}Read"),
        filter=classes.allocate(f"{base}Filter"),
        order=classes.allocate(f"{base}Order"),
        key=classes.allocate(f"{base}Key"),
        load=classes.allocate(f"{base}Load"),
        repository=classes.allocate(f"{base}Repository"),
        async_repository=classes.allocate(f"Async{base}Repository"),
        service=classes.allocate(f"{base}Service"),
        async_service=classes.allocate(f"Async{base}Service"),
        # Module-level names of one model's modules, never exported together: not allocated.
        where=f"{class_name}Where",
        order_by=f"{class_name}OrderBy",
        to_read=f"{module}_to_read",
        controller=f"{class_name}Controller",
    )


# The wire names of a `<M>Filter`'s combinators; their Python fields are `and_`, `or_`, `not_`
# (as a column filter's `in` is `in_`). No column or relationship field has them as wire names:
# those are attribute names, never keywords.
FILTER_COMBINATORS = ("and", "or", "not")


def filter_tree_fields(
    columns: Iterable[str], relations: Iterable[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """The Python names of a Filter's relationship fields (by relationship attribute) and of its
    combinators (by wire name), around its column fields (which keep the columns' attributes).

    A relationship field is named as its relationship, whose attribute stays its wire name (what
    the runtime compiles: sublimate_runtime.filter_tree); the combinators take what is left:
    `and_`, else `and__2`... A relationship attribute that is no identifier (set by hand on a
    mapper) gets one, its wire name unchanged.
    """
    scope = Scope(columns)
    related = {}
    for attr in relations:
        safe = attr.isidentifier() and not keyword.iskeyword(attr) and not attr.startswith("__")
        related[attr] = scope.allocate(attr if safe else identifier(attr))
    combinators = {wire: scope.allocate(f"{wire}_") for wire in FILTER_COMBINATORS}
    return related, combinators


# dto = "pydantic": a model's field may not be named as what pydantic's BaseModel defines
# (`model_config` is refused, `json`/`schema`/`copy` shadow its methods, which mypy refuses too);
# `model_*` is pydantic's namespace, where a later release may add names. tests/unit compare this
# with the installed pydantic's BaseModel.
PYDANTIC_RESERVED = frozenset(
    {
        "construct", "copy", "dict", "from_orm", "json", "parse_file", "parse_obj", "parse_raw",
        "schema", "schema_json", "update_forward_refs", "validate",
    }
)  # fmt: skip


def pydantic_field_names(attrs: Iterable[str], taken: Iterable[str] = ()) -> dict[str, str]:
    """attribute -> the Python name of its pydantic DTO field, for the attributes pydantic
    reserves (see PYDANTIC_RESERVED): `json` -> `json_`. The DTO keeps the attribute as the
    field's alias, its wire name (and constructor keyword, for type checkers), so only the
    Python attribute of the DTO changes. `taken`: the DTO classes' other field names."""
    attrs = list(attrs)
    scope = Scope([*attrs, *taken])
    return {
        attr: scope.allocate(f"{attr}_")
        for attr in attrs
        if attr in PYDANTIC_RESERVED or attr.startswith("model_")
    }


def dtos_package_alias(taken: Iterable[str]) -> str:
    """The name a DTO module binds its own package under (`from .. import dtos as _dtos`), to
    reach the Filters of related models as `_dtos.customer.CustomerFilter`.

    Not `from . import customer`: DTO modules of related models would import each other (order
    <-> customer), and each import inside another nests, so a long chain of relationships (300
    tables) exhausts Python's recursion. The package imports the modules instead, one level deep
    (dtos/__init__.py), and a Filter's annotations are resolved when msgspec first decodes it.
    Free of `taken` (the module's other names and the fields of the class that reads it, which
    would shadow it in that class body for mypy).
    """
    return Scope(taken).allocate("_dtos")


# Typed SQL (`sublimate.queries`): names from .sql files (query names, parameter names, result
# column labels) are hostile input like a database's. A query module binds these at module level
# (its imports): a query's function, constant or row type never takes one.
QUERY_MODULE_BOUND = frozenset(
    {
        "annotations",
        "Any",
        "AsyncSession",
        "KeysetPage",
        "Literal",
        "PageTerm",
        "QueryPages",
        "READ_INTENT",
        "Session",
        "WRITE_INTENT",
        "async_write_guard",
        "builtins",
        "cast",
        "datetime",
        "decimal",
        "msgspec",
        "sa",
        "uuid",
        "write_guard",
    }
)
QUERY_FUNCTION_LOCALS = frozenset({"session", "result", "rows", "row"})
_ANNOTATION_NAMES = frozenset({"int", "str", "float", "bool", "bytes", "list", "None"})


def query_names(query_name: str, scope: Scope) -> tuple[str, str, str, str]:
    """(function, async function, statement constant, row type) of one query, unique in its
    module's `scope`: `TopCustomers` -> top_customers, async_top_customers, _TOP_CUSTOMERS,
    TopCustomersRow."""
    function = scope.allocate(snake(query_name))
    async_function = scope.allocate(f"async_{function}")
    constant = scope.allocate(f"_{function.upper().strip('_')}")
    row = scope.allocate(f"{pascal(query_name)}Row")
    return function, async_function, constant, row


def query_argument_names(sql_names: Iterable[str]) -> list[str]:
    """Keyword arguments for `:name` parameters (`:class` -> class_), free of the function's
    own locals; the SQL keeps its names (the call maps each argument back)."""
    scope = Scope(reserved=QUERY_FUNCTION_LOCALS)
    return [scope.allocate(identifier(name, default="param")) for name in sql_names]


def query_field_names(labels: Iterable[str]) -> list[str]:
    """A row type's fields for the result's column labels (`?column?`, `max(total)`, twice the
    same `id` in a join): identifiers, unique; rows are built by position, so a renamed field
    still holds its column. A field never takes a name its class's annotations read (`int`,
    `datetime`: the field would shadow the type for mypy)."""
    scope = Scope(reserved=QUERY_MODULE_BOUND | _ANNOTATION_NAMES)
    return [scope.allocate(attribute_name(label)) for label in labels]


# What a factory module (`factories = true`) binds besides its model, its parents' models and the
# entity's names: the model aliases and the entity's factory names keep away from these.
FACTORY_MODULE_BOUND = frozenset(
    {"AsyncFactory", "Capacity", "Factory", "Parent", "UNSET", "factory_values", "PARENTS"}
    | {"TypedDict", "Unpack", "cast", "Any", "builtins"}
)


def factory_names(entities: Sequence[Entity]) -> dict[str, FactoryNames]:
    """The names of each entity's factory module and fixture (`factories = true`), by entity name.

    The factory classes are exported together (`factories/__init__`, `testing.py`) and meet the
    models and the entities' classes in the factory modules, so they are allocated in one scope
    that holds all of those, in entity order as `entity_names` does: `Async` + `TeamService` +
    `Factory` would otherwise meet `AsyncTeamService` + `Factory`. The fixture is allocated by
    `testing.py`, among its own names."""
    classes = Scope(
        reserved=FACTORY_MODULE_BOUND
        | {entity.name for entity in entities}
        | {name for entity in entities for name in _classes(entity.names)}
    )
    found: dict[str, FactoryNames] = {}
    for entity in entities:
        base = pascal(entity.name) if not entity.name.isidentifier() else entity.name
        factory = classes.allocate(f"{base}Factory")
        async_factory = classes.allocate(f"Async{base}Factory")
        fields = classes.allocate(f"{base}Fields")
        module = Scope(reserved=FACTORY_MODULE_BOUND | {factory, async_factory, fields})
        found[entity.name] = FactoryNames(
            fields=fields,
            values=module.allocate(f"{entity.names.module}_values"),
            factory=factory,
            async_factory=async_factory,
            fixture=f"{entity.names.module}_factory",
        )
    return found


def _classes(names: EntityNames) -> tuple[str, ...]:
    """The classes `entity_names` allocates in the schema's class scope."""
    return (
        names.create, names.update, names.read, names.filter, names.order, names.key, names.load,
        names.repository, names.async_repository, names.service, names.async_service,
    )  # fmt: skip


def model_binding(model: str, bound: Iterable[str]) -> str:
    """The name a generated module binds a model class to: its own, unless the module binds that
    name to something else (`KeysetPage`, `Parent`, ...); then `<Model>Model`, or `_2`, `_3`
    after it when that is bound too."""
    scope = Scope(bound)
    return model if model not in scope else scope.allocate(f"{model}Model")
