"""The intermediate representation: everything the templates print, decided before they run.

The IR is the contract between the two front ends (declarative models, live database) and the
renderer. It holds no SQLAlchemy object, only strings, numbers, enums and tuples, so it can be
hashed, compared, dumped as JSON (`sublimate inspect`) and cached. Every identifier in it was
handed out by `naming`; every string that reaches generated code as a literal is printed through
`naming.literal` by the templates.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import Any, TypeVar, dataclass_transform

# (module, name): `from module import name`. An empty name means `import module`.
Import = tuple[str, str]


class EntityKind(enum.StrEnum):
    TABLE = "table"
    VIEW = "view"
    ASSOCIATION = "association"


class RelationKind(enum.StrEnum):
    MANY_TO_ONE = "many_to_one"
    ONE_TO_MANY = "one_to_many"
    ONE_TO_ONE = "one_to_one"
    MANY_TO_MANY = "many_to_many"


class FilterKind(enum.StrEnum):
    """Which runtime filter struct a column gets in `<M>Filter`."""

    EQUALITY = "equality"  # eq, ne, in, not_in
    RANGE = "range"  # equality + lt, le, gt, ge
    TEXT = "text"  # range + like, ilike, startswith, contains (wildcards escaped)
    NONE = "none"  # JSON, binary, unknown types: not filterable


_T = TypeVar("_T")


@dataclass_transform(frozen_default=True, kw_only_default=True)
def _frozen(cls: type[_T]) -> type[_T]:
    """Frozen, slotted, keyword-only dataclass (spelled so mypy sees the dataclass)."""
    return dataclass(frozen=True, slots=True, kw_only=True)(cls)


@_frozen
class Column:
    attr: str  # Python attribute name (safe identifier)
    sql_name: str  # real column name in the database
    python_type: str  # annotation as printed, without Optional: "datetime.datetime"
    dto_type: str  # annotation for DTO fields, constraints included: "Annotated[str, Meta(...)]"
    sql_type: str  # human-readable SQL type, for messages and `check`: "String(255)"
    sql_type_expr: str  # SQLAlchemy type expression for generated models: "sa.String(255)"
    nullable: bool
    primary_key: bool
    has_default: bool  # Python-side or server-side default: optional in <M>Create
    server_default: str | None  # the server default's SQL text, when there is one
    server_generated: bool  # the database produces it (autoincrement key, identity, computed)
    autoincrement: bool
    max_length: int | None
    precision: int | None
    scale: int | None
    enum: str | None  # name of a Schema.enums entry
    filter_kind: FilterKind
    orderable: bool
    comment: str | None
    imports: tuple[Import, ...]  # what python_type/dto_type/sql_type_expr need
    # Generated columns, as the database declares them (read from a live database; the models
    # front end leaves the defaults): an identity ("always" or "by default"), or a computed
    # column's SQL expression and whether it is stored.
    identity: str | None = None
    computed: str | None = None
    computed_persisted: bool | None = None
    # The model types the attribute as optional although the column is NOT NULL (SQLModel's
    # `id: int | None = Field(default=None, primary_key=True)`): None until the row is flushed.
    declared_optional: bool = False
    # (smallest, largest) value of an integer SQL type, when the column is typed `int` from it:
    # the bounds of its DTO fields, filters, cursors and path parameters.
    int_range: tuple[int, int] | None = None
    # The sequence a `nextval(...)` default draws from (PostgreSQL), when the model must create
    # it (`sa.Sequence(name, schema=...)`): not for a plain SERIAL key, which `autoincrement`
    # recreates. None: no sequence of its own.
    sequence: str | None = None
    sequence_schema: str | None = None
    # The regex a `str` column's values must match beyond "no NUL" (a UUID read as text:
    # bounds.UUID_TEXT): in its DTO fields' and filters' types, and its key path parameters.
    pattern: str | None = None


@_frozen
class UniqueKey:
    """A real unique key of the table (primary key included, flagged)."""

    name: str  # safe identifier: suffix of get_by_<name>, value of the conflict-key Literal
    constraint_name: str | None  # the database's name, to match in error messages
    columns: tuple[str, ...]  # attrs
    sql_columns: tuple[str, ...]
    is_primary: bool
    # A PostgreSQL constraint's options, as a live database reports them: INCLUDE columns
    # (sql names) and UNIQUE NULLS NOT DISTINCT.
    include: tuple[str, ...] = ()
    nulls_not_distinct: bool = False


@_frozen
class ForeignKey:
    name: str | None
    columns: tuple[str, ...]  # local attrs
    sql_columns: tuple[str, ...]
    target_entity: str  # Entity.name, or "" when the target is not an entity of this schema
    target_table: str
    target_schema: str | None
    target_sql_columns: tuple[str, ...]
    ondelete: str | None
    onupdate: str | None


@_frozen
class Relation:
    attr: str
    target: str  # Entity.name
    kind: RelationKind
    local: tuple[str, ...]  # local attrs of the join (FK side for many-to-one)
    remote: tuple[str, ...]
    secondary: str | None  # association table name for many-to-many
    back_populates: str | None
    uselist: bool


@_frozen
class Index:
    name: str | None
    columns: tuple[str, ...]  # sql column names; empty for expression indexes
    expressions: tuple[str, ...]  # SQL text of expression elements
    unique: bool
    # How the index is built, as a live database reports it (the models front end leaves the
    # defaults). `dialect` names whose options these are ("postgresql", "mysql", "sqlite"; ""
    # when there are none). Keys of `opclasses` and `sorting` are an element of `columns` or
    # `expressions`; every text is the database's, printed only as a literal.
    dialect: str = ""
    method: str | None = None  # PostgreSQL USING: "gin", "gist", "brin", "hash", ...
    prefix: str | None = None  # MySQL "FULLTEXT" or "SPATIAL"
    parser: str | None = None  # MySQL FULLTEXT ... WITH PARSER
    where: str | None = None  # a partial index's condition (PostgreSQL, SQLite)
    include: tuple[str, ...] = ()  # PostgreSQL INCLUDE (non-key columns)
    opclasses: tuple[tuple[str, str], ...] = ()  # (element, operator class), PostgreSQL
    lengths: tuple[tuple[str, int], ...] = ()  # (column, key prefix length), MySQL
    sorting: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (element, ("desc", "nulls_last"))
    nulls_not_distinct: bool = False  # PostgreSQL 15+ UNIQUE ... NULLS NOT DISTINCT
    storage: tuple[tuple[str, str], ...] = ()  # PostgreSQL WITH (fillfactor = 70)


@_frozen
class Check:
    """A CHECK constraint, as SQL text the database reported (printed only as a literal)."""

    name: str | None
    sqltext: str


@_frozen
class EntityNames:
    """Every identifier generated for one entity, allocated in one place (naming)."""

    module: str  # file stem shared by dtos/, repositories/, services/
    create: str
    update: str
    read: str
    filter: str
    order: str
    key: str  # Literal type alias of the unique-key names (conflict targets)
    load: str  # StrEnum of the relationship paths a read may load (printed with relationships)
    repository: str
    async_repository: str
    service: str
    async_service: str
    where: str  # the repository module's alias of what `where` takes
    order_by: str  # ... and of what `order_by` takes
    to_read: str  # the service module's model -> Read DTO function
    controller: str  # the Litestar controller class


@_frozen
class FactoryNames:
    """The identifiers of one entity's factory module (`factories = true`), apart from
    EntityNames so that the IR, its hashes and every other output stay as they were without it."""

    fields: str  # the TypedDict of what a factory call may set
    values: str  # the module function: sequence number and fields -> Create DTO
    factory: str
    async_factory: str
    fixture: str  # the pytest fixture of the generated testing module


@_frozen
class Entity:
    name: str  # Python class name of the model
    table: str
    schema: str | None
    kind: EntityKind
    source: str  # "pkg.mod:Customer" or "db:schema.table", for headers and messages
    model_import: Import
    names: EntityNames
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]  # attrs, in key order
    unique_keys: tuple[UniqueKey, ...]  # primary key first, then by name
    foreign_keys: tuple[ForeignKey, ...]
    relations: tuple[Relation, ...]
    indexes: tuple[Index, ...]
    comment: str | None
    writable: bool  # False for views and tables without a primary key
    checks: tuple[Check, ...] = ()  # CHECK constraints (read from a live database)
    # Production options (issue 6), set by the front end or by `options.apply` from settings:
    cached: bool = False  # reads go through the runtime's ModelCache
    version_column: str | None = None  # attr of the optimistic-locking version (an integer)
    soft_delete_column: str | None = None  # attr of the nullable "deleted at" timestamp
    # A function that types a model attribute as a column expression, for models whose class
    # attributes are typed as plain values (SQLModel: `col(Hero.id)`); None when they are not.
    column_ref: Import | None = None
    # Dialect options of the table the model must carry to be created the same (live database):
    # ("mysql_charset", "utf8mb3"), ("postgresql_partition_by", "RANGE (taken)"), ...
    table_options: tuple[tuple[str, str], ...] = ()

    def column(self, attr: str) -> Column:
        for column in self.columns:
            if column.attr == attr:
                return column
        raise KeyError(attr)

    @property
    def pk_columns(self) -> tuple[Column, ...]:
        return tuple(self.column(attr) for attr in self.primary_key)


@_frozen
class EnumType:
    name: str  # Python name
    import_: Import  # where it is defined (models input), or the generated module
    values: tuple[tuple[str, str], ...]  # (member name, database value)


@_frozen
class Diagnostic:
    """A warning found while building the IR: shown by the CLI, never fatal by itself."""

    where: str  # "customers.attributes"
    message: str


@_frozen
class Schema:
    source: str  # "generated_example.shop.models:Base" or a URL without its password
    metadata_import: Import  # what the Alembic env imports to get the MetaData
    metadata_expr: str  # expression on that import: "Base.metadata"
    entities: tuple[Entity, ...]  # sorted by name
    enums: tuple[EnumType, ...]
    diagnostics: tuple[Diagnostic, ...]

    def entity(self, name: str) -> Entity:
        for entity in self.entities:
            if entity.name == name:
                return entity
        raise KeyError(name)


# Typed SQL (`sublimate.queries`): annotated .sql files, described by the database.
@_frozen
class QueryParam:
    sql_name: str  # `:name` in the SQL
    arg: str  # the keyword argument (handed out by naming.query_names)
    python_type: str  # annotation as printed, `| None` included when the hint allows None
    sql_type: str  # the database's type name ("hint" when a hint decided)
    sa_type: str  # SQLAlchemy type of the bound value ("" = as the driver takes it)
    imports: tuple[Import, ...]
    # `IN (:ids)` with a list hint: one bound value per element (SQLAlchemy's expanding
    # parameter; `sa_type` is then the elements' type).
    expanding: bool = False


@_frozen
class QueryColumn:
    label: str  # the result column's name as the database reports it
    attr: str  # the row Struct's field (handed out by naming.query_names)
    python_type: str  # annotation as printed, `| None` included when nullable
    sql_type: str
    sa_type: str  # SQLAlchemy type the result goes through ("" = as the driver returns it)
    nullable: bool
    origin: str  # "table.column" the value comes from, "" for an expression
    imports: tuple[Import, ...]


@_frozen
class PageTerm:
    """One column a `:many_after` query's pages are ordered by (its ORDER BY, in order)."""

    label: str  # the result column (`sa.column` of the wrapped statement)
    attr: str  # its field on the row, to read a row's position
    annotation: str  # its Python type without None: what a cursor's value decodes to
    descending: bool
    nullable: bool  # NULLs sort as the greatest value


