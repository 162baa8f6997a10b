"""Rendered files -> disk, all or nothing, never touching what sublimate does not own.

`plan` compares what was rendered with the tree and the manifest, and only reads; `check` and
`diff` stop there. `apply` carries a plan out:

1. refuse, before writing anything, when a generated file was edited by hand (unless `force`)
   or when a file sublimate does not own is in the way (always: `force` does not cover it);
2. stage every new or changed file beside its target (`.<name>.sublimate-tmp`), then the new
   manifest (`..sublimate.json.sublimate-tmp`, the run's journal): nothing visible changed yet;
3. swap each staged file in with `os.replace` (atomic per file), create the user modules that
   do not exist yet without ever replacing one (a hard link fails if the file exists), remove
   the files of models that are gone, and move the journal onto the manifest last.

A run killed at any point leaves every file either old or new. Staged files left behind tell the
next run (and `check`) that a run was interrupted; the next `generate` removes them and finishes
the job, treating as its own the files either the manifest or the journal lists. Files are not
fsync'ed: this protects against a killed process, not against a power cut.

Ownership: a generated file is sublimate's when a manifest lists it, or when it starts with a
sublimate header (the manifest was lost or conflicted, or a run was interrupted). User modules
are written once when absent and never touched again; when their model goes away they stay, with
a warning. Everything else under the output directory is never replaced or removed.

Paths: every one, from the manifest, the journal or the render, goes through `output_paths`
before it is read, written or removed: it stays inside the output directory (no `..`, no
directory that is a link leading out), and a file that is a symbolic link is never followed.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import manifest as mf
from .manifest import MANIFEST, FileRecord, Manifest, body_hash, header_intact, split_header
from .output_paths import TMP_SUFFIX, OutputTree
from .outputs import USER_MODULE, OutputFile


class WriteError(Exception):
    """The output cannot be written (permissions, not a directory): nothing was written."""


class HandEditedError(Exception):
    """Generated files were edited by hand; `paths` names them, `user_modules` where to move."""

    def __init__(self, paths: Sequence[str], user_modules: Mapping[str, str]) -> None:
        self.paths = tuple(paths)
        self.user_modules = dict(user_modules)
        super().__init__(", ".join(self.paths))


class NotOwnedError(Exception):
    """Files sublimate does not own are where it would write: it never touches them."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = tuple(paths)
        super().__init__(", ".join(self.paths))


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    write: tuple[OutputFile, ...]  # generated files, new or changed
    create: tuple[OutputFile, ...]  # user modules that do not exist yet
    unchanged: tuple[str, ...]
    remove: tuple[str, ...]  # generated before, not any more
    edited: tuple[str, ...]  # generated files changed by hand (to be rewritten or removed)
    missing: tuple[str, ...]  # generated files deleted by hand (to be written again)
    not_owned: tuple[str, ...]  # files in the way that sublimate does not own
    orphans: tuple[tuple[str, str], ...]  # (path, model): user modules of models that are gone
    interrupted: bool  # a previous run was killed half-way: its staged files are still there
    old: Manifest | None
    new: Manifest
    new_text: str  # new.to_json(), computed once
    manifest_changed: bool
    out_dir: Path | None = None  # where the plan was made; diff checks its paths against it

    @property
    def up_to_date(self) -> bool:
        return not (
            self.write
            or self.create
            or self.remove
            or self.edited
            or self.not_owned
            or self.interrupted
            or self.manifest_changed
        )

    def user_module_of(self, path: str) -> str:
        """Where the change in a hand-edited generated file belongs: its model's user module."""
        current = self.new.files.get(path)
        record = current or (self.old.files.get(path) if self.old else None)
        entity = record.entity if record else ""
        for user_path, model in self.new.user_files.items():
            if model and model == entity:
                return user_path
        if current is None or not current.entity:  # a package file, or a model that is gone
            return "custom/"
        # Every per-model path ends in the model's module name (`services/customer.py`).
        module = path.rsplit("/", 1)[-1].removesuffix(".py")
        user_module = USER_MODULE.path.format(module=module)
        return f"{user_module}, which `sublimate extend {current.entity}` writes"


def staged_manifest(out_dir: Path) -> Path:
    return _tmp_name(out_dir / MANIFEST)


def leftovers(out_dir: Path) -> list[Path]:
    """Staged files an interrupted run left behind."""
    if not out_dir.is_dir():
        return []
    return sorted(out_dir.rglob(f".*{TMP_SUFFIX}"))


