"""What an answer to a client may say about a write the database refused: names, never driver text.

A driver's message quotes SQL, values of other rows and the driver's own name; an API that
forwards it leaks its schema and invites probing. :func:`violated` digs out only the name of the
violated constraint or column, as each driver reports it (and only when it is a plain
identifier), so a handler can answer "which rule" without "what the database said":

- PostgreSQL: ``constraint_name`` / ``column_name`` on the asyncpg exception, ``diag`` on psycopg's;
- SQLite: ``CHECK constraint failed: name``, ``NOT NULL constraint failed: table.column``;
- MariaDB/MySQL: ``Check constraint 'name' is violated``, ``Column 'name' cannot be null``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,127}\Z")
_MESSAGES = (
    (re.compile(r"CHECK constraint failed: (?:\w+\.)?(\w+)\Z"), "constraint"),
    (re.compile(r"NOT NULL constraint failed: (?:\w+\.)?(\w+)\Z"), "column"),
    (re.compile(r"Check constraint '(?:[^']*\.)?(\w+)' is violated"), "constraint"),
    (re.compile(r"Column '(\w+)' cannot be null"), "column"),
)
_DEPTH = 4  # SQLAlchemy error -> DBAPI adapter error -> driver error


@dataclass(frozen=True, slots=True)
class Violation:
    """The violated constraint's name and/or column's name, when the driver said which."""

    constraint: str | None = None
    column: str | None = None


def violated(original: BaseException | None) -> Violation:
    """The names a driver error gives for a violated constraint; empty when it gives none."""
    constraint: str | None = None
    column: str | None = None
    seen = 0
    error = original
    while error is not None and seen < _DEPTH:
        seen += 1
        diag = getattr(error, "diag", None)  # psycopg
        for holder in (error, diag):
            constraint = constraint or _name(getattr(holder, "constraint_name", None))
            column = column or _name(getattr(holder, "column_name", None))
        text = str(error.args[-1]) if error.args else ""
        for pattern, kind in _MESSAGES:
            match = pattern.search(text)
            if match is None:
                continue
            if kind == "constraint":
                constraint = constraint or _name(match.group(1))
            else:
                column = column or _name(match.group(1))
        inner = getattr(error, "orig", None)
        error = inner if isinstance(inner, BaseException) else error.__cause__
    return Violation(constraint=constraint, column=column)


def _name(value: object) -> str | None:
    return value if isinstance(value, str) and _IDENTIFIER.match(value) else None
