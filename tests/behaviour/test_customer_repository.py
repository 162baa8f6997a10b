"""CustomerRepository / AsyncCustomerRepository: a UUID key, a unique email, a server default."""

from __future__ import annotations

import datetime
import uuid

import msgspec
import pytest
import sqlalchemy as sa
from msgspec import UNSET
from shop.db import CustomerFilter, CustomerOrder, CustomerUpdate
from shop.models import Customer, Order
from sublimate_runtime import (
    ConflictError,
    ForeignKeyError,
    InvalidCursorError,
    NotFoundError,
    RangeFilter,
    TextFilter,
)

from ._support import Db, at, aw, in_key_order, keys, new_customer, utc, walk_keyset


async def seed_customers(db: Db) -> list[Customer]:
    return await db.seed(
        new_customer("Ann", email="ann@example.com", created_at=at(2024, 1, 1), note="vip"),
        new_customer("Bob", email="bob@EXAMPLE.com", created_at=at(2024, 2, 1)),
        new_customer(
            "Carl",
            email="carl@other.org",
            created_at=at(2024, 3, 1),
            birthday=datetime.date(1990, 5, 17),
        ),
        new_customer("Dora", email="dora@example.com", created_at=at(2024, 4, 1), note="call"),
    )


def where(**fields: object) -> CustomerFilter:
    """A filter built the way an API would from query parameters (covers Nullable* filters)."""
    return msgspec.convert(fields, CustomerFilter)


# --- add / get -----------------------------------------------------------------------------


async def test_add_returns_the_row_with_its_defaults(db: Db) -> None:
    repo = db.repo(Customer)
    customer = await aw(repo.add(Customer(email="ann@example.com", name="Ann")))
    assert isinstance(customer, Customer)
    assert isinstance(customer.id, uuid.UUID)  # Python-side default
    assert isinstance(customer.created_at, datetime.datetime)  # server default, via RETURNING
    now = datetime.datetime.now(datetime.UTC)
    assert abs(utc(customer.created_at) - now) < datetime.timedelta(minutes=10)
    assert customer.note is None
    assert await db.column(Customer.email) == ["ann@example.com"]


async def test_add_round_trips_every_column_type(db: Db) -> None:
    repo = db.repo(Customer)
    chosen = uuid.uuid4()
    await aw(
        repo.add(
            Customer(
                id=chosen,
                email="ann@example.com",
                name="Ann",
                created_at=at(2023, 6, 30, 8),
                birthday=datetime.date(1990, 5, 17),
                note="likes \N{SNOWMAN} and 'quotes'",
            )
        )
    )
    await db.commit()
    db.forget()
    customer = await aw(repo.get(chosen))
    assert customer.id == chosen
    assert utc(customer.created_at) == at(2023, 6, 30, 8)
    assert customer.birthday == datetime.date(1990, 5, 17)
    assert type(customer.birthday) is datetime.date
    assert customer.note == "likes \N{SNOWMAN} and 'quotes'"


async def test_get_finds_by_primary_key_and_raises_not_found(db: Db) -> None:
    ann, *_ = await seed_customers(db)
    repo = db.repo(Customer)
    db.forget()
    found = await aw(repo.get(ann.id))
    assert (found.id, found.email, found.name) == (ann.id, "ann@example.com", "Ann")
    with pytest.raises(NotFoundError):
        await aw(repo.get(uuid.uuid4()))


async def test_get_by_email(db: Db) -> None:
    await seed_customers(db)
    repo = db.repo(Customer)
    bob = await aw(repo.get_by_email("bob@EXAMPLE.com"))
    assert bob is not None and bob.name == "Bob"
    assert await aw(repo.get_by_email("nobody@example.com")) is None


async def test_get_one_or_none_with_a_filter_or_an_expression(db: Db) -> None:
    await seed_customers(db)
    repo = db.repo(Customer)
    carl = await aw(repo.get_one_or_none(CustomerFilter(name=TextFilter(eq="Carl"))))
    assert carl is not None and carl.email == "carl@other.org"
    dora = await aw(repo.get_one_or_none(Customer.note == "call"))
    assert dora is not None and dora.name == "Dora"
    assert await aw(repo.get_one_or_none(CustomerFilter(name=TextFilter(eq="Zoe")))) is None