@_frozen
class Query:
    name: str  # as annotated (`-- name: TopCustomers :many`)
    function: str  # the generated function (sync)
    async_function: str  # its asyncio twin (`async_<function>`)
    constant: str  # the module constant holding the statement
    command: str  # "one", "many", "many_after", "exec", "execrows"
    line: int  # of the annotation, in its file
    sql: str  # the statement as written, for `sa.text` (`:name` parameters)
    writes: bool  # routed to the primary, errors mapped like a repository write's
    params: tuple[QueryParam, ...]
    columns: tuple[QueryColumn, ...]  # empty for :exec/:execrows
    row: str  # the row type's name ("" when nothing is returned)
    row_import: Import | None  # a model's Read DTO reused as the row type
    # :many_after: the keyset order (the statement in `sql` is then without its ORDER BY) and
    # the module constant of its pages
    page: tuple[PageTerm, ...] = ()
    pages: str = ""


@_frozen
class QueryFile:
    path: str  # the .sql file, relative to the project ("queries/reports.sql")
    module: str  # the generated module's stem (queries/<module>.py)
    dialect: str  # the database that described it: "postgresql", "sqlite"
    queries: tuple[Query, ...]


def to_jsonable(value: Any) -> Any:
    """The IR as plain JSON data, for `sublimate inspect` (`cache.node_hash` hashes the IR)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [to_jsonable(item) for item in value]
    return value
