"""The generated msgspec DTOs: what they accept, reject and default (no database needed)."""

from __future__ import annotations

import datetime
import typing
import uuid
from decimal import Decimal

import msgspec
import pytest
from msgspec import UNSET
from shop.db import (
    CustomerCreate,
    CustomerFilter,
    CustomerOrder,
    CustomerRead,
    CustomerUpdate,
    OrderLineCreate,
    OrderLineUpdate,
    OrderOrder,
    ProductCreate,
    ProductFilter,
    ProductOrder,
    ProductRead,
    ProductUpdate,
    TagCreate,
)
from shop.db.dtos.category import CategoryKey
from shop.db.dtos.customer import CustomerKey
from shop.db.dtos.product import ProductKey
from shop.models import ProductStatus


def fields(struct: type[msgspec.Struct]) -> set[str]:
    return set(struct.__struct_fields__)


def test_customer_create_decodes_valid_json_and_leaves_defaults_unset() -> None:
    dto = msgspec.json.decode(
        b'{"email": "ann@example.com", "name": "Ann", "birthday": "1990-05-17"}',
        type=CustomerCreate,
    )
    assert dto.email == "ann@example.com"
    assert dto.name == "Ann"
    assert dto.birthday == datetime.date(1990, 5, 17)
    assert dto.note is None  # nullable, no default: None
    assert dto.id is UNSET  # Python-side default (uuid4): left to the model
    assert dto.created_at is UNSET  # server default: left to the database


def test_customer_create_rejects_an_unknown_field() -> None:
    with pytest.raises(msgspec.ValidationError, match="is_admin"):
        msgspec.json.decode(
            b'{"email": "ann@example.com", "name": "Ann", "is_admin": true}',
            type=CustomerCreate,
        )


def test_customer_create_rejects_a_too_long_email() -> None:
    email = "a" * 309 + "@example.com"  # 321 characters, one more than String(320)
    assert len(email) == 321
    payload = msgspec.json.encode({"email": email, "name": "Ann"})
    with pytest.raises(msgspec.ValidationError, match="email"):
        msgspec.json.decode(payload, type=CustomerCreate)
    at_the_limit = msgspec.json.encode({"email": email[1:], "name": "Ann"})
    assert msgspec.json.decode(at_the_limit, type=CustomerCreate).email == email[1:]


def test_customer_create_requires_not_null_columns_without_default() -> None:
    with pytest.raises(msgspec.ValidationError, match="name"):
        msgspec.json.decode(b'{"email": "ann@example.com"}', type=CustomerCreate)


def test_customer_create_rejects_wrong_types() -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"email": 42, "name": "Ann"}', type=CustomerCreate)
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(
            b'{"email": "a@example.com", "name": "Ann", "id": "not-a-uuid"}',
            type=CustomerCreate,
        )


def test_customer_update_tells_unset_from_null() -> None:
    dto = msgspec.json.decode(b'{"note": null}', type=CustomerUpdate)
    assert dto.note is None
    assert dto.name is UNSET
    assert dto.email is UNSET
    empty = msgspec.json.decode(b"{}", type=CustomerUpdate)
    assert all(getattr(empty, name) is UNSET for name in CustomerUpdate.__struct_fields__)
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"nickname": "x"}', type=CustomerUpdate)
    with pytest.raises(msgspec.ValidationError):
        # name is NOT NULL: null is not a value an update may set
        msgspec.json.decode(b'{"name": null}', type=CustomerUpdate)


def test_update_structs_hold_no_primary_key() -> None:
    assert "id" not in fields(CustomerUpdate)
    assert "id" not in fields(ProductUpdate)
    assert {"order_id", "line_no"}.isdisjoint(fields(OrderLineUpdate))
    assert {"product_id", "quantity", "unit_price"} <= fields(OrderLineUpdate)


def test_create_structs_skip_server_generated_keys_only() -> None:
    assert "id" not in fields(ProductCreate)  # autoincrement
    assert "id" not in fields(TagCreate)
    assert "id" in fields(CustomerCreate)  # client-side uuid4 default: the caller may choose
    assert {"order_id", "line_no"} <= fields(OrderLineCreate)  # composite, not generated


def test_product_create_defaults_and_enum() -> None:
    dto = msgspec.json.decode(
        b'{"sku": "TEE-1", "name": "Tee", "price": "19.99", "status": "draft"}',
        type=ProductCreate,
    )
    assert dto.price == Decimal("19.99")
    assert dto.status is ProductStatus.DRAFT
    assert dto.attributes is UNSET
    assert dto.is_featured is UNSET
    assert dto.category_id is None
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(
            b'{"sku": "TEE-1", "name": "Tee", "price": "1", "status": "sold"}',
            type=ProductCreate,
        )
    with pytest.raises(msgspec.ValidationError, match="sku"):
        msgspec.json.decode(
            msgspec.json.encode({"sku": "x" * 41, "name": "Tee", "price": "1"}),
            type=ProductCreate,
        )


def test_read_structs_encode_to_json_and_back() -> None:
    read = CustomerRead(
        id=uuid.UUID(int=7),
        email="ann@example.com",
        name="Ann",
        created_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
        birthday=None,
        note=None,
    )
    assert msgspec.json.decode(msgspec.json.encode(read), type=CustomerRead) == read

    product = ProductRead(
        id=1,
        sku="TEE-1",
        name="Tee",
        price=Decimal("19.99"),
        status=ProductStatus.ACTIVE,
        attributes={"color": "red"},
        category_id=None,
        weight=None,
        is_featured=False,
        warranty=datetime.timedelta(days=30),
        thumbnail=b"\x89PNG",
    )
    assert msgspec.json.decode(msgspec.json.encode(product), type=ProductRead) == product


def test_filters_decode_from_untrusted_json() -> None:
    where = msgspec.json.decode(
        b'{"email": {"ilike": "%@example.com"}, "note": {"is_null": true}}', type=CustomerFilter
    )
    assert where.email is not None and where.email.ilike == "%@example.com"
    assert where.note is not None and where.note.is_null is True
    assert where.name is None
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"password": {"eq": "x"}}', type=CustomerFilter)
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"price": {"ge": "cheap"}}', type=ProductFilter)
    assert "attributes" not in fields(ProductFilter)  # JSON: not filterable
    assert "thumbnail" not in fields(ProductFilter)  # binary: not filterable


def test_order_enums_name_columns_and_directions() -> None:
    assert CustomerOrder.EMAIL == "email"
    assert CustomerOrder.EMAIL_DESC == "-email"
    assert CustomerOrder("-created_at") is CustomerOrder.CREATED_AT_DESC
    assert ProductOrder.PRICE_DESC == "-price"
    assert OrderOrder.PLACED_AT == "placed_at"
    assert "attributes" not in {o.value for o in ProductOrder}


def test_key_literals_list_the_unique_keys() -> None:
    assert set(typing.get_args(CustomerKey)) == {"id", "email"}
    assert set(typing.get_args(ProductKey)) == {"id", "sku"}
    assert set(typing.get_args(CategoryKey)) == {"id", "parent_id_and_name"}