# --- list / filters / order ----------------------------------------------------------------


async def test_list_without_arguments_returns_every_row_in_key_order(db: Db) -> None:
    customers = await seed_customers(db)
    listed = await aw(db.repo(Customer).list())
    assert keys(listed, "id") == in_key_order(db, (c.id for c in customers))


async def test_list_orders_by_generated_order_values(db: Db) -> None:
    await seed_customers(db)
    repo = db.repo(Customer)
    by_email = await aw(repo.list(order_by=CustomerOrder.EMAIL))
    assert keys(by_email, "name") == ["Ann", "Bob", "Carl", "Dora"]
    by_email_desc = await aw(repo.list(order_by=CustomerOrder.EMAIL_DESC))
    assert keys(by_email_desc, "name") == ["Dora", "Carl", "Bob", "Ann"]
    newest_first = await aw(repo.list(order_by=[CustomerOrder.CREATED_AT_DESC]))
    assert keys(newest_first, "name") == ["Dora", "Carl", "Bob", "Ann"]


async def test_list_limit_and_offset(db: Db) -> None:
    await seed_customers(db)
    repo = db.repo(Customer)
    page = await aw(repo.list(order_by=CustomerOrder.NAME, limit=2, offset=1))
    assert keys(page, "name") == ["Bob", "Carl"]
    assert keys(await aw(repo.list(order_by=CustomerOrder.NAME, offset=3)), "name") == ["Dora"]
    assert await aw(repo.list(order_by=CustomerOrder.NAME, limit=0)) == []


async def test_list_filters_eq_ne_in(db: Db) -> None:
    await seed_customers(db)
    repo = db.repo(Customer)
    order = CustomerOrder.NAME
    eq = await aw(repo.list(CustomerFilter(name=TextFilter(eq="Bob")), order_by=order))
    assert keys(eq, "name") == ["Bob"]
    ne = await aw(repo.list(CustomerFilter(name=TextFilter(ne="Bob")), order_by=order))
    assert keys(ne, "name") == ["Ann", "Carl", "Dora"]
    in_ = await aw(
        repo.list(
            CustomerFilter(email=TextFilter(in_=["ann@example.com", "carl@other.org", "x@y.z"])),
            order_by=order,
        )
    )
    assert keys(in_, "name") == ["Ann", "Carl"]
    not_in = await aw(
        repo.list(CustomerFilter(name=TextFilter(not_in=["Ann", "Dora"])), order_by=order)
    )
    assert keys(not_in, "name") == ["Bob", "Carl"]


async def test_list_filters_text_patterns(db: Db) -> None:
    await seed_customers(db)
    repo = db.repo(Customer)
    order = CustomerOrder.NAME
    ilike = await aw(
        repo.list(CustomerFilter(email=TextFilter(ilike="%@EXAMPLE.COM")), order_by=order)
    )
    assert keys(ilike, "name") == ["Ann", "Bob", "Dora"]
    starts = await aw(repo.list(CustomerFilter(email=TextFilter(startswith="ca")), order_by=order))
    assert keys(starts, "name") == ["Carl"]
    contains = await aw(
        repo.list(CustomerFilter(email=TextFilter(contains="@other.")), order_by=order)
    )
    assert keys(contains, "name") == ["Carl"]


async def test_list_filters_is_null_on_a_nullable_column(db: Db) -> None:
    await seed_customers(db)
    repo = db.repo(Customer)
    order = CustomerOrder.NAME
    without = await aw(repo.list(where(note={"is_null": True}), order_by=order))
    assert keys(without, "name") == ["Bob", "Carl"]
    with_note = await aw(repo.list(where(note={"is_null": False}), order_by=order))
    assert keys(with_note, "name") == ["Ann", "Dora"]
    born = await aw(repo.list(where(birthday={"is_null": False})))
    assert keys(born, "name") == ["Carl"]


