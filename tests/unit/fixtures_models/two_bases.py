"""Two registries in one module: the spec must name one."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class One(DeclarativeBase):
    pass


class Two(DeclarativeBase):
    pass


class Apple(One):
    __tablename__ = "apples"
    id: Mapped[int] = mapped_column(primary_key=True)


class Pear(Two):
    __tablename__ = "pears"
    id: Mapped[int] = mapped_column(primary_key=True)
