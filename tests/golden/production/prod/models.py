"""Golden case `production`: `Account` is cached, soft-deleted and versioned by SQLAlchemy's
`version_id_col`; `Note` is versioned through `version_columns` (a plain column)."""

from __future__ import annotations

import datetime
from types import MappingProxyType

from sqlalchemy import DateTime, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(nullable=False)
    deleted_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = MappingProxyType({"version_id_col": version})


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    revision: Mapped[int] = mapped_column(default=1, server_default="1")
