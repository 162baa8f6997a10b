"""The IR of declarative models, kept between runs while every file that produced it is unchanged.

Importing the models is most of a regeneration: SQLAlchemy maps 300 classes in over a second,
far more than sublimate spends on the output afterwards. `sublimate check` in a pre-commit hook
or in CI, and a `generate` after a change outside the models, read models that did not change.
So the first run records the files of every module the import loaded (the models, the project
code they import, any library loaded for them), each with the hash of its content, next to the
IR; a later run whose files all hash the same takes the IR from there without importing anything.

What the key cannot see: models built from something other than Python files (an environment
variable, a YAML file read at import time). `--force` and `SUBLIMATE_NO_CACHE=1` bypass the cache.

An entry is two lines of JSON: the header (the key and the files) and the IR, decoded strictly
into the IR's frozen dataclasses by msgspec. Nothing in it is code: an entry that does not decode
(corrupt, foreign, written by an older sublimate as a pickle) is a miss.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import msgspec

from ..ir import Schema
from ..user_cache import read_entry, source_hash, user_cache_dir, write_entry

_FORMAT = 4  # 4: EntityNames lost `variable`, gained where/order_by/to_read/controller


class _Header(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An entry's first line: enough to tell a miss without decoding the IR behind it."""

    key: str
    files: tuple[tuple[str, str], ...]  # (absolute path, content hash)


_HEADER = msgspec.json.Decoder(_Header)
_SCHEMA = msgspec.json.Decoder(Schema)


def cached_schema(spec: str, build: Callable[[str], Schema], *, use: bool = True) -> Schema:
    """`build(spec)`, or the IR it returned last time if none of its source files changed."""
    directory = user_cache_dir("ir") if use else None
    if directory is None:
        return build(spec)
    key = _key(spec)
    path = directory / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"
    cached = _load(path, key)
    if cached is not None:
        return cached
    module = spec.partition(":")[0].strip()
    already = module in sys.modules  # then its files are not among what this import loads
    before = set(sys.modules)
    schema = build(spec)
    if not already:
        header = _Header(key, _files(set(sys.modules) - before))
        write_entry(path, lambda: _encode(header, schema), kept=_KEPT)
    return schema


def _key(spec: str) -> str:
    """What the IR depends on besides the loaded files: the spec, where imports look, the
    Python and SQLAlchemy versions, and sublimate's own introspection code."""
    parts = [str(_FORMAT), spec, os.getcwd(), *sys.path, sys.version, _sqlalchemy_version()]
    return "\n".join([*parts, source_hash()])


def _sqlalchemy_version() -> str:
    """Without importing SQLAlchemy (a tenth of a second): a hit needs nothing from it."""
    module = sys.modules.get("sqlalchemy")
    if module is not None:
        return str(module.__version__)
    try:
        return metadata.version("sqlalchemy")
    except metadata.PackageNotFoundError:
        return ""


def _files(names: set[str]) -> tuple[tuple[str, str], ...]:
    found: dict[str, str] = {}
    for name in names:
        filename = getattr(sys.modules.get(name), "__file__", None)
        if isinstance(filename, str) and os.path.isfile(filename):
            path = os.path.abspath(filename)
            found[path] = _hash(path) or ""
    return tuple(sorted(found.items()))


def _hash(path: str) -> str | None:
    """The content hash of a regular file (an entry naming /dev/zero or a FIFO is a miss, not a
    hang)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


def _encode(header: _Header, schema: Schema) -> bytes:
    return msgspec.json.encode(header) + b"\n" + msgspec.json.encode(schema)


def _load(path: Path, key: str) -> Schema | None:
    data = read_entry(path)
    if data is None:
        return None
    first, _, rest = data.partition(b"\n")
    try:
        header = _HEADER.decode(first)
        if header.key != key:
            return None
        if any(_hash(filename) != digest for filename, digest in header.files):
            return None
        return _SCHEMA.decode(rest)
    except Exception:  # truncated, foreign, hostile: whatever fails to decode is a miss
        return None


_KEPT = 64  # entries (a project and spec each, ~0.5 MB for 300 models); the oldest go first
