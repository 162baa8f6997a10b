"""The render cache: what regeneration takes from disk instead of rendering or formatting again.

Formatting is the slow stage (black formats ~3k lines/s) and rendering is not free either, so
regeneration skips both for what did not change, on any machine, using only the committed tree:

1. Input cache. A per-model file's text depends only on its model's IR (or the whole IR, for an
   output that declares it reads other models), the templates, the generator version and the
   formatter settings. The manifest records
   a hash of all that (`FileRecord.input`); when it matches and the file on disk is intact, the
   file is reused as it is: not rendered, not formatted.
2. Format cache. Any other file is rendered (cheap), and the manifest records the hash of its
   unformatted render with the formatter's name, version and line length (`FileRecord.render`);
   when that matches and the file on disk is intact, its formatted body is reused.

"Intact" means the body matches both the hash in the file's header and the manifest's record, so
a hand-edited file is never taken for generated output. `generate --force` bypasses the cache.

The generator's Python code is not part of the input key, only its version: a hash of the code
would change the committed manifest with every edit to the generator. So a development build
whose rendering code changed without a version bump must regenerate with `--force` (as
`make example` does); the golden test generates from scratch and catches a stale record.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path

from . import __version__
from .ir import Entity, Schema
from .manifest import FileRecord, Manifest, body_hash, split_header
from .settings import NESTED_DEPTH, SESSIONS

_PACKAGE = Path(__file__).resolve().parent


def _digest(*parts: str) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode())
        hasher.update(b"\0")
    return hasher.hexdigest()[:32]


@cache
def template_hash() -> str:
    """A hash of every template file (names and bytes)."""
    root = _PACKAGE / "templates"
    hasher = hashlib.sha256()
    for path in sorted(root.rglob("*.jinja")):
        hasher.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return hasher.hexdigest()[:32]


@cache
def formatter_id(formatter: str) -> str:
    """The formatter and its exact version: a new version may format differently."""
    if formatter == "ruff":
        try:
            completed = subprocess.run(
                [ruff_binary(), "--version"], capture_output=True, text=True, check=True
            )
        except (OSError, subprocess.CalledProcessError) as error:
            raise FormatterError(f"cannot run ruff: {error}") from error
        return completed.stdout.strip()  # "ruff 0.8.4"
    return f"black {metadata.version('black')}"


class FormatterError(Exception):
    """The configured formatter cannot run (ruff not installed)."""


def ruff_binary() -> str:
    """The ruff executable: next to this Python first (a venv), then on PATH."""
    local = Path(sys.executable).with_name("ruff")
    if local.is_file():
        return str(local)
    found = shutil.which("ruff")
    if found is None:
        raise FormatterError('formatter = "ruff" needs ruff: pip install ruff')
    return found


@dataclass(frozen=True, slots=True, kw_only=True)
class Fingerprint:
    """What produced an output tree; recorded in the manifest, compared by `check`."""

    sublimate: str
    templates: str
    formatter: str  # "black 26.10.1"
    line_length: int
    ir: str
    sessions: tuple[str, ...] = SESSIONS  # the `sessions` setting: which classes are printed
    nested_depth: int = NESTED_DEPTH  # the `nested_depth` setting: which nested DTOs are printed

    def as_dict(self) -> dict[str, object]:
        """As recorded in the manifest. `sessions` and `nested_depth` only when not the default:
        the manifests written before the settings existed stay as they are."""
        recorded: dict[str, object] = {
            "sublimate": self.sublimate,
            "templates": self.templates,
            "formatter": self.formatter,
            "line_length": self.line_length,
            "ir": self.ir,
        }
        if self.sessions != SESSIONS:
            recorded["sessions"] = list(self.sessions)
        if self.nested_depth != NESTED_DEPTH:
            recorded["nested_depth"] = self.nested_depth
        return recorded


@dataclass(frozen=True, slots=True, kw_only=True)
class SchemaHashes:
    schema: str  # the whole IR
    context: str  # the IR outside the entities, and the entities' names
    entities: Mapping[str, str]  # Entity.name -> hash of its IR


_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields_of(node: object) -> dict[str, object]:
    """A dataclass node as a dict, for json.dumps (enums are str subclasses: encoded as values)."""
    names = _FIELDS.get(type(node))
    if names is None:
        if isinstance(node, enum.Enum):
            return {"enum": node.value}
        if not dataclasses.is_dataclass(node):
            raise TypeError(f"not an IR node: {node!r}")
        names = _FIELDS[type(node)] = tuple(f.name for f in dataclasses.fields(node))
    return {name: getattr(node, name) for name in names}


def node_hash(node: object) -> str:
    """A stable hash of an IR node (its JSON through the C encoder: fast on 300 tables)."""
    payload = json.dumps(node, default=_fields_of, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


_NOT_OUTPUT = frozenset({"entities", "diagnostics"})


def schema_hashes(schema: Schema) -> SchemaHashes:
    entities = {entity.name: node_hash(entity) for entity in schema.entities}
    # Every other field of the Schema (diagnostics aside: they change no output), by name.
    outside = {k: v for k, v in _fields_of(schema).items() if k not in _NOT_OUTPUT}
    outside["names"] = [[e.name, e.table, e.schema, e.names] for e in schema.entities]
    context = _digest(json.dumps(outside, default=_fields_of, sort_keys=True, ensure_ascii=False))
    return SchemaHashes(
        schema=_digest(context, *(f"{k}={v}" for k, v in sorted(entities.items()))),
        context=context,
        entities=entities,
    )


def fingerprint(
    schema_hash: str,
    formatter: str,
    line_length: int,
    sessions: tuple[str, ...] = SESSIONS,
    nested_depth: int = NESTED_DEPTH,
) -> Fingerprint:
    return Fingerprint(
        sublimate=__version__,
        templates=template_hash(),
        formatter=formatter_id(formatter),
        line_length=line_length,
        ir=schema_hash,
        sessions=sessions,
        nested_depth=nested_depth,
    )


def render_hash(body: str, fingerprint: Fingerprint) -> str:
    """The format-cache key: an unformatted render and exactly what would format it. That is the
    formatter and the line length, and this sublimate too: what it does after the formatter
    (`formatting.allow_long_names`) is part of the formatted text, so a release that changes it
    must not take a file formatted by an older one for its own."""
    return _digest(fingerprint.sublimate, fingerprint.formatter, str(fingerprint.line_length), body)


@dataclass(slots=True)
class Stats:
    rendered: int = 0  # files whose template ran
    formatted: int = 0  # files the formatter ran on
    reused: int = 0  # files taken from disk without rendering


@dataclass(slots=True, kw_only=True)
class RenderCache:
    """The manifest's records plus the files on disk, for one run. Read-only."""

    out_dir: Path
    fingerprint: Fingerprint
    hashes: SchemaHashes
    records: Mapping[str, FileRecord] = field(default_factory=dict)
    enabled: bool = True
    stats: Stats = field(default_factory=Stats)
    _disk: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def for_run(
        cls,
        schema: Schema,
        out_dir: Path,
        manifest: Manifest | None,
        *,
        formatter: str,
        line_length: int,
        enabled: bool = True,
        sessions: tuple[str, ...] = SESSIONS,
        nested_depth: int = NESTED_DEPTH,
    ) -> RenderCache:
        hashes = schema_hashes(schema)
        return cls(
            out_dir=out_dir,
            fingerprint=fingerprint(hashes.schema, formatter, line_length, sessions, nested_depth),
            hashes=hashes,
            records=dict(manifest.files) if manifest is not None and enabled else {},
            enabled=enabled,
        )

    def read(self, path: str) -> str | None:
        """The text on disk at `path` (relative to the output), read once per run."""
        if path not in self._disk:
            try:
                self._disk[path] = (self.out_dir / path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                self._disk[path] = None
        return self._disk[path]

    def exists(self, path: str) -> bool:
        return (self.out_dir / path).exists()

    def input_key(
        self,
        template: str,
        path: str,
        entity: Entity,
        first_party: Iterable[str],
        *,
        related: Iterable[str] | None = None,
    ) -> str:
        """Everything a per-model file's text depends on, hashed.

        `first_party` is what the import sorter treats as the project's own packages; `related`
        names the other entities the render reads (a generated model reads the models its
        relationships and foreign keys point to): then their IR, and the schema's outside the
        entities, are part of the key too. A change elsewhere in the schema does not touch it,
        so a column added to one table re-renders its model and its neighbours', not 300.
        """
        f = self.fingerprint
        neighbours = ""
        if related is not None:
            known = self.hashes.entities
            neighbours = ",".join(
                [self.hashes.context] + [f"{n}={known.get(n, '')}" for n in sorted(set(related))]
            )
        # The session kinds and nested depth only when not the default, so that default keys
        # stay as they were.
        settings: list[str] = [] if f.sessions == SESSIONS else [",".join(f.sessions)]
        if f.nested_depth != NESTED_DEPTH:
            settings.append(f"nested_depth={f.nested_depth}")
        return _digest(
            template,
            path,
            self.hashes.entities[entity.name],
            neighbours,
            ",".join(sorted(first_party)),
            f.sublimate,
            f.templates,
            f.formatter,
            str(f.line_length),
            *settings,
        )

    def by_input(self, path: str, key: str) -> str | None:
        """The file's text on disk if it was produced from exactly these inputs and is intact."""
        record = self.records.get(path)
        if record is None or not record.input or record.input != key:
            return None
        content = self._intact(path, record)
        if content is not None:
            self.stats.reused += 1
        return content

    def by_render(self, path: str, digest: str) -> str | None:
        """The formatted body on disk if the same render was formatted before and is intact."""
        record = self.records.get(path)
        if record is None or record.render != digest:
            return None
        content = self._intact(path, record)
        if content is None:
            return None
        return split_header(content)[1]

    def _intact(self, path: str, record: FileRecord) -> str | None:
        content = self.read(path)
        if content is None:
            return None
        recorded, body = split_header(content)
        if recorded is None:
            return content if body_hash(content) == record.body else None
        if recorded != record.body or body_hash(body) != recorded:
            return None
        return content
