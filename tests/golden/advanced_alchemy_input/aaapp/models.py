"""Golden case `advanced_alchemy_input`: Advanced Alchemy's bases (UUID and BigInt keys, audit
columns) and types (`GUID`, `DateTimeUTC`)."""

from __future__ import annotations

import datetime
import uuid

from advanced_alchemy.base import BigIntAuditBase, UUIDAuditBase, UUIDBase
from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column


class Author(UUIDAuditBase):
    __tablename__ = "author"
    name: Mapped[str] = mapped_column(String(100), unique=True)
    born: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class Book(BigIntAuditBase):
    __tablename__ = "book"
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("author.id"))


class Label(UUIDBase):
    __tablename__ = "label"
    text: Mapped[str] = mapped_column(String(40), unique=True)
