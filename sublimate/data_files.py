"""File names for `sublimate db dump-data`: one `<name>.json` per table, always inside `--dir`.

A table name comes from the database, so it is hostile input: `../evil`, `/tmp/x`, `a/b`, a NUL,
or a 63-byte Hangul name (fine for the database, a mojibake or normalisation hazard for file
systems) must never choose where a file is written. A name made only of ASCII letters, digits,
`_`, `.` and `-` (not starting with `.` or `-`) is used as it is, so `authors` is still
`authors.json`; any other name becomes its safe characters, `_` and a hash of the whole name
(stable, so a table keeps its file from dump to dump). A table of a schema other than the
default one is `<schema>.<table>`, so two schemas' `orders` do not overwrite each other. Names
are unique regardless of case (two tables `Artist` and `artist` on a case-insensitive file
system would share a file otherwise).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DataFiles", "UnsafeDataPath", "safe_stem"]

_SAFE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_LIMIT = 100  # characters of a file stem: far below the 255 bytes file systems allow


class UnsafeDataPath(Exception):
    """A data file would land outside its folder (a symlink in it pointing elsewhere)."""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def safe_stem(name: str) -> str:
    """`name` when it is a plain ASCII file name, else its safe characters and a hash of it."""
    if _SAFE.fullmatch(name) and len(name) <= _LIMIT and name.lower() not in ("", ".", ".."):
        return name
    kept = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._-")[: _LIMIT - 11]
    return f"{kept or 'table'}_{_digest(name)}"


@dataclass
class DataFiles:
    """Allocates one file per table inside `directory` (resolved once, when first used)."""

    directory: Path
    _taken: set[str] = field(default_factory=set)

    def path(self, table: str, schema: str | None = None) -> Path:
        """The file of `schema.table`: unique in the folder, and checked to stay inside it."""
        qualified = f"{schema}.{table}" if schema else table
        stem = safe_stem(qualified)
        if stem.lower() in self._taken:
            stem = f"{stem[: _LIMIT - 11]}_{_digest(qualified)}"
        self._taken.add(stem.lower())
        root = self.directory.resolve()
        target = root / f"{stem}.json"
        if target.resolve().parent != root:
            raise UnsafeDataPath(f"{target} resolves outside {root}: not written")
        return target