async def test_list_filters_a_datetime_range(db: Db) -> None:
    await seed_customers(db)
    repo = db.repo(Customer)
    february_to_march = CustomerFilter(
        created_at=RangeFilter(ge=at(2024, 2, 1), lt=at(2024, 3, 15))
    )
    found = await aw(repo.list(february_to_march, order_by=CustomerOrder.CREATED_AT))
    assert keys(found, "name") == ["Bob", "Carl"]
    after = CustomerFilter(created_at=RangeFilter(gt=at(2024, 2, 1)))
    assert keys(await aw(repo.list(after, order_by=CustomerOrder.NAME)), "name") == [
        "Carl",
        "Dora",
    ]
    until = CustomerFilter(created_at=RangeFilter(le=at(2024, 2, 1)))
    assert keys(await aw(repo.list(until, order_by=CustomerOrder.NAME)), "name") == [
        "Ann",
        "Bob",
    ]


async def test_list_combines_filters_and_expressions(db: Db) -> None:
    await seed_customers(db)
    repo = db.repo(Customer)
    both_fields = CustomerFilter(
        email=TextFilter(ilike="%@example.com"), created_at=RangeFilter(gt=at(2024, 1, 15))
    )
    found = await aw(repo.list(both_fields, order_by=CustomerOrder.NAME))
    assert keys(found, "name") == ["Bob", "Dora"]
    mixed = [both_fields, Customer.name != "Bob"]
    assert keys(await aw(repo.list(mixed)), "name") == ["Dora"]
    plain = await aw(repo.list(Customer.name.in_(["Ann", "Carl"]), order_by=CustomerOrder.NAME))
    assert keys(plain, "name") == ["Ann", "Carl"]
    everything = await aw(repo.list(CustomerFilter()))
    assert len(everything) == 4


async def test_list_and_count_returns_a_page_and_the_total(db: Db) -> None:
    await seed_customers(db)
    repo = db.repo(Customer)
    items, total = await aw(
        repo.list_and_count(
            CustomerFilter(email=TextFilter(ilike="%@example.com")),
            order_by=CustomerOrder.NAME_DESC,
            limit=2,
            offset=1,
        )
    )
    assert total == 3
    assert keys(items, "name") == ["Bob", "Ann"]
    assert all(isinstance(item, Customer) for item in items)
    everything, total = await aw(repo.list_and_count())
    assert (len(everything), total) == (4, 4)


async def test_count_and_exists(db: Db) -> None:
    repo = db.repo(Customer)
    assert await aw(repo.count()) == 0
    assert await aw(repo.exists()) is False
    await seed_customers(db)
    assert await aw(repo.count()) == 4
    assert await aw(repo.count(CustomerFilter(email=TextFilter(ilike="%@example.com")))) == 3
    assert await aw(repo.count(Customer.name == "Nobody")) == 0
    assert await aw(repo.exists()) is True
    assert await aw(repo.exists(CustomerFilter(name=TextFilter(eq="Carl")))) is True
    assert await aw(repo.exists(where(note={"eq": "nope"}))) is False


# --- update -------------------------------------------------------------------------------


async def test_update_touches_only_the_fields_that_are_set(db: Db) -> None:
    ann, bob, *_ = await seed_customers(db)
    repo = db.repo(Customer)
    updated = await aw(repo.update(ann.id, CustomerUpdate(name="Ann B.")))
    assert updated.id == ann.id
    assert (updated.name, updated.email, updated.note) == ("Ann B.", "ann@example.com", "vip")
    assert utc(updated.created_at) == at(2024, 1, 1)
    await db.commit()
    assert await db.column(Customer.name, Customer.id == ann.id) == ["Ann B."]
    assert await db.column(Customer.note, Customer.id == ann.id) == ["vip"]
    assert await db.column(Customer.name, Customer.id == bob.id) == ["Bob"]  # other rows alone


