"""Models whose names collide with everything generated code binds: imports, locals, builtins."""

from __future__ import annotations

import builtins
import datetime
import decimal
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Select(Base):
    """A model named like SQLAlchemy's select construct, with attributes named like locals."""

    __tablename__ = "select"

    cursor: Mapped[int] = mapped_column(primary_key=True)
    session: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True, default=uuid.uuid4)
    datetime: Mapped[datetime.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    str: Mapped[builtins.str] = mapped_column("my col", sa.String(30))
    list: Mapped[int | None]
    UNSET: Mapped[decimal.Decimal | None] = mapped_column(sa.Numeric(8, 2))
    where: Mapped[bool] = mapped_column(default=False)
    changes: Mapped[builtins.str | None] = mapped_column("class", sa.String(10))
    limit: Mapped[int | None] = mapped_column("from")


class Session(Base):
    __tablename__ = "session"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance: Mapped[str] = mapped_column(sa.String(20), unique=True)
    msgspec: Mapped[str | None] = mapped_column(sa.Text)
    enum: Mapped[str | None] = mapped_column(sa.String(5))
    Meta: Mapped[int | None]
    Annotated: Mapped[float | None]
    type: Mapped[str | None] = mapped_column(sa.String(10))
    on: Mapped[int | None]


class Node(Base):
    """Relationships named like what a Filter's class body reads (`list`, `field`), like its `and`
    combinator's field (`and_`) and like the alias of a sibling DTO module (`_session`)."""

    __tablename__ = "node"

    id: Mapped[int] = mapped_column(primary_key=True)
    field_id: Mapped[int | None] = mapped_column(sa.ForeignKey("node.id"))
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("session.id"))

    field: Mapped[Node | None] = relationship(remote_side=[id], back_populates="list")
    list: Mapped[builtins.list[Node]] = relationship(back_populates="field")
    and_: Mapped[Session | None] = relationship()
    _session: Mapped[Session | None] = relationship(viewonly=True)
