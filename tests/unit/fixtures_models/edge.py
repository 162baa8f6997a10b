"""Corners: views, legacy `Column` attributes, SQL-expression properties, foreign keys to
tables outside the metadata, relationships the generator cannot follow."""

from __future__ import annotations

from typing import Any, ClassVar, Optional

from sqlalchemy import Column, ForeignKey, Integer, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Animal(Base):
    __tablename__ = "animals"
    __mapper_args__: ClassVar[dict[str, Any]] = {
        "polymorphic_on": "kind",
        "polymorphic_identity": "animal",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    keeper_id: Mapped[int | None] = mapped_column(ForeignKey("keepers.id"))


class Dog(Animal):
    __mapper_args__: ClassVar[dict[str, Any]] = {"polymorphic_identity": "dog"}


class Keeper(Base):
    __tablename__ = "keepers"
    __allow_unmapped__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    # a legacy attribute: plain annotation, classic Column
    nickname: str = Column(String(30), nullable=False)  # type: ignore[assignment]
    badge: Mapped[Optional[str]] = mapped_column(String(8))  # noqa: UP045 - the old spelling
    # a foreign key to a table that the models do not define
    site_id: Mapped[int] = mapped_column(ForeignKey("ops.sites.id"))

    dogs: Mapped[list[Dog]] = relationship(viewonly=True)
    animal_count = column_property(
        select(func.count(Animal.id)).where(Animal.keeper_id == id).scalar_subquery()
    )


class KeeperReport(Base):
    """Mapped onto a view (declared with `info={"is_view": True}`)."""

    __tablename__ = "keeper_report"
    __table_args__: ClassVar[dict[str, Any]] = {"info": {"is_view": True}}

    keeper_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    animals: Mapped[int]


class Place(Base):
    __tablename__ = "places"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Shop(Place):
    """Concrete inheritance: a table of its own with every column."""

    __tablename__ = "shops"
    __mapper_args__: ClassVar[dict[str, Any]] = {"concrete": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    owner: Mapped[str] = mapped_column(String(50))
