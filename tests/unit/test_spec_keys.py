"""How a repository module prints its model's unique keys (views.keys): the runtime's compact
`Key(...)`, database names only where they differ, named by their columns unless a name had to
differ. What the runtime makes of the printed form is tested in tests/runtime/test_compact_key.py
and, on the example, in tests/behaviour/test_spec_keys.py."""

from __future__ import annotations

from sublimate.ir import UniqueKey
from sublimate.views.keys import _spec_keys


def _key(name: str, columns: tuple[str, ...], sql: tuple[str, ...] | None = None) -> UniqueKey:
    return UniqueKey(
        name=name,
        constraint_name=f"uq_{name}" if name != "id" else "pk_t",
        columns=columns,
        sql_columns=columns if sql is None else sql,
        is_primary=name == "id",
    )


def test_keys_named_by_their_columns_print_as_a_tuple() -> None:
    keys = (_key("id", ("id",)), _key("a_and_b", ("a", "b")))
    # literals as naming.literal prints them (repr); the formatter turns the quotes
    assert _spec_keys(keys) == "(Key('pk_t', 'id', primary=True), Key('uq_a_and_b', 'a', 'b'))"
    assert _spec_keys(keys[:1]) == "(Key('pk_t', 'id', primary=True),)"
    assert _spec_keys(()) == ""


def test_database_names_print_only_where_they_differ() -> None:
    key = _key("day", ("day",), sql=("the day",))
    assert _spec_keys((key,)) == "(Key('uq_day', 'day', sql=('the day',)),)"


def test_a_name_the_columns_do_not_give_prints_the_mapping() -> None:
    # Two keys on the same columns: the second got another name (the <M>Key literal's), which
    # the runtime could not derive from its columns.
    keys = (_key("id", ("id",)), _key("id_2", ("id",)))
    assert _spec_keys(keys) == (
        "{'id': Key('pk_t', 'id', primary=True), 'id_2': Key('uq_id_2', 'id')}"
    )
