"""Golden case `sqlmodel_input`: SQLModel table models with a relationship.

No `from __future__ import annotations`: SQLModel cannot resolve relationship annotations then.
"""

import datetime
import uuid

from sqlmodel import Field, Relationship, SQLModel


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60, unique=True, index=True)
    headquarters: str | None = None
    heroes: list["Hero"] = Relationship(back_populates="team")


class Hero(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, index=True)
    secret_name: str
    age: int | None = None
    token: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    seen: datetime.datetime | None = None
    team_id: int | None = Field(default=None, foreign_key="team.id")
    team: Team | None = Relationship(back_populates="heroes")
