"""A module without models."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

ANSWER = 42


class Base(DeclarativeBase):
    """A base that nothing maps to."""
