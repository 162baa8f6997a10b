"""A bare `registry` with imperative-style decorated classes, a naming convention, and
awkward names: no DeclarativeBase anywhere."""

from __future__ import annotations

import enum
from typing import Any, ClassVar, Literal

from sqlalchemy import (
    Column,
    Enum,
    Identity,
    Integer,
    MetaData,
    Sequence,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, registry
from sqlalchemy.types import TypeDecorator

convention = {
    "pk": "pk_%(table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
}
mapper_registry = registry(metadata=MetaData(naming_convention=convention))


class Color(enum.Enum):
    RED = "r"
    GREEN = "g"


class CsvList(TypeDecorator[list[str]]):
    """Declares its own python_type: a list, though stored as text."""

    impl = String(500)
    cache_ok = True

    @property
    def python_type(self) -> type:
        return list


@mapper_registry.mapped
class Session:
    """A model whose name collides with what generated modules import."""

    __tablename__ = "sessions"
    __table_args__: ClassVar[dict[str, Any]] = {"schema": "auth"}

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    token: Mapped[str] = mapped_column("my token", String(64), unique=True)
    color: Mapped[Color] = mapped_column(
        Enum(Color, values_callable=lambda cls: [m.value for m in cls], name="color")
    )
    level: Mapped[Literal["low", "high"]] = mapped_column(default="low")
    amount: Mapped[str | None] = mapped_column(String(12), server_default=text("'0'"))
    tags: Mapped[list[str]] = mapped_column(CsvList)
    raw = mapped_column(CsvList)
    ticket: Mapped[int] = mapped_column(Sequence("ticket_seq"))


events = Table(
    "events",
    mapper_registry.metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, nullable=False),
    Column("name", String(50), nullable=False),
    Column("internal", String(10), nullable=False),
    UniqueConstraint("session_id", "name"),
)


class Event:
    pass


mapper_registry.map_imperatively(Event, events, exclude_properties=["internal"])