def plan(
    files: Sequence[OutputFile],
    out_dir: Path,
    *,
    fingerprint: Mapping[str, object],
    schema: Mapping[str, Any],
    old: Manifest | None,
    read: Callable[[str], str | None] | None = None,
    queries: Mapping[str, Any] | None = None,
) -> Plan:
    """What `apply` would do against the tree and its manifest `old`; writes nothing.

    Every path is checked (output_paths) before it is read: none may lead outside `out_dir`,
    and a symbolic link where a file would go is in the way, never read or followed.
    """
    tree = OutputTree(out_dir)
    read = read or (lambda path: _read(tree.path(path)))
    interrupted = bool(leftovers(out_dir))
    pending = _read_staged_manifest(out_dir) if interrupted else None
    records = _owned_records(old, pending)
    for path in records:
        tree.path(path)  # UnsafePathError before anything is read
    generated = [f for f in files if not f.user]
    sorted_out = _sort_generated(generated, tree, read, records)
    wanted = {f.path for f in generated}
    remove: list[str] = []
    for path in sorted(set(records) - wanted):
        current = None if tree.is_link(path) else read(path)
        if current is None:
            continue
        if _edited(current, records[path]):
            sorted_out.edited.append(path)
        remove.append(path)
    user = [f for f in files if f.user]
    create = [f for f in user if f.content and not os.path.lexists(tree.path(f.path))]
    user_paths = {f.path for f in user}
    old_user = dict(old.user_files) if old else {}
    orphans = [
        (path, model)
        for path, model in sorted(old_user.items())
        if path not in user_paths and os.path.exists(tree.path(path))  # False on any error
    ]
    # Orphans stay listed while they exist, so that every run keeps warning about them.
    user_files = {f.path: f.entity for f in user} | dict(orphans)
    new = Manifest(
        fingerprint=dict(fingerprint),
        files={f.path: _record(f) for f in sorted(generated, key=lambda f: f.path)},
        user_files=dict(sorted(user_files.items())),
        schema=dict(schema),
        queries=dict(queries or {}),
    )
    new_text = new.to_json()
    return Plan(
        write=tuple(sorted_out.write),
        create=tuple(create),
        unchanged=tuple(sorted_out.unchanged),
        remove=tuple(remove),
        edited=tuple(sorted(sorted_out.edited)),
        missing=tuple(sorted(sorted_out.missing)),
        not_owned=tuple(sorted(sorted_out.not_owned)),
        orphans=tuple(orphans),
        interrupted=interrupted,
        old=old,
        new=new,
        new_text=new_text,
        manifest_changed=_differs(_read(out_dir / MANIFEST), new, new_text, old),
        out_dir=out_dir,
    )


@dataclass(slots=True)
class _Sorted:
    """The generated files of a plan, by what happens to each (lists: `plan` adds removals)."""

    write: list[OutputFile] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    not_owned: list[str] = field(default_factory=list)


def _sort_generated(
    generated: Sequence[OutputFile],
    tree: OutputTree,
    read: Callable[[str], str | None],
    records: Mapping[str, Any],
) -> _Sorted:
    """Each generated file against what is on disk: unchanged, to write (edited by hand or
    missing, noted), or in the way (not ours: a link, a directory, a file without our header)."""
    out = _Sorted()
    for output in generated:
        if tree.is_link(output.path):
            out.not_owned.append(output.path)
            continue
        current = read(output.path)
        if current == output.content:
            out.unchanged.append(output.path)
        elif current is None:
            if os.path.exists(tree.path(output.path)):  # a directory, unreadable: not ours
                out.not_owned.append(output.path)
                continue
            out.write.append(output)
            if output.path in records:
                out.missing.append(output.path)
        elif output.path in records:
            if _edited(current, records[output.path]):
                out.edited.append(output.path)
            out.write.append(output)
        elif split_header(current)[0] is not None:
            # Ours by its own header, though no manifest lists it (lost or conflicted manifest,
            # interrupted run); a body that no longer matches it was edited, as anywhere else.
            if not header_intact(current):
                out.edited.append(output.path)
            out.write.append(output)
        else:
            out.not_owned.append(output.path)
    return out