async def test_update_none_clears_and_unset_keeps(db: Db) -> None:
    ann, *_ = await seed_customers(db)
    repo = db.repo(Customer)
    kept = await aw(repo.update(ann.id, CustomerUpdate(note=UNSET, name="Ann")))
    assert kept.note == "vip"
    cleared = await aw(repo.update(ann.id, CustomerUpdate(note=None)))
    assert cleared.note is None
    assert cleared.name == "Ann"
    await db.commit()
    assert await db.column(Customer.note, Customer.id == ann.id) == [None]


async def test_update_with_nothing_set_returns_the_row_unchanged(db: Db) -> None:
    ann, *_ = await seed_customers(db)
    repo = db.repo(Customer)
    same = await aw(repo.update(ann.id, CustomerUpdate()))
    assert (same.id, same.name, same.note) == (ann.id, "Ann", "vip")
    with pytest.raises(NotFoundError):
        await aw(repo.update(uuid.uuid4(), CustomerUpdate()))


async def test_update_missing_row_raises_not_found(db: Db) -> None:
    await seed_customers(db)
    with pytest.raises(NotFoundError):
        await aw(db.repo(Customer).update(uuid.uuid4(), CustomerUpdate(name="Ghost")))
    assert await db.rows(Customer) == 4


async def test_update_to_a_taken_email_raises_conflict(db: Db) -> None:
    _, bob, *_ = await seed_customers(db)
    bob_id = bob.id  # a failed write rolls the session back: loaded objects expire
    repo = db.repo(Customer)
    with pytest.raises(ConflictError) as caught:
        await aw(repo.update(bob_id, CustomerUpdate(email="ann@example.com")))
    assert caught.value.columns == ("email",)
    assert await db.column(Customer.email, Customer.id == bob_id) == ["bob@EXAMPLE.com"]


async def test_update_many_applies_each_objects_values(db: Db) -> None:
    await seed_customers(db)
    repo = db.repo(Customer)
    ann, bob, carl, _ = await aw(repo.list(order_by=CustomerOrder.NAME))
    db.forget()  # the objects now carry their key and new values, detached
    ann.name, bob.note = "Ann Updated", "new note"
    updated = await aw(repo.update_many([ann, bob]))
    assert sorted(keys(updated, "name")) == ["Ann Updated", "Bob"]
    await db.commit()
    assert await db.column(Customer.name, Customer.id == ann.id) == ["Ann Updated"]
    assert await db.column(Customer.note, Customer.id == bob.id) == ["new note"]
    assert await db.column(Customer.name, Customer.id == carl.id) == ["Carl"]


# --- errors leave the session usable --------------------------------------------------------


async def test_duplicate_email_raises_conflict_and_the_session_stays_usable(db: Db) -> None:
    await seed_customers(db)
    repo = db.repo(Customer)
    with pytest.raises(ConflictError) as caught:
        await aw(repo.add(Customer(email="ann@example.com", name="Imposter")))
    assert caught.value.columns == ("email",)
    assert await aw(repo.count()) == 4
    eve = await aw(repo.add(Customer(email="eve@example.com", name="Eve")))
    await db.commit()
    assert await aw(repo.count()) == 5
    assert (await aw(repo.get(eve.id))).name == "Eve"


async def test_add_many_with_a_duplicate_raises_conflict_and_adds_nothing(db: Db) -> None:
    await seed_customers(db)
    repo = db.repo(Customer)
    with pytest.raises(ConflictError) as caught:
        await aw(
            repo.add_many(
                [new_customer("Fay"), Customer(email="bob@EXAMPLE.com", name="Bob again")]
            )
        )
    assert caught.value.columns == ("email",)
    assert await db.rows(Customer) == 4
    assert len(await aw(repo.add_many([new_customer("Fay"), new_customer("Gus")]))) == 2


async def test_deleting_a_customer_with_orders_raises_foreign_key_error(db: Db) -> None:
    ann, bob, *_ = await seed_customers(db)
    ann_id, bob_id = ann.id, bob.id  # a failed write rolls the session back: objects expire
    await db.seed(Order(customer_id=ann_id, placed_at=at(2024, 5, 1), total=1))
    repo = db.repo(Customer)
    with pytest.raises(ForeignKeyError):
        await aw(repo.delete(ann_id))
    assert await db.rows(Customer) == 4
    deleted = await aw(repo.delete(bob_id))  # the session still works
    assert deleted.id == bob_id
    await db.commit()
    assert await db.rows(Customer) == 3


