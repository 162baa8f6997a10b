"""One table or view as the Inspector reported it: what reflection produces, the reflection
cache stores, and the IR builder reads.

A module of its own so that the reader (`reflect`) and the cache (`reflection_cache`) share it
without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sublimate.introspect.table_options import TableExtras


@dataclass(slots=True, kw_only=True)
class RawTable:
    """What the Inspector reported for one table or view (plain dicts, as SQLAlchemy gives them)."""

    schema: str | None  # None: the database's default schema
    name: str
    is_view: bool
    columns: list[dict[str, Any]]
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[dict[str, Any]] = field(default_factory=list)
    unique_constraints: list[dict[str, Any]] = field(default_factory=list)
    indexes: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    comment: str | None = None
    unknown_types: dict[str, str] = field(default_factory=dict)  # column -> reported type name
    extras: TableExtras = field(default_factory=TableExtras)  # options, sequences, rules, ...

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name
