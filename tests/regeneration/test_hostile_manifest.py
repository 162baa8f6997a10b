"""A manifest (or staging journal) that names paths outside the output directory is refused
(issue 13, point 1): `diff`, `check`, `generate` and `generate --force` exit 2 with one line
naming the manifest and the entry, touch nothing, and never print the file outside."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from sublimate.manifest import MANIFEST, body_hash
from sublimate.output_paths import OutputTree, UnsafePathError, unsafe_reason

from ._support import out, run, tree

VICTIM_TEXT = "victim: the secret that must never be printed or deleted\n"
COMMANDS = [("diff",), ("check",), ("generate",), ("generate", "--force")]


def _victim(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    victim = directory / "victim.txt"
    victim.write_text(VICTIM_TEXT, encoding="utf-8")
    return victim


def _list_in_manifest(project: Path, entry: str, *, journal: bool = False) -> Path:
    """Add `entry` to the manifest's files, recorded with the victim's own hash (so that a
    trusting `generate` would delete it as a generated file of a model that is gone)."""
    manifest = out(project) / MANIFEST
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["files"][entry] = {"body": body_hash(VICTIM_TEXT), "entity": "Gone"}
    target = out(project) / f".{MANIFEST}.sublimate-tmp" if journal else manifest
    target.write_text(json.dumps(data), encoding="utf-8")
    return target


def _assert_refused(project: Path, command: tuple[str, ...], victim: Path, *names: str) -> None:
    before = tree(project)
    result = run(*command, cwd=project)
    assert result.returncode == 2, result.stdout + result.stderr
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("error: "), result.stderr
    for name in names:
        assert name in errors[0], errors[0]
    assert "victim: the secret" not in result.stdout + result.stderr
    assert "to remove" not in result.stdout
    assert victim.read_text(encoding="utf-8") == VICTIM_TEXT
    assert tree(project) == before


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_dotdot_path_in_manifest_is_refused(project: Path, command: tuple[str, ...]) -> None:
    victim = _victim(project / "outside")
    _list_in_manifest(project, "../../outside/victim.txt")
    _assert_refused(project, command, victim, MANIFEST, "'../../outside/victim.txt'")


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_absolute_path_in_manifest_is_refused(
    project: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    victim = _victim(tmp_path / "elsewhere")
    _list_in_manifest(project, str(victim))
    _assert_refused(project, command, victim, MANIFEST, repr(str(victim)))


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_symlinked_directory_leading_out_is_refused(
    project: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    victim = _victim(tmp_path / "elsewhere")
    os.symlink(victim.parent, out(project) / "evil")
    _list_in_manifest(project, "evil/victim.txt")
    _assert_refused(project, command, victim, "leads outside the output directory")


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_generated_subdirectory_symlinked_out_is_refused(
    project: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    """dtos/ moved outside and linked back: nothing is read, written or deleted through it."""
    moved = tmp_path / "elsewhere" / "dtos"
    shutil.move(out(project) / "dtos", moved)
    os.symlink(moved, out(project) / "dtos")
    victim = _victim(moved)
    outside = tree(moved)
    _assert_refused(project, command, victim, "leads outside the output directory")
    assert tree(moved) == outside


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_hostile_journal_is_refused(project: Path, command: tuple[str, ...]) -> None:
    """An interrupted run's journal is read as a manifest: the same rules apply."""
    victim = _victim(project / "outside")
    journal = _list_in_manifest(project, "../../outside/victim.txt", journal=True)
    _assert_refused(project, command, victim, journal.name, "'../../outside/victim.txt'")


def test_generated_file_that_is_a_symlink_is_never_followed(project: Path, tmp_path: Path) -> None:
    victim = _victim(tmp_path / "elsewhere")
    target = out(project) / "dtos" / "customer.py"
    target.unlink()
    os.symlink(victim, target)
    for command in COMMANDS:
        result = run(*command, cwd=project)
        assert "victim: the secret" not in result.stdout + result.stderr, command
        assert victim.read_text(encoding="utf-8") == VICTIM_TEXT
        assert target.is_symlink()
    result = run("generate", "--force", cwd=project)
    assert result.returncode == 1
    assert "in the way" in result.stderr and "dtos/customer.py" in result.stderr


def test_out_may_be_a_symlink(project: Path, tmp_path: Path) -> None:
    """`--out` itself is resolved once: the tree is written in its target."""
    real = tmp_path / "real_db"
    shutil.move(out(project), real)
    os.symlink(real, out(project))
    assert run("generate", cwd=project).returncode == 0  # templates may have moved on
    before = tree(real)
    assert run("check", cwd=project).returncode == 0
    (real / "dtos" / "customer.py").unlink()
    result = run("generate", cwd=project)
    assert result.returncode == 0, result.stderr
    assert tree(real) == before
    assert out(project).is_symlink()


@pytest.mark.parametrize(
    "entry",
    [
        "../x.py",
        "a/../../x.py",
        "/etc/passwd",
        "C:/x.py",
        "c:x.py",
        "a\\..\\x.py",
        "a\0.py",
        "",
        "a//b.py",
        "./a.py",
        ".sublimate.json",
        "dtos/.customer.py.sublimate-tmp",
    ],
)
def test_unsafe_entries_are_named(entry: str, tmp_path: Path) -> None:
    assert unsafe_reason(entry) is not None
    with pytest.raises(UnsafePathError, match="nothing was touched"):
        OutputTree(tmp_path).path(entry)


def test_plain_entries_pass(tmp_path: Path) -> None:
    (tmp_path / "dtos").mkdir()
    os.symlink(tmp_path / "dtos", tmp_path / "inside")  # a link that stays inside is followed
    tree_ = OutputTree(tmp_path)
    for entry in ("dtos/customer.py", "__init__.py", "inside/x.py", "migrations/env.py"):
        assert unsafe_reason(entry) is None
        assert str(tree_.path(entry)).startswith(str(tmp_path.resolve()))


def test_overlong_entries_are_no_crash(project: Path) -> None:
    """A name no file system accepts, listed as a file and as a user module: nothing to read or
    remove there, and no `File name too long` escapes as an internal error."""
    manifest = out(project) / MANIFEST
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["files"]["dtos/" + "x" * 300 + ".py"] = {"body": "0" * 32, "entity": "Gone"}
    data["user_files"]["custom/" + "y" * 300 + ".py"] = "Gone"
    manifest.write_text(json.dumps(data), encoding="utf-8")
    for command in COMMANDS:
        result = run(*command, cwd=project)
        assert "internal error" not in result.stderr, (command, result.stderr)
        assert result.returncode in (0, 1), (command, result.stderr)
    assert run("check", cwd=project).returncode == 0
