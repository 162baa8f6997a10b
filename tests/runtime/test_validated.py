"""``validated``: a DTO's ``Meta`` constraints checked as decoding would check them.

msgspec checks constraints when it decodes or converts, never in the constructor, so a DTO built
in Python can hold a value its own type forbids; services call ``validated`` before writing.
"""

from __future__ import annotations

import datetime
import decimal
import re
import uuid
from typing import Annotated

import msgspec
import pytest
from msgspec import UNSET, Meta, UnsetType
from sublimate_runtime import validated


class Inner(msgspec.Struct):
    code: Annotated[str, Meta(pattern="^[A-Z]+$")]


class Create(msgspec.Struct, kw_only=True):
    sku: Annotated[str, Meta(max_length=5)]
    qty: Annotated[int, Meta(ge=0, le=32767)] | UnsetType = UNSET
    price: decimal.Decimal = decimal.Decimal("1.50")
    at: datetime.datetime = datetime.datetime(2024, 1, 2, 3, 4, 5)
    key: uuid.UUID = uuid.UUID(int=7)
    blob: bytes = b"\x00\xff"


class Nested(msgspec.Struct):
    items: list[Inner]


class Free(msgspec.Struct):
    name: str
    at: datetime.datetime | None = None


class Subclassed(Create, kw_only=True):
    extra: str = "kept"


def test_the_constructor_does_not_check_constraints() -> None:
    assert Create(sku="toolong").sku == "toolong"  # why services must call validated()


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (Create(sku="toolong"), "$.sku"),
        (Create(sku="ok", qty=70000), "$.qty"),
        (Create(sku="ok", qty=-1), "$.qty"),
        (Nested([Inner("AB"), Inner("a1")]), "$.items[1].code"),
        (Subclassed(sku="toolong"), "$.sku"),
    ],
)
def test_a_broken_constraint_names_the_field(data: msgspec.Struct, where: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=f"at `{re.escape(where)}`"):
        validated(data)


def test_valid_data_comes_back_equal_with_its_values_untouched() -> None:
    data = Subclassed(sku="ok", qty=3)
    checked = validated(data)
    assert checked == data and type(checked) is Subclassed
    for name in data.__struct_fields__:
        assert type(getattr(checked, name)) is type(getattr(data, name))
    assert checked.qty == 3 and checked.extra == "kept"


def test_a_type_without_constraints_is_returned_as_it_is() -> None:
    data = Free("x", datetime.datetime(2024, 1, 1))
    assert validated(data) is data