# --- add_many / upsert --------------------------------------------------------------------


async def test_add_many_returns_rows_in_input_order(db: Db) -> None:
    repo = db.repo(Customer)
    names = [f"C{i:03d}" for i in range(50)]
    added = await aw(repo.add_many([new_customer(name) for name in names]))
    assert keys(added, "name") == names
    assert len({c.id for c in added}) == 50
    assert all(isinstance(c.created_at, datetime.datetime) for c in added)
    await db.commit()
    assert await db.rows(Customer) == 50


async def test_upsert_on_email_inserts_then_updates(db: Db) -> None:
    repo = db.repo(Customer)
    first = await aw(repo.upsert(Customer(email="ann@example.com", name="Ann"), on="email"))
    assert isinstance(first.id, uuid.UUID)
    original_id = first.id
    await db.commit()
    db.forget()
    second = await aw(repo.upsert(Customer(email="ann@example.com", name="Ann B."), on="email"))
    assert second.id == original_id  # the conflict target matched: the key did not change
    assert second.name == "Ann B."
    await db.commit()
    assert await db.rows(Customer) == 1
    assert await db.column(Customer.name) == ["Ann B."]


async def test_upsert_many_on_email(db: Db) -> None:
    ann, *_ = await seed_customers(db)
    repo = db.repo(Customer)
    result = await aw(
        repo.upsert_many(
            [
                Customer(email="ann@example.com", name="Ann Upserted"),
                Customer(email="eve@example.com", name="Eve"),
            ],
            on="email",
        )
    )
    by_email = {c.email: c for c in result}
    assert set(by_email) == {"ann@example.com", "eve@example.com"}
    assert by_email["ann@example.com"].id == ann.id
    assert by_email["ann@example.com"].name == "Ann Upserted"
    await db.commit()
    assert await db.rows(Customer) == 5


# --- delete -------------------------------------------------------------------------------


async def test_delete_returns_the_deleted_row(db: Db) -> None:
    ann, *_ = await seed_customers(db)
    ann_id = ann.id
    repo = db.repo(Customer)
    deleted = await aw(repo.delete(ann_id))
    assert (deleted.id, deleted.email, deleted.note) == (ann_id, "ann@example.com", "vip")
    await db.commit()
    assert await db.rows(Customer) == 3
    with pytest.raises(NotFoundError):
        await aw(repo.get(ann_id))
    with pytest.raises(NotFoundError):
        await aw(repo.delete(ann_id))


async def test_delete_many_returns_the_deleted_rows(db: Db) -> None:
    ann, _, carl, _ = await seed_customers(db)
    repo = db.repo(Customer)
    deleted = await aw(repo.delete_many([ann.id, carl.id]))
    assert sorted(keys(deleted, "name")) == ["Ann", "Carl"]
    await db.commit()
    assert sorted(await db.column(Customer.name)) == ["Bob", "Dora"]
    assert await aw(repo.delete_many([])) == []


async def test_delete_where_returns_the_deleted_rows(db: Db) -> None:
    await seed_customers(db)
    repo = db.repo(Customer)
    deleted = await aw(repo.delete_where(CustomerFilter(email=TextFilter(ilike="%@example.com"))))
    assert sorted(keys(deleted, "name")) == ["Ann", "Bob", "Dora"]
    await db.commit()
    assert await db.column(Customer.name) == ["Carl"]
    assert await aw(repo.delete_where(Customer.name == "Nobody")) == []
    assert await db.rows(Customer) == 1


# --- keyset pagination --------------------------------------------------------------------


