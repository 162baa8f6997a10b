"""Golden case `fastapi_on`: `fastapi = true`, one router per model and `fastapi_app.py`.

What the routers must get right: a UUID key, a composite key of two types (two path parameters,
one a bounded SMALLINT), relationships both ways (`load` and its nested Read DTOs), a unique key
(PUT upserts on it), an enum, and a view (read-only, with a key).
"""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import Enum, ForeignKey, SmallInteger, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Rating(enum.Enum):
    G = "g"
    PG = "pg"
    R = "r"


class Genre(Base):
    __tablename__ = "genres"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    films: Mapped[list[Film]] = relationship(back_populates="genre")


class Film(Base):
    __tablename__ = "films"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(100))
    year: Mapped[int | None]
    genre_id: Mapped[int] = mapped_column(ForeignKey("genres.id"))
    rating: Mapped[Rating] = mapped_column(Enum(Rating, name="film_rating"), default=Rating.G)
    genre: Mapped[Genre] = relationship(back_populates="films")


# A composite primary key of two types, one a SMALLINT: /castings/{film_id}/{position}.
class Casting(Base):
    __tablename__ = "castings"
    film_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("films.id"), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    actor: Mapped[str] = mapped_column(String(60))


# Mapped onto a view: read-only, with a key.
class GenreCount(Base):
    __tablename__ = "genre_counts"
    __table_args__ = ({"info": {"is_view": True}},)
    genre_id: Mapped[int] = mapped_column(primary_key=True)
    films: Mapped[int]
