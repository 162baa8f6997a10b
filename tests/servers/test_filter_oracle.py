"""Advanced Alchemy as the oracle of composable filters, where it has the same feature.

Its `MultiFilter` (a JSON tree of `and_`/`or_` groups of `CollectionFilter`, `ComparisonFilter`,
`NullFilter`...) and its `ExistsFilter`/`NotExistsFilter` (a correlated EXISTS of expressions the
caller writes, the join condition included) run through `SQLAlchemySyncRepository.list` on the
same rows as our `<M>Filter` trees, on SQLite, PostgreSQL and MariaDB: the rows must be the same.
Where the two differ on purpose (an empty `or`, an invalid condition), the difference itself is
asserted, so the README's list of differences cannot go stale.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from shop.db import CustomerFilter, OrderFilter, OrderRepository
from shop.db.dtos.order_line import OrderLineFilter
from shop.models import Base, Customer, Order, OrderLine
from sqlalchemy.orm import Session
from sublimate_runtime import NullableRangeFilter, RangeFilter, TextFilter, create_engine

from .test_filter_trees import shop

pytest.importorskip("advanced_alchemy")
from advanced_alchemy.filters import (
    CollectionFilter,
    ExistsFilter,
    MultiFilter,
    NotExistsFilter,
)
from advanced_alchemy.repository import SQLAlchemySyncRepository

D = Decimal


class AAOrders(SQLAlchemySyncRepository[Order]):
    model_type = Order


def comparison(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"type": "comparison", "field_name": field, "operator": operator, "value": value}


# name -> (Advanced Alchemy's filters, ours)
SAME: dict[str, tuple[list[Any], OrderFilter]] = {
    "or of columns": (
        [MultiFilter({"or_": [comparison("status", "eq", "new"), comparison("total", "gt", 45)]})],
        OrderFilter(
            or_=[OrderFilter(status=TextFilter(eq="new")), OrderFilter(total=RangeFilter(gt=D(45)))]
        ),
    ),
    "and of an or": (
        [
            MultiFilter(
                {
                    "and_": [
                        comparison("total", "ge", 20),
                        {
                            "or_": [
                                comparison("status", "eq", "paid"),
                                {"type": "null", "field_name": "delivery_window"},
                            ]
                        },
                    ]
                }
            )
        ],
        OrderFilter(
            and_=[
                OrderFilter(total=RangeFilter(ge=D(20))),
                OrderFilter(
                    or_=[
                        OrderFilter(status=TextFilter(eq="paid")),
                        OrderFilter(delivery_window=NullableRangeFilter(is_null=True)),
                    ]
                ),
            ]
        ),
    ),
    "collection, empty: nothing": (
        [CollectionFilter("status", [])],
        OrderFilter(status=TextFilter(in_=[])),
    ),
    "to-one as EXISTS": (
        [ExistsFilter([Customer.id == Order.customer_id, Customer.email.endswith("@x.com")])],
        OrderFilter(customer=CustomerFilter(email=TextFilter(endswith="@x.com"))),
    ),
    "to-many as NOT EXISTS": (
        [NotExistsFilter([OrderLine.order_id == Order.id, OrderLine.quantity >= 2])],
        OrderFilter(not_=OrderFilter(lines=OrderLineFilter(quantity=RangeFilter(ge=2)))),
    ),
    "EXISTS or'ed inside": (
        [
            ExistsFilter(
                [
                    Customer.id == Order.customer_id,
                    sa.or_(Customer.name == "Bob", Customer.note == "vip"),
                ]
            )
        ],
        OrderFilter(
            customer=CustomerFilter(
                or_=[
                    CustomerFilter(name=TextFilter(eq="Bob")),
                    CustomerFilter(note=TextFilter(eq="vip")),
                ]
            )
        ),
    ),
}


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def session(request: pytest.FixtureRequest, scratch_database: Any) -> Iterator[Session]:
    database = scratch_database(request.param, schema=True)
    engine = create_engine(database.url, connect_args=database.connect_args)
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        session.add_all(shop())
        session.commit()
        yield session
    engine.dispose()


def theirs(session: Session, filters: list[Any]) -> list[int]:
    return sorted(order.id for order in AAOrders(session=session).get_many(*filters))


def ours(session: Session, where: OrderFilter) -> list[int]:
    return [order.id for order in OrderRepository(session).list(where)]


def test_advanced_alchemy_and_our_filter_trees_agree(session: Session) -> None:
    every = ours(session, OrderFilter())
    for name, (their_filters, our_filter) in SAME.items():
        expected = theirs(session, their_filters)
        assert ours(session, our_filter) == expected, name
        if name != "collection, empty: nothing":
            assert 0 < len(expected) < len(every), name  # a case that tells something


def test_the_deliberate_differences(session: Session) -> None:
    every = ours(session, OrderFilter())
    # An empty `or` matches nothing here (an OR of no terms is false, as `in: []` is); Advanced
    # Alchemy leaves the group out, so it matches everything.
    assert ours(session, OrderFilter(or_=[])) == []
    assert theirs(session, [MultiFilter({"or_": []})]) == every
    # A condition Advanced Alchemy cannot build (an unknown filter type) is dropped silently
    # there; here an unknown key cannot be decoded at all (forbid_unknown_fields: a 400).
    unknown = {"or_": [{"type": "no_such_filter", "field_name": "id"}, comparison("id", "eq", 1)]}
    assert theirs(session, [MultiFilter(unknown)]) == [1]
    assert ours(session, OrderFilter(or_=[OrderFilter(id=RangeFilter(eq=1))])) == [1]
    # `not` is the complement of what its filter matches, NULL rows included; Advanced Alchemy
    # has no `not` group (only NotExistsFilter and per-field negations such as `ne`).
    windowed = OrderFilter(delivery_window=NullableRangeFilter(ge=datetime.time(12)))
    assert sorted(set(every) - set(ours(session, windowed))) == ours(
        session, OrderFilter(not_=windowed)
    )
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        msgspec.json.decode(b'{"or": [{"nope": {}}, {"id": {"eq": 1}}]}', type=OrderFilter)
