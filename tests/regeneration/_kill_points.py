"""Run the `sublimate` CLI with its writes to the output directory counted, and die at one.

A SIGKILL timed from outside lands mostly in process start-up: writing the tree takes
milliseconds of a second-long run. Run as a script in place of `sublimate`, this module wraps
the `os` and `io` calls that create, replace, link or remove a file or a directory before it
starts the CLI, so that sublimate itself knows nothing of it (no hook in sublimate/). It counts
the calls that touch the output directory (SUBLIMATE_KILL_DIR), appends one line per call to
SUBLIMATE_KILL_LOG (`op<TAB>path[<TAB>destination]`, relative to that directory) and, when
SUBLIMATE_KILL_AT is `before:N` or `after:N`, SIGKILLs its own process just before or just after
the N-th call. The calls are wrapped at their lowest level (`os.replace`, not `Path.replace`),
so whichever spelling write.py uses, its writes are seen.
"""

from __future__ import annotations

import builtins
import io
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sublimate.manifest import MANIFEST
from sublimate.output_paths import TMP_SUFFIX

KILL_DIR = "SUBLIMATE_KILL_DIR"
KILL_LOG = "SUBLIMATE_KILL_LOG"
KILL_AT = "SUBLIMATE_KILL_AT"
SCRIPT = Path(__file__)
_WRITE_MODES = frozenset("wax+")


@dataclass(frozen=True, slots=True)
class Mutation:
    """One logged call: `op` is the wrapped function's name, paths relative to the output."""

    op: str
    path: str
    destination: str = ""

    @property
    def touches_staged_file_only(self) -> bool:
        return _staged(self.path) and (not self.destination or _staged(self.destination))


def read_log(log: Path) -> list[Mutation]:
    return [Mutation(*line.split("\t")) for line in log.read_text().splitlines()]


def phases(mutations: list[Mutation]) -> list[str]:
    """The phase of `apply` each mutation belongs to, from what it does to which name.

    Staging writes staged files (and moves the staged journal in place); swapping replaces or
    links targets (and drops a user module's staged file once linked); removing unlinks targets;
    the manifest is replaced last. Removing an earlier run's leftovers, before any staging, is
    cleaning. A file written in place (not staged) counts as swapped: it changed the tree.
    """
    labels: list[str] = []
    for mutation in mutations:
        destination = mutation.destination or mutation.path
        if mutation.op == "mkdir" or mutation.touches_staged_file_only:
            if mutation.op != "unlink":
                label = "staging"
            else:  # a leftover, before this run staged anything, or a linked module's
                label = "cleaning" if set(labels) <= {"cleaning"} else "swapping"
        elif Path(destination).name == MANIFEST and mutation.op != "unlink":
            label = "manifest"
        else:
            label = "removing" if mutation.op == "unlink" else "swapping"
        labels.append(label)
    return labels


def _staged(path: str) -> bool:
    return path.endswith(TMP_SUFFIX)


class _Counter:
    """Counts the calls that touch the output directory; logs them; kills at the chosen one."""

    def __init__(self, root: str, log: int, kill_at: str) -> None:
        self.root = root
        self.log = log
        when, _, number = kill_at.partition(":")
        self.when = when
        self.number = int(number) if number else 0
        self.count = 0
        self.lock = threading.Lock()

    def relative(self, path: Any) -> str | None:
        """`path` relative to the output directory, or None when it is elsewhere (or a fd)."""
        if isinstance(path, int):
            return None
        text = os.fsdecode(os.fspath(path))
        absolute = os.path.join(
            os.path.realpath(os.path.dirname(os.path.abspath(text))), os.path.basename(text)
        )
        relative = os.path.relpath(absolute, self.root)
        return None if relative == ".." or relative.startswith("../") else relative

    def around(self, op: str, paths: list[str], call: Callable[[], Any]) -> Any:
        with self.lock:
            self.count += 1
            number = self.count
            os.write(self.log, ("\t".join([op, *paths]) + "\n").encode())
        if number == self.number and self.when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = call()
        if number == self.number and self.when == "after":
            os.kill(os.getpid(), signal.SIGKILL)
        return result


def _wrap(counter: _Counter, op: str, original: Callable[..., Any], arity: int) -> Any:
    """`original`, counted when one of its first `arity` path arguments is in the output."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not _mutates(op, args, kwargs):
            return original(*args, **kwargs)
        paths = [counter.relative(path) for path in args[:arity]]
        if all(path is None for path in paths):
            return original(*args, **kwargs)
        names = [path or "<outside>" for path in paths]
        return counter.around(op, names, lambda: original(*args, **kwargs))

    return wrapped


def _mutates(op: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether the call would change the tree: `mkdir` of an existing directory does not
    (`Path.mkdir(exist_ok=True)` tries it), nor an `open` for reading."""
    if op == "mkdir":
        return not os.path.lexists(args[0])
    if op == "open" and len(args) > 1 and isinstance(args[1], int):  # os.open(path, flags)
        return bool(args[1] & (os.O_CREAT | os.O_TRUNC | os.O_WRONLY | os.O_RDWR))
    if op == "open":  # io.open(path, mode)
        mode = args[1] if len(args) > 1 else kwargs.get("mode", "r")
        return bool(_WRITE_MODES & set(mode))
    return True


def install(root: Path, log: int, kill_at: str) -> None:
    """Wrap every call that writes, in `os` and `io` (and `builtins.open`, the same function)."""
    counter = _Counter(os.path.realpath(root), log, kill_at)
    for op, arity in (("replace", 2), ("rename", 2), ("link", 2), ("symlink", 2)):
        setattr(os, op, _wrap(counter, op, getattr(os, op), arity))
    for name in ("unlink", "remove", "rmdir"):
        setattr(os, name, _wrap(counter, "unlink", getattr(os, name), 1))
    os.mkdir = _wrap(counter, "mkdir", os.mkdir, 1)
    os.open = _wrap(counter, "open", os.open, 1)
    io.open = builtins.open = _wrap(counter, "open", io.open, 1)


def main() -> None:
    """Wrap the calls, then run the CLI exactly as the `sublimate` script does."""
    log = os.open(os.environ[KILL_LOG], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    install(Path(os.environ[KILL_DIR]), log, os.environ.get(KILL_AT, ""))
    from sublimate.cli import main as cli

    sys.argv[0] = "sublimate"
    cli()


if __name__ == "__main__":
    main()
