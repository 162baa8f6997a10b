"""Golden case `factories_on`: `factories = true`, test data factories and pytest fixtures.

What a factory must get right: a NOT NULL foreign key (a parent made on demand), a nullable
self-reference (left None), a composite unique key, an enum, a column named like a module its
annotation reads (`datetime`), lengths, a Numeric's precision, an aware timestamp.
"""

from __future__ import annotations

import datetime
import enum
import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Level(enum.Enum):
    LOW = "low"
    HIGH = "high"


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(sa.String(6), unique=True)
    mentor_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("teams.id"))
    mentor: Mapped[Team | None] = relationship(remote_side=[id])


class Player(Base):
    __tablename__ = "players"
    __table_args__ = (sa.UniqueConstraint("team_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("teams.id"))
    number: Mapped[int] = mapped_column(sa.SmallInteger())
    level: Mapped[Level] = mapped_column(sa.Enum(Level))
    rating: Mapped[Decimal] = mapped_column(sa.Numeric(4, 1))
    datetime: Mapped[datetime.datetime] = mapped_column(sa.DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(default=True)

    team: Mapped[Team] = relationship()
