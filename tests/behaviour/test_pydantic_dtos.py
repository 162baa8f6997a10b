"""`dto = "pydantic"`: the services of the golden case tests/golden/pydantic_on (the shop's models,
pydantic v2 DTOs) on SQLite and PostgreSQL, sync and async: the same behaviour as the msgspec
flavour (test_services.py), Update's "absent differs from None" included, and the Filter's
tree with its limits."""

from __future__ import annotations

import datetime
import sys
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

CASE = Path(__file__).resolve().parents[1] / "golden" / "pydantic_on"
if str(CASE) not in sys.path:
    sys.path.insert(0, str(CASE))

import pydantic  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from pyshop.db import (  # noqa: E402
    AsyncCustomerService,
    AsyncOrderService,
    AsyncProductService,
    CustomerCreate,
    CustomerFilter,
    CustomerOrder,
    CustomerRead,
    CustomerService,
    CustomerUpdate,
    OrderCreate,
    OrderService,
    ProductCreate,
    ProductFilter,
    ProductService,
)
from pyshop.db.dtos.order import OrderFilter  # noqa: E402
from pyshop.models import Base, Customer  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from sublimate_runtime import NotFoundError, create_async_engine, create_engine  # noqa: E402
from sublimate_runtime.pydantic_dto import UNSET, RangeFilter, TextFilter  # noqa: E402

from ._support import aw  # noqa: E402

KINDS = ("sqlite", "aiosqlite", "postgresql-psycopg", "postgresql-asyncpg")


class PyDb:
    def __init__(self, engine: sa.Engine | AsyncEngine) -> None:
        self.engine = engine
        self.is_async = isinstance(engine, AsyncEngine)
        self.session: Any = (
            AsyncSession(engine, expire_on_commit=False)
            if isinstance(engine, AsyncEngine)
            else Session(engine, expire_on_commit=False)
        )

    def customers(self) -> Any:
        return (AsyncCustomerService if self.is_async else CustomerService)(self.session)

    def orders(self) -> Any:
        return (AsyncOrderService if self.is_async else OrderService)(self.session)

    def products(self) -> Any:
        return (AsyncProductService if self.is_async else ProductService)(self.session)


@pytest.fixture(params=KINDS)
async def pdb(
    request: pytest.FixtureRequest, tmp_path: Path, scratch_database: Any
) -> AsyncIterator[PyDb]:
    kind: str = request.param
    engine: sa.Engine | AsyncEngine
    if kind.startswith("postgresql"):
        scratch = scratch_database("postgresql", schema=True)
        if kind.endswith("asyncpg"):
            engine = create_async_engine(scratch.async_url, connect_args=scratch.async_connect_args)
        else:
            engine = create_engine(scratch.url, connect_args=scratch.connect_args)
    elif kind == "aiosqlite":
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    else:
        engine = create_engine(f"sqlite+pysqlite:///{tmp_path / 'p.db'}")
    if isinstance(engine, AsyncEngine):
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
    else:
        Base.metadata.create_all(engine)
    db = PyDb(engine)
    try:
        yield db
    finally:
        await aw(db.session.close())
        await aw(engine.dispose())


def customer_in(name: str, **values: Any) -> CustomerCreate:
    return CustomerCreate(email=f"{name.lower()}@example.com", name=name, **values)


async def test_create_get_list_update_upsert_delete(pdb: PyDb) -> None:
    service = pdb.customers()
    ann = await aw(service.create(customer_in("Ann", note="vip")))
    assert isinstance(ann, CustomerRead)
    assert (ann.name, ann.note, ann.birthday) == ("Ann", "vip", None)
    assert isinstance(ann.id, uuid.UUID) and ann.created_at is not None  # server defaults
    await aw(service.create_many([customer_in(n) for n in ("Dora", "Bob", "Carl")]))
    assert await aw(service.get(ann.id)) == ann
    # The row path: Read models built from column rows (no ORM objects), which encode to JSON.
    reader = type(service)._rows
    assert reader is not None and reader.plan is not None
    page = await aw(service.list(order_by=CustomerOrder.NAME, limit=2, offset=1))
    assert [c.name for c in page.items] == ["Bob", "Carl"]
    assert all(type(c) is CustomerRead for c in page.items)
    assert (page.total, page.limit, page.offset) == (4, 2, 1)
    assert CustomerRead.model_validate_json(page.items[0].model_dump_json()) == page.items[0]
    after = await aw(service.list_after(None, 3, order_by=[CustomerOrder.NAME_DESC]))
    assert [c.name for c in after.items] == ["Dora", "Carl", "Bob"]
    # Update: an absent field is left alone, null sets NULL, null for NOT NULL is refused.
    renamed = await aw(service.update(ann.id, CustomerUpdate(name="Ann B.")))
    assert (renamed.name, renamed.note) == ("Ann B.", "vip")
    patch = CustomerUpdate.model_validate_json(b'{"note": null}')
    assert patch.name is UNSET and patch.note is None
    cleared = await aw(service.update(ann.id, patch))
    assert (cleared.name, cleared.note) == ("Ann B.", None)
    with pytest.raises(pydantic.ValidationError, match="name"):
        CustomerUpdate.model_validate_json(b'{"name": null}')
    again = await aw(
        service.upsert(CustomerCreate(email="ann@example.com", name="Ann C."), on="email")
    )
    assert (again.id, again.name) == (ann.id, "Ann C.")
    deleted = await aw(service.delete(ann.id))
    assert deleted.id == ann.id
    with pytest.raises(NotFoundError):
        await aw(service.get(ann.id))
    assert await aw(service.count()) == 3


