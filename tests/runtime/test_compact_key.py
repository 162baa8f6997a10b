"""The compact key form generated specs print (`Key(...)`, keys as a sequence) builds the same
UniqueKeySpec and the same key names as the keyword form that hand-written specs use."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sublimate_runtime import RepositorySpec, UniqueKeySpec
from sublimate_runtime.repository_spec import Key


class _Base(DeclarativeBase):
    pass


class Slot(_Base):
    __tablename__ = "slots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[str] = mapped_column("the day", String(10))
    room: Mapped[str] = mapped_column(String(10))


def test_key_is_the_keyword_form() -> None:
    assert Key("pk_slots", "id", primary=True) == UniqueKeySpec(
        constraint_name="pk_slots", columns=("id",), sql_columns=("id",), primary=True
    )
    # sql only where a database name differs, given for every column of the key
    assert Key(None, "day", "room", sql=("the day", "room")) == UniqueKeySpec(
        constraint_name=None, columns=("day", "room"), sql_columns=("the day", "room")
    )


def test_a_sequence_of_keys_is_named_by_their_columns() -> None:
    compact = RepositorySpec(
        Slot,
        keys=(
            Key("pk_slots", "id", primary=True),
            Key(None, "day", "room", sql=("the day", "room")),
        ),
    )
    mapping = RepositorySpec(
        Slot,
        keys={
            "id": UniqueKeySpec("pk_slots", ("id",), ("id",), primary=True),
            "day_and_room": UniqueKeySpec(None, ("day", "room"), ("the day", "room")),
        },
    )
    assert list(compact.keys.items()) == list(mapping.keys.items())  # primary key first
    assert compact.key_specs == mapping.key_specs
    # upsert's conflict target is the database's names, whichever form declared the key
    assert compact.upsert_columns("day_and_room", [{"day": "mon", "room": "a"}])[0] == [
        "the day",
        "room",
    ]
