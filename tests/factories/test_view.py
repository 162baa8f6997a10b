"""What a factory derives per column (sublimate.views.factory), decided from the IR alone, and
the values it derives (sublimate_runtime.factory_values): fits the column, distinct per n."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sublimate_runtime import factory_values as fv
from sublimate_runtime.factories import Capacity, CapacityError, Factory

from sublimate.ir import Column, FilterKind
from sublimate.views.factory import _any_values, _defaulted, derived, domain

BASE = Column(
    attr="code",
    sql_name="code",
    python_type="str",
    dto_type="str",
    sql_type="String(3)",
    sql_type_expr="sa.String(3)",
    nullable=False,
    primary_key=False,
    has_default=False,
    server_default=None,
    server_generated=False,
    autoincrement=False,
    max_length=3,
    precision=None,
    scale=None,
    enum=None,
    filter_kind=FilterKind.TEXT,
    orderable=True,
    comment=None,
    imports=(),
)


def _column(**changes: object) -> Column:
    return dataclasses.replace(BASE, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, "factory_values.text(n, 3, 'code')"),
        ({"pattern": "^[0-9a-f-]+$"}, "factory_values.uuid_text(n)"),
        ({"python_type": "int", "int_range": (-128, 127)}, "factory_values.integer(n, 127)"),
        (
            {"python_type": "decimal.Decimal", "precision": 5, "scale": 2},
            "factory_values.decimal(n, 5, 2)",
        ),
        (
            {"python_type": "datetime.datetime", "dto_type": "Annotated[x, Meta(tz=True)]"},
            "factory_values.moment(n, True)",
        ),
        (
            {"python_type": 'Literal["a", "b"]'},
            "cast(Literal[\"a\", \"b\"], factory_values.choice(n, ('a', 'b')))",
        ),
        ({"python_type": "Any", "sql_type": "JSONB"}, "factory_values.document(n)"),
        ({"python_type": "Any", "sql_type": "INET"}, None),  # must be given
    ],
)
def test_each_type_gets_its_value_function(changes: dict[str, object], expected: str) -> None:
    assert derived(_column(**changes)) == expected


def test_an_integer_in_a_unique_key_takes_its_whole_range() -> None:
    """A TINYINT key holds 256 rows: past 127 the values go on from 0 down to -128, then wrap."""
    tiny = _column(python_type="int", int_range=(-128, 127))
    assert derived(tiny, unique=True) == "factory_values.integer(n, 127, -128)"
    unsigned = _column(python_type="int", int_range=(0, 255))
    assert derived(unsigned, unique=True) == "factory_values.integer(n, 255, 0)"
    keys = [fv.integer(n, 127, -128) for n in range(1, 257)]
    assert keys[:127] == list(range(1, 128)) and keys[127:129] == [0, -1]
    assert sorted(keys) == list(range(-128, 128))
    assert fv.integer(257, 127, -128) == 1


def test_a_nullable_foreign_key_with_a_server_default_needs_a_parent() -> None:
    """None there means the default (`DEFAULT 0`): a key an empty database does not hold."""
    status = _column(python_type="int", nullable=True, has_default=True)
    assert _defaulted(dataclasses.replace(status, server_default="0"))
    assert _defaulted(dataclasses.replace(status, server_default="'0'"))
    assert not _defaulted(dataclasses.replace(status, server_default="NULL"))
    assert not _defaulted(dataclasses.replace(status, server_default=None))
    assert not _defaulted(dataclasses.replace(status, nullable=False, server_default="0"))


def test_a_check_in_list_the_type_does_not_carry_is_cycled() -> None:
    assert derived(BASE, options=("x", "y")) == "factory_values.choice(n, ('x', 'y'))"
    assert derived(BASE, options=(0, 1)) != "factory_values.choice(n, (0, 1))"  # not for a str


@pytest.mark.parametrize(
    ("sqltext", "expected"),
    [
        (
            "((kind)::text = ANY ((ARRAY['a'::character varying, 'b''c'::character varying])"
            "::text[]))",
            ("kind", ("a", "b'c")),
        ),
        ("((\"odd name\")::text = ANY (ARRAY['x'::text]))", ("odd name", ("x",))),
        ("(flag = ANY (ARRAY[0, 1]))", ("flag", (0, 1))),
        ("(price >= (0)::numeric)", None),
        ("((kind)::text = ANY (ARRAY[lower('x')]))", None),
    ],
)
def test_postgresql_in_lists_are_read_back(
    sqltext: str, expected: tuple[str, tuple[str | int, ...]] | None
) -> None:
    assert _any_values(sqltext) == expected


def test_values_fit_their_column_and_are_distinct() -> None:
    n_values = range(1, 10_001)
    texts = [fv.text(n, 3, "code") for n in n_values]
    assert max(map(len, texts)) <= 3 and len(set(texts)) == len(texts)
    decimals = [fv.decimal(n, 5, 2) for n in n_values]
    assert all(Decimal(0) < d < Decimal(1000) and d.as_tuple().exponent == -2 for d in decimals)
    assert len(set(decimals)) == len(decimals)
    assert len({fv.integer(n, 32767) for n in n_values}) == len(n_values)
    assert {fv.integer(n, 127) for n in n_values} == set(range(1, 128))  # wraps within range
    assert all(0 < fv.real(n) < 1 for n in n_values)
    assert len({fv.moment(n, True) for n in n_values}) == len(n_values)
    assert all(fv.moment(n, True).tzinfo is not None for n in (1, 2))
    assert fv.moment(1, False).tzinfo is None


def test_a_key_whose_values_run_out_has_a_capacity() -> None:
    """The capacity is the number of distinct values `derived` gives before wrapping: checked on
    the value functions over a window of that many sequence numbers (starting anywhere)."""
    tiny = _column(python_type="int", int_range=(-128, 127), sql_type="TINYINT")
    assert domain(tiny, unique=True) == (256, "TINYINT")
    assert domain(tiny) == (127, "TINYINT")  # not in a key: positive values only
    assert domain(BASE, ("x", "y", "z"), unique=True) == (3, "CHECK IN list of 3")
    assert domain(BASE, unique=True) == (36**3, "String(3)")
    assert domain(_column(python_type="bool"), unique=True) == (2, "String(3)")
    counted = _column(python_type="int", int_range=(-32768, 32767), server_generated=True)
    assert domain(dataclasses.replace(counted, primary_key=True)) == (
        32767,
        "String(3) counted by the database from 1",
    )
    assert domain(counted) is None  # generated, not a key: nothing to count
    assert domain(_column(python_type="int", int_range=(-(2**31), 2**31 - 1)), unique=True) is None
    assert domain(_column(pattern="^[0-9a-f-]+$"), unique=True) is None  # UUID text
    for start in (1, 500, 5000):
        window = range(start, start + 36**2)
        assert len({fv.text(n, 2, "code") for n in window}) == 36**2
        assert len({fv.integer(n, 127, -128) for n in range(start, start + 256)}) == 256
        assert len({fv.decimal(n, 3, 1) for n in range(start, start + 999)}) == 999


class _Tiny:
    __table__ = sa.Table("tiny", sa.MetaData(), sa.Column("id", sa.SmallInteger, primary_key=True))


class _TinyFactory(Factory[Any, Any]):
    _model = _Tiny
    _capacities = (Capacity(columns=("id",), rows=3, why="TINYINT"),)


def test_a_table_that_cannot_hold_the_rows_is_refused_before_any_insert() -> None:
    """The session counts the rows made; asking for more than the key holds is refused before
    any SQL (this session has no bind: an INSERT would fail otherwise), unless the key is given."""
    assert _TinyFactory.capacity() == 3
    session = Session()
    factory = _TinyFactory(session)
    factory._room(3, {})  # fits
    factory._counted(2)
    with pytest.raises(CapacityError) as refused:
        factory._bulk_parents(2, {})
    assert str(refused.value) == (
        "_TinyFactory: table 'tiny' cannot hold 2 rows: its id (TINYINT) take 3 distinct values,"
        " 2 made on this session already; ask for at most 1, or pass id="
    )
    factory._room(5, {"id": 9})  # the caller gives the key
    _TinyFactory(Session())._room(3, {})  # counted per session
    _TinyFactory()._room(10, {})  # no session: build only, nothing to hold


def test_the_runtime_factories_are_mirrored() -> None:
    """The asyncio twin has every method of the sync factory, a coroutine where it writes."""
    import inspect

    from sublimate_runtime.factories import AsyncFactory, Factory

    def methods(cls: type) -> dict[str, bool]:
        return {
            name: inspect.iscoroutinefunction(value)
            for name, value in vars(cls).items()
            if callable(value) and name != "__init__"
        }

    sync, asynchronous = methods(Factory), methods(AsyncFactory)
    assert set(sync) == set(asynchronous)
    assert not any(sync.values())
    assert {n for n, coroutine in asynchronous.items() if coroutine} == {
        "_parents_of",
        "_bulk_parents",
        "_persist",
        "_persist_many",
    }
