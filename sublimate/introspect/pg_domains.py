"""PostgreSQL DOMAIN columns: what SQLAlchemy's reflection of a domain leaves out, put back.

SQLAlchemy reads a domain's base type without its modifiers (it strips `(50)` from
`character varying(50)`: `varchar(50)` comes back `VARCHAR`, `numeric(10, 2)` `NUMERIC`), so a
model would recreate the domain wider than it was and the DTOs would lose `max_length`. One
query reads every domain's `format_type(typbasetype, typtypmod)` and the length, precision and
scale are set back on the reflected base type. It also counts a domain's CHECK constraints:
SQLAlchemy's `DOMAIN` carries one, so a domain with more gets a warning naming what is lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sublimate.ir import Diagnostic

__all__ = ["restore_domain_types"]

_DOMAINS = sa.text(
    "SELECT t.typname AS name, n.nspname AS schema,"
    " pg_catalog.format_type(t.typbasetype, t.typtypmod) AS base,"
    " (SELECT count(*) FROM pg_catalog.pg_constraint c"
    "  WHERE c.contypid = t.oid AND c.contype = 'c') AS checks"
    " FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
    " WHERE t.typtype = 'd'"
)
_ARGS = re.compile(r"\(([\d\s,]+)\)")


def restore_domain_types(
    connection: Connection,
    columns: Iterable[Mapping[str, Any]],
    where: str,
    diagnostics: list[Diagnostic],
) -> None:
    """Set the base type's length/precision/scale back on each DOMAIN-typed column in
    `columns` (reflected column dicts, changed in place); warn about dropped CHECKs."""
    from sqlalchemy.dialects import postgresql

    typed = [c for c in columns if isinstance(c.get("type"), postgresql.DOMAIN)]
    if not typed:
        return
    rows = connection.execute(_DOMAINS).mappings()
    found = {(row["schema"], row["name"]): (row["base"], row["checks"]) for row in rows}
    default = connection.dialect.default_schema_name
    warned: set[str] = set()
    for column in typed:
        domain = column["type"]
        entry = found.get((domain.schema or default, domain.name))
        if entry is None:
            continue
        base, checks = entry
        _restore(domain.data_type, str(base))
        if checks > 1 and domain.name not in warned:
            warned.add(domain.name)
            message = (
                f"domain {domain.name!r} has {checks} CHECK constraints; SQLAlchemy's DOMAIN"
                f" carries one ({domain.constraint_name!r}): create_all recreates only that one"
            )
            diagnostics.append(Diagnostic(where=where, message=message))


def _restore(data_type: Any, base: str) -> None:
    found = _ARGS.search(base)
    if found is None:
        return
    numbers = [int(part) for part in found.group(1).split(",") if part.strip()]
    if isinstance(data_type, sa.String) and data_type.length is None and numbers:
        data_type.length = numbers[0]
    elif isinstance(data_type, sa.Numeric) and not isinstance(data_type, sa.Float) and numbers:
        data_type.precision = numbers[0]
        data_type.scale = numbers[1] if len(numbers) > 1 else 0
    elif hasattr(data_type, "precision") and getattr(data_type, "precision", None) is None:
        data_type.precision = numbers[0] if numbers else None