async def test_filter_tree_and_relationships(pdb: PyDb) -> None:
    customers = pdb.customers()
    ann, bob, _ = await aw(customers.create_many([customer_in(n) for n in ("Ann", "Bob", "Cy")]))
    placed = datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC)
    await aw(
        pdb.orders().create(OrderCreate(customer_id=bob.id, placed_at=placed, total=Decimal(5)))
    )
    wire = CustomerFilter.model_validate_json(
        b'{"or": [{"name": {"eq": "Ann"}}, {"orders": {"total": {"ge": "5"}}}],'
        b' "not": {"email": {"in": ["cy@example.com"]}}}'
    )
    found = await aw(customers.list(wire, order_by=CustomerOrder.NAME))
    assert [c.name for c in found.items] == ["Ann", "Bob"]
    built = CustomerFilter(
        and_=[CustomerFilter(name=TextFilter(startswith="B"))],
        orders=OrderFilter(total=RangeFilter[Decimal](lt=Decimal(9))),
    )
    assert [c.id for c in (await aw(customers.list(built))).items] == [bob.id]
    assert await aw(customers.count(CustomerFilter(not_=CustomerFilter()))) == 0
    assert ann.id not in [c.id for c in (await aw(customers.list(built))).items]


def test_filter_limits_are_validation_errors() -> None:
    deep = b'{"not": ' * 7 + b"{}" + b"}" * 7
    with pytest.raises(pydantic.ValidationError, match="filters nest deeper than 6 levels"):
        CustomerFilter.model_validate_json(deep)
    wide = b'{"or": [' + b",".join([b'{"name": {"eq": "x"}}'] * 150) + b"]}"
    with pytest.raises(pydantic.ValidationError, match="more than 200 filters"):
        CustomerFilter.model_validate_json(wide)
    with pytest.raises(pydantic.ValidationError, match="extra"):
        CustomerFilter.model_validate_json(b'{"name": {"regex": "."}}')
    with pytest.raises(pydantic.ValidationError, match="finite"):
        ProductFilter.model_validate_json(b'{"price": {"eq": "NaN"}}')


def test_create_bounds_name_the_field() -> None:
    cases = {
        b'{"email": "a@b.c", "name": "' + b"x" * 101 + b'"}': "at most 100 characters",
        b'{"email": "a@b.c", "name": "a\\u0000"}': "pattern",
        b'{"email": "a@b.c", "name": "A", "created_at": "2024-01-01T00:00:00"}': "timezone",
        b'{"email": "a@b.c", "name": "A", "vip": true}': "Extra inputs",
        b'{"name": "A"}': "Field required",
    }
    for body, message in cases.items():
        with pytest.raises(pydantic.ValidationError, match=message):
            CustomerCreate.model_validate_json(body)
    with pytest.raises(pydantic.ValidationError, match="price"):
        ProductCreate(sku="s", name="n", price=Decimal("123456789.00"))


async def test_a_hook_result_is_validated_again_before_any_sql(pdb: PyDb) -> None:
    """pydantic validates on construction, but `model_copy(update=...)` does not: the service
    validates what `before_create` returns, as it does for msgspec Structs."""

    class Hooked(CustomerService):
        def before_create(self, data: CustomerCreate) -> CustomerCreate:
            return data.model_copy(update={"name": "x" * 101})

    if pdb.is_async:
        return
    with pytest.raises(pydantic.ValidationError, match="name"):
        Hooked(pdb.session).create(customer_in("Ann"))
    assert await aw(pdb.customers().count()) == 0
    assert pdb.session.get(Customer, uuid.uuid4()) is None


async def test_product_decimal_and_json_columns(pdb: PyDb) -> None:
    products = pdb.products()
    made = await aw(products.create(ProductCreate(sku="A-1", name="Lamp", price=Decimal("9.50"))))
    assert made.price == Decimal("9.50") and made.attributes == {} and made.is_featured is False
    got = await aw(products.list(ProductFilter(price=RangeFilter[Decimal](gt=Decimal(9)))))
    assert [p.sku for p in got.items] == ["A-1"]
    assert '"price":"9.50"' in got.items[0].model_dump_json()
