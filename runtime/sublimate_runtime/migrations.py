"""Alembic hooks for the migration environments sublimate generates (`<out>/migrations/env.py`).

The generated env.py stays a few lines: it hands its MetaData to `configure_options` and passes
the result to `context.configure`. The machinery lives here, in the runtime, so every generated
project gets fixes by upgrading `sublimate-runtime`, not by regenerating.

What the hooks guarantee:

- **Autogenerate manages exactly the tables the models own** (the tables of `target_metadata`).
  A table of the database that the models do not describe (left out by `--tables`/`--exclude`,
  a PostgreSQL partition, another schema, a table removed from the models) is never reflected,
  so it is never dropped or altered, and neither are its indexes and constraints. A new table of
  the models is created as usual. A table removed from the models is NOT dropped: write
  `op.drop_table(...)` by hand in a revision when you mean it.
- Every schema that holds an owned table is compared (`include_schemas`), and only those.
- A model of a view (`__table_args__ = {"info": {"is_view": True}}`, as sublimate reads models)
  is not a table: never created, altered or dropped.
- Alembic's version table is never a model's table.
- PostgreSQL named types: a new ENUM is created before the columns added to an existing table
  need it, and dropped by the downgrade of the revision that brought it (Alembic does neither);
  a DOMAIN is created by the upgrade before the tables that use it and dropped by the downgrade;
  a domain-typed column is compared by its domain, never "changed" to the domain's base type.
- A project freshly generated from a database shows no drift against it: where the Inspector
  reflects less than the database holds (SQLite inline UNIQUE, COLLATE index parts and nullable
  primary keys; PostgreSQL operator classes on DESC elements), `migration_compare` asks the
  database before calling something a change; and a PostgreSQL index whose method, operator
  classes, INCLUDE or storage parameters changed is dropped and created again (Alembic compares
  none of these; a partial index's predicate stays uncompared: PostgreSQL rewrites it).

Needs the `migrations` extra: `pip install 'sublimate-runtime[migrations]'` (alembic); without it
the import fails with one line saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Enum,
    ForeignKeyConstraint,
    MetaData,
    Table,
    exc,
    make_url,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.schema import SchemaItem
from sqlalchemy.types import TypeEngine

from .extras import missing_extra

try:
    from alembic.autogenerate.api import AutogenContext
    from alembic.operations import ops
    from alembic.runtime.migration import MigrationContext

    from .migration_compare import OPTION_KEY, SameInDatabase, register_comparators
    from .migration_sequences import sequence_directives
except ModuleNotFoundError as error:
    raise missing_extra(error, extra="migrations", needed_by=__name__) from None

__all__ = [
    "VERSION_TABLE",
    "OwnedTables",
    "compare_type",
    "configure_options",
    "named_type_directives",
    "render_item",
]

VERSION_TABLE = "alembic_version"
"""The version table the generated environment uses (Alembic's default); `sublimate generate
--url` never generates a model for it."""

TableKey = tuple[str | None, str]  # (schema, None for the default schema; table name)


@dataclass(frozen=True, slots=True)
class OwnedTables:
    """The tables a MetaData owns, as Alembic's name filters see them.

    Alembic reports the connection's default schema as None, so a table declared with that
    schema explicitly is keyed under None too.
    """

    tables: frozenset[TableKey]
    default_schema: str | None = None

    @classmethod
    def of(cls, metadata: MetaData, default_schema: str | None) -> OwnedTables:
        tables = [t for t in metadata.tables.values() if not t.info.get("is_view")]
        keys = frozenset(_key(table, default_schema) for table in tables)
        return cls(keys, default_schema)

    @property
    def schemas(self) -> frozenset[str | None]:
        return frozenset(schema for schema, _ in self.tables)

    def include_name(self, name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
        """Alembic's `include_name`: reflect only the owned schemas and tables (what is not
        reflected is never dropped), and everything inside an owned table."""
        if type_ == "schema":
            return name in self.schemas
        if type_ == "table":
            return name is not None and (parent_names.get("schema_name"), name) in self.tables
        return True

    def include_object(
        self,
        item: SchemaItem,
        name: str | None,
        type_: str,
        reflected: bool,
        compare_to: SchemaItem | None,
    ) -> bool:
        """Alembic's `include_object`: a table found only in the database is left alone, even
        if a name filter let it through (its indexes and constraints are never reflected); a
        model of a view (`info={"is_view": True}`) is not a table to create; a foreign key of
        the database into a table the models do not own (so the model could not carry it) is
        kept."""
        if type_ == "foreign_key_constraint" and reflected and compare_to is None:
            return self._refers_to_owned(item)
        if type_ != "table":
            return True
        if isinstance(item, Table) and item.info.get("is_view"):
            return False
        return not (reflected and compare_to is None)

    def _refers_to_owned(self, item: SchemaItem) -> bool:
        if not isinstance(item, ForeignKeyConstraint):
            return True
        try:
            referred = item.referred_table
        except exc.SQLAlchemyError:  # cannot tell where it points: keep it
            return False
        return _key(referred, self.default_schema) in self.tables


def _key(table: Table, default_schema: str | None) -> TableKey:
    schema = table.schema if table.schema != default_schema else None
    return (schema, table.name)


def _revision_directives(
    migration: MigrationContext, revision: object, scripts: list[ops.MigrationScript]
) -> None:
    """Every rewrite of an autogenerated revision: named types, then the sequences new columns
    draw from (`migration_sequences`), both created before the tables that need them."""
    named_type_directives(migration, revision, scripts)
    sequence_directives(migration, revision, scripts)


def configure_options(
    metadata: MetaData, connection: Connection | None, url: str
) -> dict[str, Any]:
    """The keyword arguments of `context.configure` for a generated environment.

    `connection` is None offline (`--sql`): nothing is reflected then, so the name filters only
    need the MetaData.
    """
    default_schema = connection.dialect.default_schema_name if connection is not None else None
    owned = OwnedTables.of(metadata, default_schema)
    same = SameInDatabase(connection)
    register_comparators()

    def include_object(
        item: SchemaItem,
        name: str | None,
        type_: str,
        reflected: bool,
        compare_to: SchemaItem | None,
    ) -> bool:
        """Owned objects only, and only the differences the database does not show are none
        (see `migration_compare`)."""
        return owned.include_object(
            item, name, type_, reflected, compare_to
        ) and same.include_object(item, name, type_, reflected, compare_to)

    return {
        "connection": connection,
        "url": None if connection is not None else url,
        "target_metadata": metadata,
        "version_table": VERSION_TABLE,
        "include_schemas": True,
        "include_name": owned.include_name,
        "include_object": include_object,
        "compare_type": compare_type,
        "render_item": render_item,
        "process_revision_directives": _revision_directives,
        OPTION_KEY: True,
        "render_as_batch": make_url(url).get_backend_name() == "sqlite",
        "literal_binds": connection is None,
    }


# --- DOMAIN types ----------------------------------------------------------------------------


def compare_type(
    migration: MigrationContext,
    inspected_column: Column[Any],
    metadata_column: Column[Any],
    inspected_type: TypeEngine[Any],
    metadata_type: TypeEngine[Any],
) -> bool | None:
    """Alembic's `compare_type`: a DOMAIN column equals a column of the same domain (whatever
    SQLAlchemy's version reflects, the domain or its base type); None lets Alembic decide."""
    if not isinstance(metadata_type, postgresql.DOMAIN):
        if isinstance(inspected_type, postgresql.DOMAIN):
            return True  # the model changed a domain column to a plain type
        return None
    if isinstance(inspected_type, postgresql.DOMAIN):
        if (inspected_type.name or "").lower() != (metadata_type.name or "").lower():
            return True
        inspected_base: TypeEngine[Any] = inspected_type.data_type
    else:
        inspected_base = inspected_type
    base = Column(metadata_column.name, metadata_type.data_type)
    was = Column(inspected_column.name, inspected_base)
    return bool(migration.impl.compare_type(was, base))


def render_item(type_: str, item: Any, autogen_context: AutogenContext) -> str | bool:
    """Alembic's `render_item`: a DOMAIN spelled whole (Alembic's repr loses its constraints and
    leaves its base type unqualified), with `create_type=False`, since the revision creates
    the domain itself (see `named_type_directives`). False: Alembic's own rendering."""
    if type_ != "type" or not isinstance(item, postgresql.DOMAIN):
        return False
    from alembic.autogenerate.render import _repr_type

    autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
    args = [repr(item.name), _repr_type(item.data_type, autogen_context)]
    for keyword in ("collation", "constraint_name", "not_null"):
        value = getattr(item, keyword)
        if value is not None and value is not False:
            args.append(f"{keyword}={value!r}")
    for keyword in ("default", "check"):  # the revision template imports sqlalchemy as sa
        value = getattr(item, keyword)
        if value is not None:
            args.append(f"{keyword}=sa.text({str(getattr(value, 'text', value))!r})")
    if item.schema:
        args.append(f"schema={item.schema!r}")
    args.append("create_type=False")
    return f"postgresql.DOMAIN({', '.join(args)})"


# --- PostgreSQL named types: ENUM and DOMAIN -------------------------------------------------


@dataclass(frozen=True, slots=True)
class _NamedType:
    name: str  # quoted, schema-qualified
    kind: Enum | postgresql.DOMAIN
    with_table: bool  # a new table creates it (an ENUM of create_table)


def _new_columns(upgrade: ops.UpgradeOps) -> list[tuple[Column[Any], bool]]:
    """The columns of new tables (True) and of columns added to existing ones (False)."""
    columns: list[tuple[Column[Any], bool]] = []
    for table_op in upgrade.ops:
        if isinstance(table_op, ops.CreateTableOp):
            columns += [(c, True) for c in table_op.columns if isinstance(c, Column)]
        elif isinstance(table_op, ops.ModifyTableOps):
            added = [o.column for o in table_op.ops if isinstance(o, ops.AddColumnOp)]
            columns += [(c, False) for c in added]
    return columns


def new_named_types(migration: MigrationContext, upgrade: ops.UpgradeOps) -> list[_NamedType]:
    """The enum and domain types that new tables and columns of `upgrade` use and the database
    lacks, in order of appearance. A domain is never created with its table (it is rendered
    `create_type=False`), so `with_table` is False for domains."""
    preparer = migration.dialect.identifier_preparer
    found: dict[str, _NamedType] = {}
    for column, with_table in _new_columns(upgrade):
        kind = column.type
        if isinstance(kind, postgresql.DOMAIN):
            with_table = False
        elif not isinstance(kind, Enum) or not kind.native_enum or not kind.name:
            continue
        if isinstance(kind, Enum) and not getattr(kind, "create_type", True):
            continue  # ENUM(create_type=False): not ours
        if not kind.name:
            continue
        name = preparer.quote(kind.name)
        # kind.schema: its own, or its table's (inherit_schema) once the column has a table
        if kind.schema:
            name = f"{preparer.quote_schema(kind.schema)}.{name}"
        if name not in found or with_table:
            found[name] = _NamedType(name, kind, with_table)
    connection = migration.connection
    assert connection is not None
    exists = text("SELECT to_regtype(:name) IS NOT NULL")
    return [t for t in found.values() if not connection.scalar(exists, {"name": t.name})]


def named_type_directives(
    migration: MigrationContext, revision: object, scripts: list[ops.MigrationScript]
) -> None:
    """Alembic's `process_revision_directives`, for PostgreSQL's named types.

    Alembic creates a new table's enum types with the table but its downgrade drops only the
    table, and `add_column` does not create the type at all. So each autogenerated downgrade
    drops the types its upgrade brings, and an upgrade creates first each new type that no
    new table creates (every domain; an enum only added columns use).
    """
    if migration.dialect.name != "postgresql" or migration.connection is None:
        return
    for script in scripts:
        pairs = zip(script.upgrade_ops_list, script.downgrade_ops_list, strict=True)
        for upgrade, downgrade in pairs:
            created = 0
            for named in new_named_types(migration, upgrade):
                domain = isinstance(named.kind, postgresql.DOMAIN)
                if not named.with_table:
                    create = (
                        postgresql.CreateDomainType(named.kind)
                        if isinstance(named.kind, postgresql.DOMAIN)
                        else postgresql.CreateEnumType(named.kind)
                    )
                    ddl = str(create.compile(dialect=migration.dialect))
                    upgrade.ops.insert(created, ops.ExecuteSQLOp(ddl))
                    created += 1
                what = "DOMAIN" if domain else "TYPE"
                downgrade.ops.append(ops.ExecuteSQLOp(f"DROP {what} IF EXISTS {named.name}"))
