"""The per-user cache directory (`$XDG_CACHE_HOME/sublimate`, else `~/.cache/sublimate`).

What is kept there only saves time: compiled templates, the IR of models whose source did not
change, and the tables of a SQLite file as reflected last time. Nothing in it decides what is
generated, so a directory that cannot be created or written is simply not used, and
`SUBLIMATE_NO_CACHE=1` turns it off.

Anyone who can write there could otherwise steer a run (a shared `XDG_CACHE_HOME`, a CI cache
restored from elsewhere), so:
- entries are plain data (JSON through msgspec), decoded strictly into known types: a malformed
  or hostile entry is a miss, never an exception and never code (no pickle);
- directories are created 0700 and files 0600; a directory that is not the user's own is not
  used, and one the group or others may write is made 0700 first (`private_dir`);
- compiled templates (marshal'ed code, which does run) are loaded only from such a private
  directory, and only files the user owns that nobody else may write (render.py).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def user_cache_dir(name: str) -> Path | None:
    """The cache subdirectory `name`, created; None when caching is off or impossible."""
    if os.environ.get("SUBLIMATE_NO_CACHE"):
        return None
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    ours = Path(root) / "sublimate"
    directory = ours / name
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    if not (private_dir(ours) and private_dir(directory)):
        return None
    return directory


def private_dir(directory: Path) -> bool:
    """Whether only this user can write in `directory` (made so when it is ours but too open).

    A directory owned by someone else is refused: its owner could put anything there. On
    systems without user ids (Windows) the file system's own permissions are trusted.
    """
    getuid = getattr(os, "getuid", None)
    if getuid is None:
        return True
    try:
        info = os.stat(directory)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != getuid():
            return False
        if info.st_mode & 0o077:
            os.chmod(directory, 0o700)
    except OSError:
        return False
    return True


def owned_file(descriptor: int) -> bool:
    """Whether an open cache file is a regular file of this user that only they may write."""
    getuid = getattr(os, "getuid", None)
    if getuid is None:
        return True
    info = os.fstat(descriptor)
    return stat.S_ISREG(info.st_mode) and info.st_uid == getuid() and not info.st_mode & 0o022


@functools.cache
def source_hash() -> str:
    """sublimate's own source: cached results (an IR, reflected tables) depend on the code that
    made them, and a development checkout changes without a new version number."""
    own = hashlib.sha256()
    for source in sorted(_PACKAGE.rglob("*.py")):
        own.update(source.read_bytes())
    return own.hexdigest()


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def write_entry(path: Path, encode: Callable[[], bytes], *, kept: int) -> None:
    """Write the bytes `encode()` returns into `path` (mode 0600), atomically (a temporary file,
    then os.replace), and keep only the `kept` newest entries of its directory (entries of an
    older sublimate, pickles, are removed). A cache that cannot be written is not used: any
    failure, encoding included, leaves no file behind."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        data = encode()
        tmp.unlink(missing_ok=True)  # a dead process's, with the same pid
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW
        with open(os.open(tmp, flags, 0o600), "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
        entries = sorted(path.parent.glob(f"*{path.suffix}"), key=lambda p: p.stat().st_mtime)
        for old in [*entries[:-kept], *path.parent.glob("*.pickle")]:
            old.unlink(missing_ok=True)
    except Exception:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def read_entry(path: Path) -> bytes | None:
    """The bytes of a cache entry; None when absent, unreadable, a link, or not the user's."""
    try:
        descriptor = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except OSError:
        return None
    try:
        with open(descriptor, "rb") as handle:
            return handle.read() if owned_file(handle.fileno()) else None
    except OSError:
        return None
