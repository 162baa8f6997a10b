"""Filter structs: the rows they select on real databases, and how msgspec decodes them."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from sqlalchemy import Engine, String, and_, select
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Mapped, mapped_column
from sublimate_runtime import (
    EqFilter,
    NullableEqFilter,
    NullableRangeFilter,
    NullableTextFilter,
    RangeFilter,
    TextFilter,
    session_factory,
)


class Base(DeclarativeBase):
    pass


class Product(Base):
    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    price: Mapped[int]
    note: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool | None]
    stock: Mapped[int | None]


def _rows() -> list[Product]:
    return [
        Product(id=1, name="100% cotton", price=10, note=None, active=True, stock=0),
        Product(id=2, name="50_50 blend", price=20, note="n", active=False, stock=None),
        Product(id=3, name="A_B", price=30, note="x%y", active=None, stock=7),
        Product(id=4, name="AxB", price=40, note=None, active=True, stock=3),
        Product(id=5, name="plain", price=50, note="plain", active=False, stock=None),
        Product(id=6, name="x/y", price=60, note="back\\slash", active=None, stock=12),
    ]


Filter = EqFilter[Any] | NullableEqFilter[Any]
CASES: dict[str, tuple[InstrumentedAttribute[Any], Filter, list[int]]] = {
    "range": (Product.price, RangeFilter[int](gt=20, le=50), [3, 4, 5]),
    "eq": (Product.price, RangeFilter[int](eq=20), [2]),
    "ne+not_in": (Product.price, EqFilter[int](ne=10, not_in=[20, 30]), [4, 5, 6]),
    "in": (Product.price, EqFilter[int](in_=[10, 60, 99]), [1, 6]),
    "in empty": (Product.price, EqFilter[int](in_=[]), []),
    "not_in empty": (Product.price, EqFilter[int](not_in=[]), [1, 2, 3, 4, 5, 6]),
    "startswith %": (Product.name, TextFilter(startswith="100%"), [1]),
    "startswith _": (Product.name, TextFilter(startswith="50_"), [2]),
    "startswith no wildcard": (Product.name, TextFilter(startswith="5%"), []),
    "contains _": (Product.name, TextFilter(contains="_"), [2, 3]),
    "contains %": (Product.name, TextFilter(contains="%"), [1]),
    "contains escape char": (Product.name, TextFilter(contains="/"), [6]),
    "endswith _B": (Product.name, TextFilter(endswith="_B"), [3]),
    "like wildcard": (Product.name, TextFilter(like="A_B"), [3, 4]),
    "like escaped": (Product.name, TextFilter(like="A\\_B"), [3]),
    "like escaped %": (Product.name, TextFilter(like="%\\%%"), [1]),
    "ilike": (Product.name, TextFilter(ilike="%COTTON"), [1]),
    "ilike + startswith": (Product.name, TextFilter(ilike="a%", startswith="A"), [3, 4]),
    "text in": (Product.name, TextFilter(in_=["plain", "AxB"]), [4, 5]),
    "is_null": (Product.note, NullableTextFilter(is_null=True), [1, 4]),
    "is not null": (Product.note, NullableTextFilter(is_null=False), [2, 3, 5, 6]),
    "nullable contains %": (Product.note, NullableTextFilter(contains="%"), [3]),
    "nullable contains \\": (Product.note, NullableTextFilter(contains="\\"), [6]),
    "nullable ne": (Product.note, NullableTextFilter(ne="n"), [3, 5, 6]),
    "bool eq": (Product.active, NullableEqFilter[bool](eq=True), [1, 4]),
    "bool is_null": (Product.active, NullableEqFilter[bool](is_null=True), [3, 6]),
    "range + not null": (Product.stock, NullableRangeFilter[int](lt=10, is_null=False), [1, 3, 4]),
    "range on null": (Product.stock, NullableRangeFilter[int](ge=5), [3, 6]),
    "nothing set": (Product.stock, NullableRangeFilter[int](), [1, 2, 3, 4, 5, 6]),
}


@pytest.mark.parametrize("database", ["sqlite", "postgresql", "mysql"], indirect=True)
def test_filters_select_rows(engine: Engine) -> None:
    Base.metadata.create_all(engine)
    factory = session_factory(engine)
    with factory.begin() as session:
        session.add_all(_rows())
    results: dict[str, list[int]] = {}
    with factory() as session:
        for name, (column, filter_, _) in CASES.items():
            statement = select(Product.id).where(and_(True, *filter_.conditions(column)))
            results[name] = list(session.scalars(statement.order_by(Product.id)))
    assert results == {name: expected for name, (_, _, expected) in CASES.items()}


def test_conditions_on_a_core_column() -> None:
    column = Product.__table__.c.price
    assert len(RangeFilter[int](gt=1, lt=5, in_=[2]).conditions(column)) == 3


class CustomerFilter(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: TextFilter | None = None
    age: RangeFilter[int] | None = None
    vip: NullableEqFilter[bool] | None = None


def test_decode_from_json() -> None:
    raw = (
        b'{"email": {"ilike": "%@x.org", "in": ["a@x.org"]},'
        b' "age": {"gt": 3}, "vip": {"is_null": true}}'
    )
    decoded = msgspec.json.decode(raw, type=CustomerFilter)
    assert decoded == CustomerFilter(
        email=TextFilter(ilike="%@x.org", in_=["a@x.org"]),
        age=RangeFilter[int](gt=3),
        vip=NullableEqFilter[bool](is_null=True),
    )
    assert msgspec.json.encode(decoded.email) == b'{"in":["a@x.org"],"ilike":"%@x.org"}'
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        msgspec.json.decode(b'{"email": {"regex": "."}}', type=CustomerFilter)
    with pytest.raises(msgspec.ValidationError, match="Expected `int`"):
        msgspec.json.decode(b'{"age": {"gt": "3"}}', type=CustomerFilter)
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        msgspec.json.decode(b'{"age": {"is_null": true}}', type=CustomerFilter)