async def test_list_after_walks_every_row_once_in_key_order(db: Db) -> None:
    repo = db.repo(Customer)
    await aw(repo.add_many([new_customer(f"K{i:02d}") for i in range(23)]))
    await db.commit()
    items, pages = await walk_keyset(repo, limit=5)
    ids = keys(items, "id")
    assert len(ids) == 23 == len(set(ids))
    assert ids == in_key_order(db, ids)
    assert 5 <= pages <= 6
    first = await aw(repo.list_after(None, limit=5))
    assert keys(first.items, "id") == ids[:5]
    assert first.next_cursor is not None


async def test_list_after_with_a_filter(db: Db) -> None:
    repo = db.repo(Customer)
    await aw(
        repo.add_many(
            [new_customer(f"K{i:02d}", note="even" if i % 2 == 0 else None) for i in range(15)]
        )
    )
    await db.commit()
    items, _ = await walk_keyset(repo, limit=3, where=where(note={"eq": "even"}))
    assert sorted(keys(items, "name")) == [f"K{i:02d}" for i in range(0, 15, 2)]
    assert len(items) == len({c.id for c in items})


async def test_list_after_on_an_empty_table(db: Db) -> None:
    page = await aw(db.repo(Customer).list_after(None, limit=10))
    assert list(page.items) == []
    assert page.next_cursor is None


# --- edges the generated code documents -----------------------------------------------------


async def test_list_and_count_past_the_last_page_still_counts(db: Db) -> None:
    await seed_customers(db)
    items, total = await aw(db.repo(Customer).list_and_count(limit=2, offset=10))
    assert (items, total) == ([], 4)
    items, total = await aw(db.repo(Customer).list_and_count(Customer.name == "Nobody"))
    assert (items, total) == ([], 0)


async def test_list_after_rejects_a_tampered_cursor(db: Db) -> None:
    repo = db.repo(Customer)
    await aw(repo.add_many([new_customer(f"K{i}") for i in range(3)]))
    page = await aw(repo.list_after(None, limit=1))
    assert isinstance(page.next_cursor, str)  # opaque token, passed back unchanged
    for bad in ["not a cursor!", page.next_cursor[:-3], "W10", "x" * 5000]:
        with pytest.raises(InvalidCursorError):
            await aw(repo.list_after(bad, limit=1))
    assert await aw(repo.count()) == 3  # nothing was rolled back


async def test_delete_where_refuses_an_empty_condition(db: Db) -> None:
    await seed_customers(db)
    repo = db.repo(Customer)
    for nothing in (None, CustomerFilter(), []):
        with pytest.raises(ValueError):
            await aw(repo.delete_where(nothing))
    assert await db.rows(Customer) == 4
    everyone = await aw(repo.delete_where(sa.true()))
    assert len(everyone) == 4


async def test_list_breaks_ties_by_primary_key_not_by_insertion_order(db: Db) -> None:
    # rowid (insertion) order 3, 1, 2; key order 1, 2, 3; every created_at equal
    ids = [uuid.UUID(int=n) for n in (3, 1, 2)]
    await db.seed(*(new_customer(f"Tie{i.int}", id=i, created_at=at(2024, 1, 1)) for i in ids))
    repo = db.repo(Customer)
    expected = sorted(ids)
    assert keys(await aw(repo.list(order_by=CustomerOrder.CREATED_AT)), "id") == expected
    assert keys(await aw(repo.list(order_by=CustomerOrder.CREATED_AT_DESC)), "id") == expected
    items, _ = await aw(repo.list_and_count(order_by=CustomerOrder.CREATED_AT, limit=2))
    assert keys(items, "id") == expected[:2]


async def test_upsert_never_rewrites_the_primary_key(db: Db) -> None:
    ann, *_ = await seed_customers(db)
    ann_id = ann.id
    await db.seed(Order(customer_id=ann_id, placed_at=at(2024, 5, 1), total=1))
    upserted = await aw(
        db.repo(Customer).upsert(
            Customer(id=uuid.uuid4(), email="ann@example.com", name="Ann Again"), on="email"
        )
    )
    assert (upserted.id, upserted.name) == (ann_id, "Ann Again")
    await db.commit()
    assert await db.column(Customer.id, Customer.email == "ann@example.com") == [ann_id]