def apply(the_plan: Plan, out_dir: Path, *, force: bool) -> None:
    """Carry out a plan: refuse, or stage everything, swap it in, and write the manifest last."""
    if the_plan.not_owned:
        raise NotOwnedError(the_plan.not_owned)
    if the_plan.edited and not force:
        raise HandEditedError(
            the_plan.edited, {p: the_plan.user_module_of(p) for p in the_plan.edited}
        )
    if the_plan.up_to_date:
        return
    _check_writable(out_dir)
    tree = OutputTree(out_dir)  # checked again at use: the tree may have changed since plan
    journal = staged_manifest(out_dir)
    for stale in leftovers(out_dir):  # an interrupted run's: this run redoes its work
        if stale != journal:  # kept until replaced: it says which files that run swapped in
            _unlink_quietly(stale)
    writes = [(tree.path(output.path), output.content) for output in the_plan.write]
    creates = [(tree.path(output.path), output.content) for output in the_plan.create]
    removes = [tree.path(path) for path in the_plan.remove]
    staged: list[tuple[Path, Path]] = []
    created: list[tuple[Path, Path]] = []
    try:
        tmps = _stage_all(writes + creates)
        staged = list(zip(tmps[: len(writes)], (target for target, _ in writes), strict=True))
        created = list(zip(tmps[len(writes) :], (target for target, _ in creates), strict=True))
        # The staged manifest is the journal of this run: replaced atomically, so a run killed
        # at any point leaves a complete one (this run's or the interrupted run's).
        os.replace(_stage(_tmp_name(journal), the_plan.new_text), journal)
    except OSError as error:
        # Some may not have been staged, and the error may be one unlink raises too (a name too
        # long): cleaning up never raises, so the error reported is the one that happened.
        for target, _ in writes + creates:
            _unlink_quietly(_tmp_name(target))
        _unlink_quietly(_tmp_name(journal))
        raise WriteError(f"cannot write to {out_dir}: {error.strerror or error}") from error
    try:
        for tmp, target in staged:
            os.replace(tmp, target)
        for tmp, target in created:
            _create_once(tmp, target)
        for target in removes:  # unlink removes a link itself, never what it points to
            target.unlink(missing_ok=True)
        os.replace(journal, out_dir / MANIFEST)
    except OSError as error:
        raise WriteError(
            f"writing {out_dir} failed half-way ({error.strerror or error});"
            " every file is either old or new: run `sublimate generate` again to finish"
        ) from error


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _differs(current: str | None, new: Manifest, new_text: str, old: Manifest | None) -> bool:
    """Whether the manifest on disk says something else (its layout is not our business).

    `old` is the manifest read from `current` (None when it could not be): printing it again
    canonically costs a fifth of parsing both texts (a quarter of a second on 300 tables), and
    is not needed at all when a file's record changed (any regeneration that writes).
    """
    if current is None:
        return True
    if current == new_text:
        return False
    return old is None or old.files != new.files or old.to_json() != new_text


def _read_staged_manifest(out_dir: Path) -> Manifest | None:
    try:
        return mf.read(staged_manifest(out_dir))
    except mf.ManifestError:
        return None  # killed while writing it: nothing was swapped in yet


def _owned_records(*manifests: Manifest | None) -> dict[str, tuple[FileRecord, ...]]:
    owned: dict[str, tuple[FileRecord, ...]] = {}
    for manifest in manifests:
        if manifest is not None:
            for path, record in manifest.files.items():
                owned[path] = (*owned.get(path, ()), record)
    return owned


def _edited(content: str, records: tuple[FileRecord, ...]) -> bool:
    """Whether a generated file was changed by hand since a run wrote it."""
    recorded, _ = split_header(content)
    if recorded is not None:
        return not header_intact(content)
    # No header: either a header-less output (script.py.mako), checked against the manifest,
    # or a file whose header was removed by hand.
    return body_hash(content) not in {record.body for record in records}


def _record(output: OutputFile) -> FileRecord:
    recorded, _ = split_header(output.content)
    return FileRecord(
        body=recorded if recorded is not None else body_hash(output.content),
        render=output.render,
        input=output.input,
        entity=output.entity,
    )


def _unlink_quietly(path: Path) -> None:
    """Remove a staged file if it is there; any error (even the one that stopped the run) is
    ignored: a leftover is found and removed by the next run anyway."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _tmp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}{TMP_SUFFIX}")


def _stage(target: Path, content: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(target)
    # O_NOFOLLOW: a symbolic link planted under a staging name is never written through.
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    with open(os.open(tmp, flags, 0o666), "w", encoding="utf-8", newline="\n") as handle:
        handle.write(content)
    return tmp


_STAGING_THREADS = 8
_THREADED_STAGING = 64  # files; below it threads cost more than they save


def _stage_all(items: list[tuple[Path, str]]) -> list[Path]:
    """Stage every file (the temporary names, in order).

    Threads, because creating a file waits on the disk far more than on Python: on the project's
    VMs a cold 300-table generation spent a second creating 1,500 files one after the other.
    """
    for parent in sorted({target.parent for target, _ in items}):
        parent.mkdir(parents=True, exist_ok=True)
    if len(items) < _THREADED_STAGING:
        return [_stage(target, content) for target, content in items]
    with ThreadPoolExecutor(max_workers=_STAGING_THREADS) as pool:
        return list(pool.map(lambda item: _stage(*item), items))


def _create_once(tmp: Path, target: Path) -> None:
    """Put a user module in place unless a file is there by now: never replace the user's."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        pass
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        if not target.exists():  # a file system without hard links
            os.replace(tmp, target)
            return
    tmp.unlink(missing_ok=True)


def _check_writable(out_dir: Path) -> None:
    existing = out_dir
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise WriteError(f"cannot write to {out_dir}: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise WriteError(f"cannot write to {out_dir}: {existing} is not writable")
