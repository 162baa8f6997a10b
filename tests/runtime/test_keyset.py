"""The keyset machinery without a database: how each dialect is told where NULLs go, what a
cursor is bound to, the bounds its values are decoded with, and the errors of a bad call.
(Pages on real databases: tests/behaviour/test_keyset_pages.py.)"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sublimate_runtime import InvalidCursorError, KeysetPage, RepositorySpec
from sublimate_runtime.keyset_cursor import (
    MAX_KEYSET_CURSOR_LENGTH,
    Position,
    encode_position,
    fingerprint,
    value_type,
)


class Base(DeclarativeBase):
    pass


class Lowered(sa.types.TypeDecorator[str]):
    impl = sa.String(8)
    cache_ok = True


class Thing(Base):
    __tablename__ = "things"

    id: Mapped[int] = mapped_column(sa.Integer(), primary_key=True)
    name: Mapped[str | None] = mapped_column(sa.String(5))
    grade: Mapped[int] = mapped_column(sa.SmallInteger())
    seen: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime(timezone=True))


SPEC = RepositorySpec(Thing, orderable=("id", "name", "grade", "seen"), cursor=tuple[int])


def sql(statement: Any, dialect: Any) -> str:
    return str(statement.compile(dialect=dialect))


def sqlite_at(version: tuple[int, int, int]) -> Any:
    dialect = sqlite.dialect()
    dialect.server_version_info = version
    return dialect


def test_nullable_columns_sort_nulls_greatest_in_every_dialect() -> None:
    statement = sa.select(Thing).order_by(*SPEC.ordering(["name", "-seen", "-grade"]))
    native = "ORDER BY things.name ASC NULLS LAST, things.seen DESC NULLS FIRST, things.grade DESC"
    assert sql(statement, postgresql.dialect()).endswith(native + ", things.id ASC")
    assert sql(statement, sqlite_at((3, 40, 1))).endswith(native + ", things.id ASC")
    emulated = (
        "ORDER BY CASE WHEN (things.name IS NULL) THEN %s ELSE %s END, things.name ASC, "
        "CASE WHEN (things.seen IS NULL) THEN %s ELSE %s END DESC, things.seen DESC, "
        "things.grade DESC, things.id ASC"
    )
    assert sql(statement, mysql.dialect()).endswith(emulated)
    old_sqlite = sql(statement, sqlite_at((3, 29, 0)))
    assert "NULLS" not in old_sqlite and "CASE WHEN (things.name IS NULL)" in old_sqlite


def test_the_condition_is_an_or_of_ands_with_a_seekable_first_bound() -> None:
    cursor = encode_position(
        fingerprint("Thing", ("grade", "-seen"), None, False),
        Position(values=(3, None, 7), backward=False, inclusive=False),
    )
    query = SPEC.keyset_query(cursor, 10, None, ["grade", "-seen"], False)
    text = sql(query.statement, mysql.dialect())
    where = text[text.index("WHERE") : text.index("ORDER BY")]
    assert where.startswith("WHERE things.grade >= %s AND (things.grade > %s OR ")
    assert "things.seen IS NOT NULL" in where  # past a NULL, descending: the values
    assert "(things.grade, " not in where  # no row value (MariaDB, mixed directions)
    assert text.endswith("LIMIT %s")
    back = SPEC.keyset_query(
        encode_position(
            query.bound_to, Position(values=(3, None, 7), backward=True, inclusive=True)
        ),
        10,
        None,
        ["grade", "-seen"],
        False,
    )
    backward = sql(back.statement, postgresql.dialect())
    assert "ORDER BY things.grade DESC, things.seen ASC NULLS LAST, things.id DESC" in backward


def test_a_cursor_is_bound_to_model_order_filter_and_deleted_rows() -> None:
    where = [Thing.name == "a", Thing.grade > 2]
    base = fingerprint("Thing", ("name",), where, False)
    assert base == fingerprint("Thing", ("name",), [Thing.name == "a", Thing.grade > 2], False)
    others = [
        fingerprint("Other", ("name",), where, False),
        fingerprint("Thing", ("-name",), where, False),
        fingerprint("Thing", ("name",), [Thing.name == "b", Thing.grade > 2], False),
        fingerprint("Thing", ("name",), where[:1], False),
        fingerprint("Thing", ("name",), where, True),
    ]
    assert base not in others and len(set(others)) == len(others)

    class F(msgspec.Struct, kw_only=True):
        name: str | None = None

    assert fingerprint("Thing", (), F(name="a"), False) == fingerprint(
        "Thing", (), F(name="a"), False
    )
    assert fingerprint("Thing", (), F(name="a"), False) != fingerprint("Thing", (), F(), False)


@pytest.mark.parametrize(
    ("column_type", "good", "bad"),
    [
        (sa.SmallInteger(), 32767, 32768),
        (sa.Integer(), -(2**31), 2**31),
        (sa.BigInteger(), 2**63 - 1, "1"),
        (sa.String(5), "abcde", "abcdef"),
        (sa.Text(), "ok", "a\x00b"),
        (Lowered(), "eight ch", "nine char"),  # a TypeDecorator: its implementation's bounds
        (sa.Uuid(as_uuid=False), "a0eebc999c0b4ef8bb6d6bb9bd380a11", "nope"),
        (sa.Uuid(), str(uuid.UUID(int=1)), "nope"),
        (sa.DateTime(timezone=True), "2024-01-01T00:00:00Z", "2024-01-01T00:00:00"),
        (sa.DateTime(), "2024-01-01T00:00:00", "2024-01-01T00:00:00Z"),
        (sa.Date(), "2024-01-01", "yesterday"),
        (sa.Boolean(), True, 1),
    ],
)
def test_cursor_values_are_bounded_by_their_column(column_type: Any, good: Any, bad: Any) -> None:
    kind = value_type(column_type, nullable=False)
    msgspec.json.decode(msgspec.json.encode(good), type=kind)  # as a cursor's JSON decodes
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(msgspec.json.encode(bad), type=kind)
    assert msgspec.json.decode(b"null", type=value_type(column_type, nullable=True)) is None


def test_bad_calls_and_oversized_keys() -> None:
    with pytest.raises(ValueError, match="cannot be ordered by 'nope'"):
        SPEC.keyset_query(None, 10, None, "nope", False)
    with pytest.raises(ValueError, match="limit must be at least 1"):
        SPEC.keyset_query(None, 0, None, None, False)
    huge = Position(values=("x" * MAX_KEYSET_CURSOR_LENGTH,), backward=False, inclusive=False)
    with pytest.raises(InvalidCursorError, match="too long for a cursor"):
        encode_position("fp", huge)
    with pytest.raises(InvalidCursorError, match="too long"):
        SPEC.keyset_query("A" * (MAX_KEYSET_CURSOR_LENGTH + 1), 10, None, None, False)


def test_positions_and_pages() -> None:
    after = Position(values=(1,), backward=False, inclusive=False)
    assert after.direction == ">" and after.complement().direction == "<="
    assert after.complement().complement() == after
    assert KeysetPage[int](items=[], next_cursor=None).prev_cursor is None


def test_orders_are_built_once_and_kept_within_bounds() -> None:
    spec = RepositorySpec(Thing, orderable=("id", "name", "grade", "seen"), cursor=tuple[int])
    assert spec.keyset(["name", "-grade"]) is spec.keyset(("name", "-grade"))
    # Each column once: a later term on the same column could never break a tie.
    assert spec.keyset(["name", "-name", "id"]).order.attrs == ("name", "id")
    assert spec.order(["name", "-grade"]) is spec.keyset(["name", "-grade"]).order
    for n in range(100):
        spec.keyset(["grade"] * (n + 1))
    assert len(spec._keysets) == 64 and len(spec._orders) == 64
