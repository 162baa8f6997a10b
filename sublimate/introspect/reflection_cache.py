"""Tables as reflected last time, reused while the catalog entries they came from are unchanged.

Reflection is the largest step of a regeneration from a SQLite file (0.3 s for 300 tables:
SQLAlchemy runs eight PRAGMAs per table), yet after one ALTER TABLE the other 299 tables report
exactly what they reported before. So each run first reads a signature per table, a hash of the
catalog entries its reflection is made of, in one query, and reflects again only the tables
whose signature changed.

SQLite keeps every definition as the text of its CREATE statement in sqlite_master (ALTER TABLE
rewrites it), and everything SQLAlchemy reflects comes from those texts: a table's columns, keys
and checks from its CREATE TABLE, its indexes from their CREATE INDEX or its UNIQUE clauses. A
foreign key that names no column means the referred table's primary key, so an entry also
depends on the tables its foreign keys refer to; a view's column types come from whatever it
selects from, so a view is reused only when nothing in the schema changed.

Other dialects are reflected in full every run. On PostgreSQL SQLAlchemy already reads each kind
of object for all tables in one query (0.11-0.13 s for 300 tables); a signature query covering
what that reads (columns with their types, enum labels and domains, defaults, comments, every
constraint and index definition, view definitions) measured 0.04-0.06 s, so the saving would be
a few hundredths of a second against the risk of a catalog detail the signature misses. MariaDB's
reflection reads SHOW CREATE TABLE per table, which is what a signature would have to read.

Entries are keyed by the database (its URL without password), the server's, SQLAlchemy's and
SQLite's versions and sublimate's own source. A reflection that raised a warning is not kept, so
the warning is shown again. `--force` and `SUBLIMATE_NO_CACHE=1` bypass the cache; a corrupt or
foreign cache file is a miss.

Entries are plain JSON (`plain_tables`: SQLAlchemy types as their DDL, read back by the dialect's
own parser), never pickles: anyone who can write the cache directory could otherwise run code.
A table with something that has no faithful plain form is simply reflected every run.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..redact import mask_url
from ..user_cache import read_entry, source_hash, user_cache_dir, write_entry
from .plain_tables import Malformed, PlainTypes, Unstorable, decode, encode
from .raw import RawTable

_FORMAT = 2
_KEPT = 32  # databases and schemas (one is ~0.3 MB for 300 tables); the oldest go first


@dataclass(frozen=True, slots=True)
class _Entry:
    signature: str  # the table's catalog entries (for a SQLite view, the whole schema's too)
    depends: tuple[tuple[str, str], ...]  # (referred table, its signature when reflected)
    table: RawTable
    plain: object  # the table as stored (plain_tables.encode), kept to write it back as is


@dataclass(frozen=True, slots=True)
class _Signatures:
    own: dict[str, str]  # folded table name -> hash of its catalog entries
    whole: str  # what a view depends on: the whole schema's entries
    fold: Callable[[str], str]  # how the catalog compares names


class ReflectionCache:
    """The reflected tables of one schema of one database, as of the last run."""

    def __init__(
        self,
        path: Path,
        key: str,
        signatures: _Signatures,
        entries: dict[str, _Entry],
        types: PlainTypes,
    ) -> None:
        self._path = path
        self._key = key
        self._signatures = signatures
        self._entries = entries
        self._types = types

    @classmethod
    def open(cls, connection: Connection, schema: str | None) -> ReflectionCache | None:
        """The cache for `schema` of the connected database; None when caching is off or the
        dialect has no cheap signature (all but SQLite, see the module docstring)."""
        read = _READERS.get(connection.dialect.name)
        directory = user_cache_dir("reflection")
        if read is None or directory is None:
            return None
        url = connection.engine.url
        database = url.database or ""
        if url.get_backend_name() == "sqlite" and not database.startswith("file:"):
            database = os.path.abspath(database)
        # the entry stores its key: no password or secret query parameter (SQLCipher's `key=`)
        where = mask_url(url.set(database=database))
        signatures = read(connection, schema)
        server = connection.dialect.server_version_info
        parts = [str(_FORMAT), where, schema or "", str(server), sa.__version__]
        key = "\n".join([*parts, sqlite3.sqlite_version, source_hash()])
        path = directory / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"
        types = PlainTypes(connection.dialect)
        return cls(path, key, signatures, _load(path, key, types), types)

    def fresh(self, names: Iterable[str]) -> dict[str, RawTable]:
        """The tables and views among `names` whose entry is still what reflection would say."""
        own = self._signatures.own
        found: dict[str, RawTable] = {}
        for name in names:
            entry = self._entries.get(name)
            if entry is None or entry.signature != self._signature(name, entry.table.is_view):
                continue
            if all(own.get(target, "") == then for target, then in entry.depends):
                found[name] = entry.table
        return found

    def store(self, tables: Sequence[RawTable]) -> None:
        """Keep `tables` (just reflected) next to the entries still valid; nothing on failure."""
        if not tables:
            return
        own, fold = self._signatures.own, self._signatures.fold
        entries = {n: e for n, e in self._entries.items() if fold(n) in own}
        for table in tables:
            targets = {
                fold(str(fk["referred_table"]))
                for fk in table.foreign_keys
                if fk.get("referred_schema") is None
            }
            depends = tuple((t, own.get(t, "")) for t in sorted(targets))
            signature = self._signature(table.name, table.is_view)
            try:
                plain = encode(table, self._types)
            except Unstorable:  # reflected again next run
                entries.pop(table.name, None)
                continue
            entries[table.name] = _Entry(signature, depends, table, plain)
        stored = {
            "key": self._key,
            "entries": {
                name: {"signature": e.signature, "depends": e.depends, "table": e.plain}
                for name, e in entries.items()
            },
        }
        write_entry(self._path, lambda: msgspec.json.encode(stored), kept=_KEPT)

    def _signature(self, name: str, is_view: bool) -> str:
        own = self._signatures.own.get(self._signatures.fold(name), "")
        return f"{own}:{self._signatures.whole}" if is_view else own


def _sqlite(connection: Connection, schema: str | None) -> _Signatures:
    """Per table (names case-insensitive, as in SQLite), the hash of its own sqlite_master rows
    (the table's or view's, its indexes', its triggers'); a view depends on all rows."""
    master = "sqlite_master"
    if schema:
        master = f"{connection.dialect.identifier_preparer.quote_identifier(schema)}.{master}"
    rows = connection.exec_driver_sql(f"SELECT type, name, tbl_name, sql FROM {master}").all()
    grouped: dict[str, list[str]] = {}
    for kind, name, table, sql in rows:
        grouped.setdefault(str(table).lower(), []).append(repr((kind, name, table, sql)))
    own = {t: _digest(sorted(texts)) for t, texts in grouped.items()}
    whole = _digest(sorted(f"{t}={h}" for t, h in own.items()))
    return _Signatures(own=own, whole=whole, fold=str.lower)


_READERS: dict[str, Callable[[Connection, str | None], _Signatures]] = {
    "sqlite": _sqlite,
}


def _digest(texts: list[str]) -> str:
    return hashlib.sha256("\n".join(texts).encode("utf-8", "surrogatepass")).hexdigest()


class _Stored(msgspec.Struct, forbid_unknown_fields=True):
    signature: str
    depends: tuple[tuple[str, str], ...]
    table: Any  # plain_tables' form, checked by its decoder


class _File(msgspec.Struct, forbid_unknown_fields=True):
    key: str
    entries: dict[str, _Stored]


_DECODER = msgspec.json.Decoder(_File)


def _well_formed(table: RawTable) -> bool:
    """The shapes the IR builder reads without checking (what reflection always gives)."""
    lists = (table.foreign_keys, table.unique_constraints, table.indexes, table.checks)
    return (
        isinstance(table.columns, list)
        and all(
            isinstance(c, dict)
            and isinstance(c.get("name"), str)
            and isinstance(c.get("type"), sa.types.TypeEngine)
            for c in table.columns
        )
        and isinstance(table.primary_key, list)
        and all(isinstance(name, str) for name in table.primary_key)
        and all(
            isinstance(items, list) and all(isinstance(i, dict) for i in items) for items in lists
        )
        and isinstance(table.unknown_types, dict)
        and (table.schema is None or isinstance(table.schema, str))
        and isinstance(table.is_view, bool)
    )


def _load(path: Path, key: str, types: PlainTypes) -> dict[str, _Entry]:
    """The entries of the cache file; {} when it is absent, foreign or malformed in any way."""
    data = read_entry(path)
    if data is None:
        return {}
    try:
        stored = _DECODER.decode(data)
        if stored.key != key:
            return {}
        entries = {}
        for name, entry in stored.entries.items():
            table = decode(entry.table, types)
            if not (isinstance(table, RawTable) and table.name == name and _well_formed(table)):
                raise Malformed(f"entry {name!r} is not its table")
            entries[name] = _Entry(entry.signature, entry.depends, table, entry.table)
    except Exception:  # truncated, foreign, hostile: start over (never more than a miss)
        return {}
    return entries
