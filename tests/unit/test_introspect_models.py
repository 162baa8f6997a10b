"""introspect.models: declarative models -> ir.Schema, and the errors of load_base."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sublimate.cache import schema_hashes
from sublimate.introspect import IntrospectError
from sublimate.introspect.models import build_schema, load_base
from sublimate.ir import (
    Entity,
    EntityKind,
    FilterKind,
    ForeignKey,
    Index,
    Relation,
    RelationKind,
    Schema,
    UniqueKey,
    to_jsonable,
)

SHOP = "fixtures_models.shop"


@pytest.fixture(scope="module")
def shop() -> Schema:
    return build_schema(SHOP)


def entity(schema: Schema, name: str) -> Entity:
    return schema.entity(name)


# --- the schema as a whole ----------------------------------------------------------------


def test_entities_are_the_mapped_classes_sorted_by_name(shop: Schema) -> None:
    names = [e.name for e in shop.entities]
    assert names == ["Category", "Customer", "Invoice", "Order", "OrderLine", "Product", "Tag"]
    assert "product_tags" not in {e.table for e in shop.entities}  # association Table


def test_schema_header(shop: Schema) -> None:
    assert shop.source == SHOP
    assert shop.metadata_import == (SHOP, "Base")
    assert shop.metadata_expr == "Base.metadata"


def test_entity_identity_and_names(shop: Schema) -> None:
    line = entity(shop, "OrderLine")
    assert (line.table, line.schema, line.kind) == ("order_lines", None, EntityKind.TABLE)
    assert line.source == f"{SHOP}:OrderLine"
    assert line.model_import == (SHOP, "OrderLine")
    assert line.names.module == "order_line"
    assert line.names.create == "OrderLineCreate"
    assert line.names.async_repository == "AsyncOrderLineRepository"
    assert line.names.async_service == "AsyncOrderLineService"
    assert line.names.key == "OrderLineKey"
    assert all(e.writable for e in shop.entities)
    assert len({e.names.module for e in shop.entities}) == len(shop.entities)


def test_only_the_unknown_type_is_diagnosed(shop: Schema) -> None:
    assert [(d.where, "Point" in d.message) for d in shop.diagnostics] == [
        ("customers.location", True)
    ]


def test_ir_hashes_are_stable_across_builds(shop: Schema) -> None:
    """The render cache and `check` key on these hashes: a rebuild must give the same ones."""
    again = build_schema(SHOP)
    assert again == shop
    assert schema_hashes(again) == schema_hashes(shop)
    json.dumps(to_jsonable(shop))  # `sublimate inspect` prints it


def test_ir_hashes_are_stable_across_processes(shop: Schema) -> None:
    """No set or dict order leaks into the IR: another hash seed gives the same hashes."""
    code = (
        "import json; from sublimate.cache import schema_hashes;"
        " from sublimate.introspect.models import build_schema;"
        f"h = schema_hashes(build_schema({SHOP!r}));"
        "print(json.dumps([h.schema, h.context, dict(h.entities)]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parent), *sys.path])
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    hashes = schema_hashes(shop)
    assert json.loads(out.stdout) == [hashes.schema, hashes.context, dict(hashes.entities)]


# --- columns -------------------------------------------------------------------------------


def test_uuid_primary_key_with_python_default(shop: Schema) -> None:
    customer = entity(shop, "Customer")
    id_ = customer.column("id")
    assert (id_.python_type, id_.imports, id_.sql_type) == ("uuid.UUID", (("uuid", ""),), "Uuid")
    assert id_.primary_key and not id_.nullable
    assert id_.has_default and not id_.server_generated and not id_.autoincrement
    assert customer.primary_key == ("id",)
    assert customer.comment == "People who buy things"


def test_string_columns(shop: Schema) -> None:
    customer = entity(shop, "Customer")
    email, name = customer.column("email"), customer.column("name")
    assert email.dto_type == "Annotated[str, Meta(max_length=255, pattern='^[^\\\\x00]*$')]"
    assert email.max_length == 255
    assert email.filter_kind is FilterKind.TEXT
    assert email.comment == "Login; unique"
    assert not email.nullable and not email.has_default
    assert name.nullable and name.python_type == "str"
    handle = customer.column("handle")  # a TypeDecorator over String(64)
    assert (handle.python_type, handle.max_length) == ("str", 64)


def test_server_default_and_timezone(shop: Schema) -> None:
    created = entity(shop, "Customer").column("created_at")
    assert created.python_type == "datetime.datetime"
    assert created.sql_type == "DateTime(timezone=True)"
    assert created.sql_type_expr == "sa.DateTime(timezone=True)"
    assert created.server_default == "now()"
    assert created.has_default and not created.server_generated


def test_json_declared_as_a_dict(shop: Schema) -> None:
    attributes = entity(shop, "Customer").column("attributes")
    assert attributes.python_type == attributes.dto_type == "dict[str, Any]"
    assert attributes.imports == (("typing", "Any"),)
    assert attributes.has_default
    assert (attributes.filter_kind, attributes.orderable) == (FilterKind.NONE, False)


def test_binary_and_unknown_types(shop: Schema) -> None:
    customer = entity(shop, "Customer")
    avatar, location = customer.column("avatar"), customer.column("location")
    assert (avatar.python_type, avatar.nullable, avatar.orderable) == ("bytes", True, False)
    assert avatar.filter_kind is FilterKind.NONE
    assert (location.python_type, location.filter_kind) == ("Any", FilterKind.NONE)


def test_columns_are_in_table_order(shop: Schema) -> None:
    customer = entity(shop, "Customer")
    assert [c.attr for c in customer.columns] == [
        "id",
        "email",
        "name",
        "handle",
        "created_at",
        "attributes",
        "avatar",
        "location",
    ]


def test_big_integer_autoincrement_key_numeric_float_boolean(shop: Schema) -> None:
    product = entity(shop, "Product")
    id_ = product.column("id")
    assert (id_.python_type, id_.sql_type) == ("int", "BigInteger")
    assert id_.server_generated and id_.autoincrement and id_.has_default
    price = product.column("price")
    assert (price.python_type, price.sql_type, price.precision, price.scale) == (
        "decimal.Decimal",
        "Numeric(10, 2)",
        10,
        2,
    )
    assert price.filter_kind is FilterKind.RANGE
    weight, active = product.column("weight"), product.column("active")
    assert (weight.python_type, weight.nullable) == ("float", True)
    assert (active.python_type, active.filter_kind, active.has_default) == (
        "bool",
        FilterKind.EQUALITY,
        True,
    )


def test_enums_dates_and_intervals(shop: Schema) -> None:
    order = entity(shop, "Order")
    status = order.column("status")
    assert (status.python_type, status.enum, status.has_default) == ("Status", "Status", True)
    assert status.imports == ((SHOP, "Status"),)
    assert [e.name for e in shop.enums] == ["Status"]
    assert shop.enums[0].import_ == (SHOP, "Status")
    assert shop.enums[0].values == (("DRAFT", "DRAFT"), ("PAID", "PAID"))
    mood = order.column("mood")
    assert (mood.python_type, mood.enum, mood.nullable) == ("Literal['happy', 'sad']", None, True)
    assert order.column("placed_on").python_type == "datetime.date"
    window = order.column("delivery_window")
    assert (window.python_type, window.sql_type) == ("datetime.timedelta", "Interval")
    assert order.column("opens_at").python_type == "datetime.time"


def test_composite_primary_key_defaults_and_computed(shop: Schema) -> None:
    line = entity(shop, "OrderLine")
    assert line.primary_key == ("order_id", "line_no")
    assert [c.attr for c in line.pk_columns] == ["order_id", "line_no"]
    for attr in line.primary_key:  # no autoincrement on a composite key
        assert not line.column(attr).server_generated
    quantity = line.column("quantity")
    assert (quantity.server_default, quantity.has_default) == ("'1'", True)
    doubled = line.column("doubled")
    assert doubled.server_generated and doubled.has_default and doubled.server_default is None


# --- keys, foreign keys, relations, indexes --------------------------------------------------


def test_unique_keys(shop: Schema) -> None:
    assert entity(shop, "Customer").unique_keys == (
        UniqueKey(
            name="id", constraint_name=None, columns=("id",), sql_columns=("id",), is_primary=True
        ),
        UniqueKey(
            name="email",
            constraint_name=None,
            columns=("email",),
            sql_columns=("email",),
            is_primary=False,
        ),
    )
    product_keys = entity(shop, "Product").unique_keys
    assert [(k.name, k.constraint_name, k.columns) for k in product_keys] == [
        ("id", None, ("id",)),
        ("vendor_and_sku", "uq_products_vendor_sku", ("vendor", "sku")),
    ]
    line_keys = entity(shop, "OrderLine").unique_keys
    assert [(k.name, k.is_primary) for k in line_keys] == [
        ("order_id_and_line_no", True),
        ("order_id_and_product_id", False),
    ]
    # a unique index is a unique key too, named after the index
    assert [(k.name, k.constraint_name) for k in entity(shop, "Tag").unique_keys] == [
        ("id", None),
        ("label", "ix_tags_label"),
    ]


def test_foreign_keys(shop: Schema) -> None:
    assert entity(shop, "Order").foreign_keys == (
        ForeignKey(
            name=None,
            columns=("customer_id",),
            sql_columns=("customer_id",),
            target_entity="Customer",
            target_table="customers",
            target_schema=None,
            target_sql_columns=("id",),
            ondelete="CASCADE",
            onupdate=None,
        ),
    )
    line_fks = entity(shop, "OrderLine").foreign_keys
    assert [(fk.columns, fk.target_entity) for fk in line_fks] == [
        (("order_id",), "Order"),
        (("product_id",), "Product"),
    ]
    product_id = entity(shop, "OrderLine").column("product_id")
    assert product_id.sql_type == "BigInteger"  # follows the referenced key


def test_self_referential_relations(shop: Schema) -> None:
    category = entity(shop, "Category")
    assert category.relations == (
        Relation(
            attr="children",
            target="Category",
            kind=RelationKind.ONE_TO_MANY,
            local=("id",),
            remote=("parent_id",),
            secondary=None,
            back_populates="parent",
            uselist=True,
        ),
        Relation(
            attr="parent",
            target="Category",
            kind=RelationKind.MANY_TO_ONE,
            local=("parent_id",),
            remote=("id",),
            secondary=None,
            back_populates="children",
            uselist=False,
        ),
    )
    assert category.foreign_keys[0].target_entity == "Category"


def test_many_to_many_relations(shop: Schema) -> None:
    (tags,) = entity(shop, "Product").relations
    assert (tags.attr, tags.target, tags.kind) == ("tags", "Tag", RelationKind.MANY_TO_MANY)
    assert (tags.local, tags.remote, tags.secondary) == (("id",), ("id",), "product_tags")
    assert (tags.back_populates, tags.uselist) == ("products", True)
    (products,) = entity(shop, "Tag").relations
    assert (products.target, products.secondary) == ("Product", "product_tags")


def test_one_to_one_and_many_to_one(shop: Schema) -> None:
    relations = {r.attr: r for r in entity(shop, "Order").relations}
    assert list(relations) == ["customer", "invoice", "lines"]
    assert relations["customer"].kind is RelationKind.MANY_TO_ONE
    assert relations["customer"].local == ("customer_id",)
    assert relations["invoice"].kind is RelationKind.ONE_TO_ONE
    assert relations["invoice"].uselist is False
    assert relations["lines"].kind is RelationKind.ONE_TO_MANY
    (order,) = entity(shop, "Invoice").relations
    assert (order.kind, order.local, order.remote) == (
        RelationKind.MANY_TO_ONE,
        ("order_id",),
        ("id",),
    )


def test_indexes(shop: Schema) -> None:
    assert entity(shop, "Product").indexes == (
        Index(
            name="ix_products_lower_name", columns=(), expressions=("lower(name)",), unique=False
        ),
        Index(name="ix_products_name", columns=("name",), expressions=(), unique=False),
    )
    assert entity(shop, "Tag").indexes == (
        Index(name="ix_tags_label", columns=("label",), expressions=(), unique=True),
    )


# --- inheritance, registries, naming conventions, awkward names ------------------------------


def test_single_table_subclass_is_skipped_with_a_diagnostic() -> None:
    schema = build_schema("fixtures_models.inheritance")
    assert [e.name for e in schema.entities] == ["Employee", "Engineer"]
    (diagnostic,) = schema.diagnostics
    assert diagnostic.where == "fixtures_models.inheritance:Manager"
    assert "single-table inheritance" in diagnostic.message
    # the subclass's column lives in the base's table, but the base model has no attribute for it
    assert [c.attr for c in schema.entity("Employee").columns] == ["id", "kind", "name"]


def test_joined_table_subclass_is_an_entity_with_every_column() -> None:
    engineer = build_schema("fixtures_models.inheritance").entity("Engineer")
    assert engineer.table == "engineers"
    assert [c.attr for c in engineer.columns] == ["id", "kind", "name", "language"]
    assert engineer.primary_key == ("id",)
    assert [k.name for k in engineer.unique_keys] == ["id", "language"]
    assert engineer.foreign_keys[0].target_entity == "Employee"


def test_registry_without_declarative_base() -> None:
    schema = build_schema("fixtures_models.legacy")
    assert schema.metadata_import == ("fixtures_models.legacy", "mapper_registry")
    assert schema.metadata_expr == "mapper_registry.metadata"
    assert [e.name for e in schema.entities] == ["Event", "Session"]


def test_naming_convention_names_and_schemas() -> None:
    schema = build_schema("fixtures_models.legacy")
    session = schema.entity("Session")
    assert (session.table, session.schema) == ("sessions", "auth")
    assert [(k.name, k.constraint_name) for k in session.unique_keys] == [
        ("id", "pk_sessions"),
        ("token", "uq_sessions_my token"),
    ]
    event = schema.entity("Event")
    assert [k.constraint_name for k in event.unique_keys] == ["pk_events", "uq_events_session_id"]


def test_awkward_names_identity_sequence_and_enum_values() -> None:
    schema = build_schema("fixtures_models.legacy")
    session = schema.entity("Session")
    assert session.names.module == "session"
    token = session.column("token")
    assert (token.attr, token.sql_name) == ("token", "my token")
    assert session.unique_keys[1].sql_columns == ("my token",)
    id_ = session.column("id")
    assert id_.server_generated and id_.autoincrement
    ticket = session.column("ticket")
    assert ticket.server_generated and ticket.has_default and not ticket.primary_key
    color = session.column("color")
    assert (color.python_type, color.enum) == ("Color", "Color")
    assert schema.enums[0].values == (("RED", "r"), ("GREEN", "g"))
    level = session.column("level")
    assert level.python_type == "Literal['low', 'high']"
    amount = session.column("amount")
    assert (amount.server_default, amount.nullable) == ("'0'", True)
    # declared Mapped[list[str]] over a TypeDecorator whose impl is a String
    tags = session.column("tags")
    assert (tags.python_type, tags.dto_type, tags.filter_kind) == (
        "list[str]",
        "list[str]",
        FilterKind.EQUALITY,
    )


def test_unmapped_not_null_column_is_diagnosed() -> None:
    schema = build_schema("fixtures_models.legacy")
    assert [c.attr for c in schema.entity("Event").columns] == ["id", "session_id", "name"]
    assert [d.where for d in schema.diagnostics] == ["events.internal"]


def test_module_that_only_binds_the_base() -> None:
    schema = build_schema("fixtures_models.base_only")
    assert schema.metadata_import == ("fixtures_models.base_only", "Base")
    assert len(schema.entities) == 7


@pytest.mark.parametrize(
    ("spec", "metadata_import", "metadata_expr"),
    [
        ("fixtures_models.two_bases:Two", ("fixtures_models.two_bases", "Two"), "Two.metadata"),
        (f"{SHOP}:Base", (SHOP, "Base"), "Base.metadata"),
        (f"{SHOP}:Customer", (SHOP, "Customer"), "Customer.metadata"),
        (f"{SHOP}:Base.registry", (SHOP, "Base"), "Base.registry.metadata"),
        (
            "fixtures_models.legacy:mapper_registry",
            ("fixtures_models.legacy", "mapper_registry"),
            "mapper_registry.metadata",
        ),
    ],
)
def test_load_base_with_an_attribute(
    spec: str, metadata_import: tuple[str, str], metadata_expr: str
) -> None:
    loaded = load_base(spec)
    assert (loaded.metadata_import, loaded.metadata_expr) == (metadata_import, metadata_expr)
    assert loaded.registry.mappers


def test_two_bases_pick_one() -> None:
    schema = build_schema("fixtures_models.two_bases:Two")
    assert [e.name for e in schema.entities] == ["Pear"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("fixtures_models.nope", "cannot import module 'fixtures_models.nope'"),
        ("no_such_package.models", "no module named 'no_such_package'"),
        ("fixtures_models.broken", "No module named 'sublimate_missing_dependency'"),
        (f"{SHOP}:Nope", f"module '{SHOP}' has no attribute 'Nope'"),
        (f"{SHOP}:Base.nope", f"module '{SHOP}' has no attribute 'Base.nope'"),
        ("fixtures_models.empty", "defines or imports no mapped classes"),
        ("fixtures_models.empty:Base", "has no mapped classes"),
        ("fixtures_models.two_bases", "2 registries (One, Two): name one"),
        (f"{SHOP}:Status", "not a declarative base or registry (got class Status)"),
        (f"{SHOP}:product_tags", "not a declarative base or registry (got Table)"),
        ("", "invalid models spec"),
        (":Base", "invalid models spec"),
        ("pkg.mod:", "invalid models spec"),
    ],
)
def test_load_base_errors(spec: str, message: str) -> None:
    with pytest.raises(IntrospectError) as caught:
        load_base(spec)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


# --- corners ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def edge() -> Schema:
    return build_schema("fixtures_models.edge")


def test_edge_entities_and_diagnostics(edge: Schema) -> None:
    assert [e.name for e in edge.entities] == ["Animal", "Keeper", "KeeperReport", "Place", "Shop"]
    assert [d.where for d in edge.diagnostics] == [
        "Keeper.dogs",
        "fixtures_models.edge:Dog",
        "keepers.site_id",
        "keepers.site_id",
    ]
    assert "relationship to Dog" in edge.diagnostics[0].message
    assert "ops.sites.id is not in the models' metadata" in edge.diagnostics[3].message


def test_view_is_not_writable(edge: Schema) -> None:
    report = edge.entity("KeeperReport")
    assert (report.kind, report.writable) == (EntityKind.VIEW, False)


def test_legacy_columns_and_expression_properties(edge: Schema) -> None:
    keeper = edge.entity("Keeper")
    assert [c.attr for c in keeper.columns] == ["id", "nickname", "badge", "site_id"]
    assert keeper.column("nickname").python_type == "str"  # plain `nickname: str`
    assert keeper.column("badge").python_type == "str"  # Mapped[Optional[str]]
    assert keeper.relations == ()  # the relationship to a skipped subclass is left out


def test_foreign_key_outside_the_metadata(edge: Schema) -> None:
    (fk,) = edge.entity("Keeper").foreign_keys
    assert (fk.target_entity, fk.target_schema, fk.target_table, fk.target_sql_columns) == (
        "",
        "ops",
        "sites",
        ("id",),
    )
    site_id = edge.entity("Keeper").column("site_id")
    assert site_id.python_type == "int"  # declared; the SQL type could not be inferred
    assert site_id.filter_kind is FilterKind.NONE


def test_concrete_subclass_reads_only_its_own_table(edge: Schema) -> None:
    shop = edge.entity("Shop")
    assert shop.table == "shops"
    assert [c.attr for c in shop.columns] == ["id", "name", "owner"]
    assert shop.column("id").server_generated
