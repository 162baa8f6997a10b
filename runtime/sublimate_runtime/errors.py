"""The errors generated repositories raise.

Callers (services, web handlers) catch these instead of driver exceptions, so an API can answer
404 or 409 the same way on PostgreSQL, MariaDB and SQLite. Each error names the model it concerns;
the write errors keep the driver's exception in ``original`` for logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


class RepositoryError(Exception):
    """Base class: ``except RepositoryError`` catches every error a repository raises on purpose."""

    model: str

    def __init__(self, model: str, message: str) -> None:
        super().__init__(message)
        self.model = model


class NotFoundError(RepositoryError):
    """No row has this key. ``key`` maps attribute names to the values that were looked up."""

    key: Mapping[str, object]

    def __init__(self, model: str, key: Mapping[str, object]) -> None:
        shown = ", ".join(f"{name}={value!r}" for name, value in key.items())
        super().__init__(model, f"{model} not found: {shown}")
        self.key = key


class ConflictError(RepositoryError):
    """A unique key already holds these values.

    ``columns`` are the attribute names of the violated key when it could be identified, so a caller
    can point at the offending field; the tuple is empty when the database did not say which key.
    """

    columns: tuple[str, ...]
    original: BaseException | None

    def __init__(
        self, model: str, columns: tuple[str, ...], original: BaseException | None = None
    ) -> None:
        what = f"({', '.join(columns)})" if columns else "a unique key"
        super().__init__(model, f"{model} conflicts with an existing row on {what}")
        self.columns = columns
        self.original = original


class ForeignKeyError(RepositoryError):
    """A reference points at a missing row, or a referenced row is still in use."""

    original: BaseException | None

    def __init__(self, model: str, original: BaseException | None = None) -> None:
        super().__init__(model, f"{model} violates a foreign key constraint")
        self.original = original


class IntegrityViolationError(RepositoryError):
    """Any other integrity error: NOT NULL, CHECK, exclusion constraints."""

    original: BaseException | None

    def __init__(self, model: str, original: BaseException | None = None) -> None:
        # First line only: PostgreSQL's DETAIL line repeats the row's values.
        first_line = str(original).partition("\n")[0] if original is not None else ""
        detail = f": {first_line}" if first_line else ""
        super().__init__(model, f"{model} violates an integrity constraint{detail}")
        self.original = original


@dataclass(frozen=True, slots=True)
class UniqueKeySpec:
    """One unique key of a model, as the generator knows it, to name the key a conflict hit.

    ``constraint_name`` is the database name of the constraint or unique index when known;
    ``columns`` are attribute names (reported in ``ConflictError.columns``), ``sql_columns`` the
    database column names (matched against what the database reports). ``primary`` marks the
    primary key, which MariaDB/MySQL always call ``PRIMARY``.
    """

    constraint_name: str | None
    columns: tuple[str, ...]
    sql_columns: tuple[str, ...]
    primary: bool = False
