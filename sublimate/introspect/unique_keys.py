"""The unique keys of one reflected table: its primary key, then every other unique column set.

Unique constraints and unique indexes both make keys (a partial unique index does not: it is
unique only where its condition holds). They name the repository's conflict targets and tell a
foreign key's relationship one-to-one from one-to-many.
"""

from __future__ import annotations

from typing import Any

from sublimate import naming
from sublimate.introspect.class_names import Built
from sublimate.introspect.indexes import unique_key_options
from sublimate.ir import UniqueKey

# (unnamed, from an index, attrs, constraint name, sql columns): sorted, named ones first
_Candidate = tuple[bool, int, tuple[str, ...], str | None, tuple[str, ...]]


def partial(index: dict[str, Any]) -> bool:
    """Whether the index has a WHERE clause (PostgreSQL, SQLite)."""
    options = index.get("dialect_options") or {}
    return any(key.endswith("_where") and value is not None for key, value in options.items())


def is_unique(built: Built, attrs: tuple[str, ...]) -> bool:
    """Whether these columns are the primary key or a unique constraint of the table."""
    raw = built.raw
    wanted = set(attrs)
    keys = [raw.primary_key] + [u["column_names"] for u in raw.unique_constraints]
    keys += [
        i["column_names"]
        for i in raw.indexes
        if i.get("unique") and None not in i["column_names"] and not partial(i)
    ]
    return any(key and {built.attrs.get(c) for c in key} == wanted for key in keys)


def unique_keys(built: Built, primary_key: tuple[str, ...]) -> tuple[UniqueKey, ...]:
    """The primary key, then every other unique column set (constraints, unique indexes)."""
    raw = built.raw
    candidates, options = _candidates(built)
    scope = naming.Scope()
    keys = []
    if primary_key:
        keys.append(
            UniqueKey(
                name=scope.allocate(naming.key_name(primary_key)),
                constraint_name=None,
                columns=primary_key,
                sql_columns=tuple(raw.primary_key),
                is_primary=True,
            )
        )
    seen = {frozenset(primary_key)}
    others = []
    for _, _, attrs, name, sql in sorted(candidates, key=lambda c: (c[0], c[1], c[2], c[3] or "")):
        if frozenset(attrs) in seen:
            continue
        seen.add(frozenset(attrs))
        others.append((naming.key_name(attrs), name, attrs, sql))
    for key_name, name, attrs, sql in sorted(others, key=lambda o: (o[0], o[1] or "")):
        keys.append(
            UniqueKey(
                name=scope.allocate(key_name),
                constraint_name=name,
                columns=attrs,
                sql_columns=sql,
                is_primary=False,
                **options.get((name, sql), {}),
            )
        )
    return tuple(keys)


def _candidates(
    built: Built,
) -> tuple[list[_Candidate], dict[tuple[str | None, tuple[str, ...]], dict[str, Any]]]:
    """Every unique column set but the primary key, and the options of each constraint."""
    raw = built.raw
    candidates: list[_Candidate] = []
    options: dict[tuple[str | None, tuple[str, ...]], dict[str, Any]] = {}
    for constraint in raw.unique_constraints:
        columns = tuple(constraint["column_names"])
        if columns and all(c in built.attrs for c in columns):
            name = constraint.get("name")
            attrs = tuple(built.attrs[c] for c in columns)
            candidates.append((name is None, 0, attrs, name, columns))
            options[(name, columns)] = unique_key_options(constraint)
    for index in raw.indexes:
        columns = tuple(index.get("column_names") or ())
        if not index.get("unique") or not columns or partial(index):
            continue
        if all(c is not None and c in built.attrs for c in columns):
            attrs = tuple(built.attrs[c] for c in columns)
            candidates.append((index.get("name") is None, 1, attrs, index.get("name"), columns))
    return candidates, options
