"""Rendered files -> disk, all or nothing, never touching what sublimate does not own.

The manifest (`<out>/.sublimate.json`) lists the files the generator owns with the hash of each
body. Before anything is written:
- files the manifest lists whose body no longer matches their header hash were edited by hand:
  refuse (unless `force`) and name them;
- the output directory must be creatable and writable.
Then each changed file goes to a temporary name beside its target and is `os.replace`d into place
once every file is staged; files of vanished models are removed; the manifest is written last.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .render import OutputFile, body_hash

MANIFEST = ".sublimate.json"
_HASH_PREFIX = "# sublimate-hash: "
_TMP_SUFFIX = ".sublimate-tmp"


class WriteError(Exception):
    """The output cannot be written (permissions, not a directory): nothing was written."""


class HandEditedError(Exception):
    """Generated files were edited by hand; `paths` names them."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = tuple(paths)
        super().__init__(", ".join(self.paths))


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    write: tuple[OutputFile, ...]  # new or changed
    unchanged: tuple[str, ...]
    remove: tuple[str, ...]  # owned before, not generated any more
    edited: tuple[str, ...]  # owned, and changed by hand since


def read_manifest(out_dir: Path) -> dict[str, object]:
    path = out_dir / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def owned_files(manifest: dict[str, object]) -> dict[str, str]:
    files = manifest.get("files", {})
    if not isinstance(files, dict):
        return {}
    return {str(k): str(v) for k, v in files.items()}


def header_intact(text: str) -> bool:
    """Whether a generated file's body still matches the hash in its header."""
    lines = text.split("\n", 2)
    if len(lines) < 3 or not lines[1].startswith(_HASH_PREFIX):
        return False
    return lines[1][len(_HASH_PREFIX) :] == body_hash(lines[2])


def plan(files: Sequence[OutputFile], out_dir: Path) -> Plan:
    owned = owned_files(read_manifest(out_dir))
    wanted = {f.path for f in files}
    to_write: list[OutputFile] = []
    unchanged: list[str] = []
    edited: list[str] = []
    for output in files:
        target = out_dir / output.path
        try:
            current = target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            current = None
        if current == output.content:
            unchanged.append(output.path)
            continue
        if current is not None and output.path in owned and _was_edited(output.path, current):
            edited.append(output.path)
        to_write.append(output)
    remove = []
    for path in sorted(set(owned) - wanted):
        target = out_dir / path
        if not target.exists():
            continue
        try:
            text = target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        if _was_edited(path, text):
            edited.append(path)
        remove.append(path)
    return Plan(
        write=tuple(to_write),
        unchanged=tuple(unchanged),
        remove=tuple(remove),
        edited=tuple(sorted(edited)),
    )


def _was_edited(path: str, text: str) -> bool:
    if path.endswith(".mako"):
        return False  # no header: Mako would copy it into every revision
    return not header_intact(text)


def apply(the_plan: Plan, files: Sequence[OutputFile], out_dir: Path, *, force: bool) -> None:
    """Carry out a plan: stage everything, then swap it in; the manifest goes last."""
    if the_plan.edited and not force:
        raise HandEditedError(the_plan.edited)
    _check_writable(out_dir)
    staged: list[tuple[Path, Path]] = []
    try:
        for output in the_plan.write:
            target = out_dir / output.path
            staged.append((_stage(target, output.content), target))
        manifest = {
            "generator": "sublimate",
            "files": {f.path: body_hash(_body(f.content)) for f in files},
        }
        manifest_target = out_dir / MANIFEST
        manifest_tmp = _stage(manifest_target, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    except OSError as error:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise WriteError(f"cannot write to {out_dir}: {error.strerror or error}") from error
    for tmp, target in staged:
        os.replace(tmp, target)
    for path in the_plan.remove:
        (out_dir / path).unlink(missing_ok=True)
    os.replace(manifest_tmp, manifest_target)


def _body(content: str) -> str:
    lines = content.split("\n", 2)
    if len(lines) == 3 and lines[1].startswith(_HASH_PREFIX):
        return lines[2]
    return content


def _stage(target: Path, content: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}{_TMP_SUFFIX}")
    with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(content)
    return tmp


def _check_writable(out_dir: Path) -> None:
    existing = out_dir
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise WriteError(f"cannot write to {out_dir}: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise WriteError(f"cannot write to {out_dir}: {existing} is not writable")
