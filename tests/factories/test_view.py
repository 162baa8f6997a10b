"""What a factory derives per column (sublimate.views.factory), decided from the IR alone, and
the values it derives (sublimate_runtime.factory_values): fits the column, distinct per n."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from sublimate_runtime import factory_values as fv

from sublimate.ir import Column, FilterKind
from sublimate.views.factory import _any_values, derived

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
