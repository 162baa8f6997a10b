"""The filter tree compiler and its limits, on hand-written Filters shaped as the generator prints
them (wire names: a column's or relationship's attribute, and "and"/"or"/"not").

What the trees select on real databases is tests/servers/test_filter_trees.py; here: the limits on
untrusted input (depth, size, JSON nested past msgspec's recursion), the SQL's shape (EXISTS, no
JOIN; NOT or IS NOT TRUE), and hostile field names (a relationship called `and_`).
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sublimate_runtime import (
    MAX_FILTER_CONDITIONS,
    MAX_FILTER_DEPTH,
    EqFilter,
    NullableTextFilter,
    RangeFilter,
    RepositorySpec,
    TextFilter,
    check_filter_tree,
    decode_filter,
)
from sublimate_runtime.filter_tree import filter_conditions


class Base(DeclarativeBase):
    pass


class Team(Base):
    __tablename__ = "team"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(20))
    motto: Mapped[str | None] = mapped_column(sa.String(20))
    # Named like the combinator's Python field: the generator names the combinator `and__2`.
    and_: Mapped[list[Player]] = relationship(back_populates="team")


class Player(Base):
    __tablename__ = "player"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("team.id"))
    team: Mapped[Team | None] = relationship(back_populates="and_")


class PlayerFilter(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: RangeFilter[int] | None = None
    team: TeamFilter | None = None
    and_: list[PlayerFilter] | None = msgspec.field(default=None, name="and")
    or_: list[PlayerFilter] | None = msgspec.field(default=None, name="or")
    not_: PlayerFilter | None = msgspec.field(default=None, name="not")

    def __post_init__(self) -> None:
        check_filter_tree(self)


class TeamFilter(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: RangeFilter[int] | None = None
    name: TextFilter | None = None
    motto: NullableTextFilter | None = None
    and_: PlayerFilter | None = None  # the relationship: wire name "and_"
    and__2: list[TeamFilter] | None = msgspec.field(default=None, name="and")
    or_: list[TeamFilter] | None = msgspec.field(default=None, name="or")
    not_: TeamFilter | None = msgspec.field(default=None, name="not")

    def __post_init__(self) -> None:
        check_filter_tree(self)


def sql(model: type[Any], where: msgspec.Struct) -> str:
    statement = sa.select(model.id).where(*filter_conditions(model, where))
    return str(statement.compile(compile_kwargs={"literal_binds": True}))


def nested_not(depth: int) -> TeamFilter:
    """A chain of `not` filters, `depth` Filters in all."""
    tree = TeamFilter()
    for _ in range(depth - 1):
        tree = TeamFilter(not_=tree)
    return tree


def test_depth_up_to_the_limit_passes_and_one_more_is_refused() -> None:
    assert check_filter_tree(nested_not(MAX_FILTER_DEPTH)) is None
    with pytest.raises(ValueError, match=f"deeper than {MAX_FILTER_DEPTH} levels"):
        TeamFilter(not_=nested_not(MAX_FILTER_DEPTH))
    text = '{"not": ' * MAX_FILTER_DEPTH + "{}" + "}" * MAX_FILTER_DEPTH
    with pytest.raises(msgspec.ValidationError, match=f"deeper than {MAX_FILTER_DEPTH} levels"):
        msgspec.json.decode(text, type=TeamFilter)


def test_relationships_and_list_items_are_levels_too() -> None:
    depth = MAX_FILTER_DEPTH // 2
    ok = '{"or": [' * (depth - 1) + '{"and_": {"team": {}}}' + "]}" * (depth - 1)
    assert check_filter_tree(decode_filter(ok, TeamFilter)) is None  # depth + 1 levels
    too_deep = '{"and_": {"team": ' * MAX_FILTER_DEPTH + "{}" + "}}" * MAX_FILTER_DEPTH
    with pytest.raises(msgspec.ValidationError, match="deeper than"):
        decode_filter(too_deep, TeamFilter)


def test_size_counts_filters_and_column_filters() -> None:
    half = MAX_FILTER_CONDITIONS // 2  # each item: a Filter and its one column filter
    items = ",".join(['{"name": {"eq": "a"}}'] * (half - 1))
    assert decode_filter(f'{{"or": [{items}]}}', TeamFilter).or_ is not None
    items = ",".join(['{"name": {"eq": "a"}}'] * (half + 1))
    with pytest.raises(msgspec.ValidationError, match=f"more than {MAX_FILTER_CONDITIONS}"):
        decode_filter(f'{{"or": [{items}]}}', TeamFilter)
    with pytest.raises(msgspec.ValidationError, match=f"more than {MAX_FILTER_CONDITIONS}"):
        decode_filter('{"or": [' + ",".join(["{}"] * 100_000) + "]}", TeamFilter)


@pytest.mark.parametrize("opening", ['{"not": ', '{"or": [', '{"and_": {"team": '])
def test_json_nested_ten_thousand_deep_is_a_validation_error(opening: str) -> None:
    closing = {"{": "}", "[": "]"}
    tail = "".join(closing[c] for c in reversed(opening) if c in closing)
    text = opening * 10_000 + "{}" + tail * 10_000
    with pytest.raises(msgspec.ValidationError, match="deeper than"):
        decode_filter(text, TeamFilter)
    with pytest.raises(msgspec.ValidationError, match="deeper than"):
        decode_filter(text.encode(), TeamFilter)


def test_relationships_compile_to_exists_without_a_join() -> None:
    where = TeamFilter(and_=PlayerFilter(id=RangeFilter(gt=1)), name=TextFilter(eq="x"))
    text = sql(Team, where)
    assert "JOIN" not in text and text.count("EXISTS") == 1
    assert "player.team_id" in text and "player.id > 1" in text
    back = sql(Player, PlayerFilter(team=TeamFilter(name=TextFilter(eq="x"))))
    assert "JOIN" not in back and "EXISTS" in back and "team.name = 'x'" in back


def test_not_is_plain_where_nothing_can_be_null_and_is_not_true_elsewhere() -> None:
    not_exists = sql(Team, TeamFilter(not_=TeamFilter(and_=PlayerFilter())))
    assert "NOT (EXISTS" in not_exists and "IS NOT" not in not_exists
    not_null_column = sql(Team, TeamFilter(not_=TeamFilter(name=TextFilter(eq="x"))))
    assert "team.name != 'x'" in not_null_column and "IS NOT" not in not_null_column
    nullable = sql(Team, TeamFilter(not_=TeamFilter(motto=NullableTextFilter(eq="x"))))
    assert nullable.endswith("WHERE (team.motto = 'x') IS NOT true")


def test_empty_or_is_false_empty_and_is_true_empty_not_is_false() -> None:
    assert sql(Team, TeamFilter(or_=[])).endswith("WHERE false")
    assert "WHERE" not in sql(Team, TeamFilter(and__2=[]))
    assert sql(Team, TeamFilter(not_=TeamFilter())).endswith("WHERE false")


def test_a_relationship_named_like_a_combinator_keeps_its_meaning() -> None:
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all([Team(id=1, name="a", and_=[Player(id=1)]), Team(id=2, name="b")])
        session.commit()
        spec = RepositorySpec(Team)
        json = b'{"and_": {}, "and": [{"name": {"ne": "z"}}], "or": [{"id": {"ge": 1}}]}'
        where = decode_filter(json, TeamFilter)
        assert where.and_ == PlayerFilter() and where.and__2 is not None
        found = session.scalars(sa.select(Team.id).where(*spec.conditions(where))).all()
        assert found == [1]
        without = decode_filter(b'{"not": {"and_": {}}}', TeamFilter)
        assert session.scalars(sa.select(Team.id).where(*spec.conditions(without))).all() == [2]


class ExtraTeamFilter(TeamFilter, kw_only=True, forbid_unknown_fields=True):
    """A caller's subclass with a field that is no attribute of the model."""

    ranking: EqFilter[int] | None = None


def test_a_subclass_field_that_names_no_attribute_is_no_condition() -> None:
    where = ExtraTeamFilter(ranking=EqFilter(eq=3), name=TextFilter(eq="x"))
    assert sql(Team, where).endswith("WHERE team.name = 'x'")
