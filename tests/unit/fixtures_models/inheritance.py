"""Inheritance: single-table subclasses are skipped, joined-table subclasses are entities."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Employee(Base):
    __tablename__ = "employees"
    __mapper_args__: ClassVar[dict[str, Any]] = {
        "polymorphic_on": "kind",
        "polymorphic_identity": "employee",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))


class Manager(Employee):
    """Single-table: same table, no entity of its own."""

    __mapper_args__: ClassVar[dict[str, Any]] = {"polymorphic_identity": "manager"}

    budget: Mapped[int | None] = mapped_column(nullable=True)


class Engineer(Employee):
    """Joined-table: its own table, keyed by the employee's id."""

    __tablename__ = "engineers"
    __mapper_args__: ClassVar[dict[str, Any]] = {"polymorphic_identity": "engineer"}

    id: Mapped[int] = mapped_column(ForeignKey("employees.id"), primary_key=True)
    language: Mapped[str] = mapped_column(String(30), unique=True)
