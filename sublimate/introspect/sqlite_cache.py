"""SQLite tables as reflected last time, reused while the DDL they came from is unchanged.

Reflection is the largest step of a regeneration from a SQLite file (0.3 s for 300 tables:
SQLAlchemy runs eight PRAGMAs per table), yet after one ALTER TABLE the other 299 tables report
exactly what they reported before. SQLite keeps each definition as the text of its CREATE
statement in sqlite_master (ALTER TABLE rewrites that text), and everything SQLAlchemy reflects
comes from those texts: a table's columns, keys and checks from its CREATE TABLE, its indexes from
their CREATE INDEX or its UNIQUE clauses, and the target of a foreign key that names no column
from the referred table's primary key. So a table's entry is reused when the texts filed under
it and those of every table its foreign keys name are what they were; a view's only when nothing
in the schema changed, since its columns' types come from whatever it selects from.

Entries are keyed by the database file, the SQLAlchemy and SQLite versions and sublimate's own
source. A reflection that raised a warning is not kept, so that the warning is shown again.
`--force` and `SUBLIMATE_NO_CACHE=1` bypass the cache; a corrupt or foreign file is a miss.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..user_cache import source_hash, user_cache_dir

if TYPE_CHECKING:
    from .database import RawTable

_FORMAT = 1
_KEPT = 32  # database files (a project's is ~0.3 MB for 300 tables); the oldest go first


@dataclass(frozen=True, slots=True)
class _Entry:
    signature: str  # the texts filed under the table (for a view, plus the whole schema's)
    depends: tuple[tuple[str, str], ...]  # (referred table, its signature when reflected)
    table: RawTable


class SqliteReflectionCache:
    """The reflected tables of one schema of one SQLite file, as of the last run."""

    def __init__(
        self, path: Path, key: str, own: dict[str, str], whole: str, entries: dict[str, _Entry]
    ) -> None:
        self._path = path
        self._key = key
        self._own = own  # lower-cased table name -> hash of the sqlite_master rows filed under it
        self._whole = whole
        self._entries = entries

    @classmethod
    def open(cls, connection: Connection, schema: str | None) -> SqliteReflectionCache | None:
        """The cache for `schema` of the connected file; None when caching is off."""
        directory = user_cache_dir("sqlite")
        database = connection.engine.url.database or ""
        if directory is None or not database:
            return None
        if not database.startswith("file:"):
            database = os.path.abspath(database)
        own, whole = _signatures(connection, schema)
        parts = [str(_FORMAT), database, schema or "", sa.__version__, sqlite3.sqlite_version]
        key = "\n".join([*parts, source_hash()])
        path = directory / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.pickle"
        return cls(path, key, own, whole, _load(path, key))

    def fresh(self, names: Iterable[str]) -> dict[str, RawTable]:
        """The tables and views among `names` whose entry is still what reflection would say."""
        found: dict[str, RawTable] = {}
        for name in names:
            entry = self._entries.get(name)
            if entry is None or entry.signature != self._signature(name, entry.table.is_view):
                continue
            if all(self._own.get(target, "") == then for target, then in entry.depends):
                found[name] = entry.table
        return found

    def store(self, tables: Sequence[RawTable]) -> None:
        """Keep `tables` (just reflected) next to the entries still valid; nothing on failure."""
        if not tables:
            return
        entries = {n: e for n, e in self._entries.items() if n.lower() in self._own}
        for table in tables:
            targets = {
                str(fk["referred_table"]).lower()
                for fk in table.foreign_keys
                if fk.get("referred_schema") is None
            }
            depends = tuple((t, self._own.get(t, "")) for t in sorted(targets))
            signature = self._signature(table.name, table.is_view)
            entries[table.name] = _Entry(signature, depends, table)
        _store(self._path, self._key, entries)

    def _signature(self, name: str, is_view: bool) -> str:
        own = self._own.get(name.lower(), "")
        return f"{own}:{self._whole}" if is_view else own


def _signatures(connection: Connection, schema: str | None) -> tuple[dict[str, str], str]:
    """Per table (lower-cased: SQLite's names are case-insensitive), the hash of its own
    sqlite_master rows (the table's or view's, its indexes', its triggers'); and of all rows."""
    master = "sqlite_master"
    if schema:
        master = f"{connection.dialect.identifier_preparer.quote_identifier(schema)}.{master}"
    rows = connection.exec_driver_sql(f"SELECT type, name, tbl_name, sql FROM {master}").all()
    grouped: dict[str, list[str]] = {}
    for kind, name, table, sql in rows:
        grouped.setdefault(str(table).lower(), []).append(repr((kind, name, table, sql)))
    own = {t: _digest(sorted(texts)) for t, texts in grouped.items()}
    return own, _digest(sorted(f"{t}={h}" for t, h in own.items()))


def _digest(texts: list[str]) -> str:
    return hashlib.sha256("\n".join(texts).encode("utf-8", "surrogatepass")).hexdigest()


def _load(path: Path, key: str) -> dict[str, _Entry]:
    try:
        with path.open("rb") as handle:
            stored_key, entries = pickle.load(handle)
    except Exception:  # absent, truncated, or written by another version: start over
        return {}
    if stored_key != key or not isinstance(entries, dict):
        return {}
    return {n: e for n, e in entries.items() if isinstance(e, _Entry)}


def _store(path: Path, key: str, entries: dict[str, _Entry]) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(pickle.dumps((key, entries), pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)
        kept = sorted(path.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
        for old in kept[:-_KEPT]:
            old.unlink(missing_ok=True)
    except Exception:  # a cache that cannot be written is not used (pickling errors included)
        tmp.unlink(missing_ok=True)
