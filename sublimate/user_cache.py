"""The per-user cache directory (`$XDG_CACHE_HOME/sublimate`, else `~/.cache/sublimate`).

What is kept there only saves time: compiled templates, the IR of models whose source did not
change, and the tables of a SQLite file as reflected last time. Nothing in it decides what is
generated, so a directory that cannot be created or written is simply not used, and
`SUBLIMATE_NO_CACHE=1` turns it off.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def user_cache_dir(name: str) -> Path | None:
    """The cache subdirectory `name`, created; None when caching is off or impossible."""
    if os.environ.get("SUBLIMATE_NO_CACHE"):
        return None
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    directory = Path(root) / "sublimate" / name
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return directory


@functools.cache
def source_hash() -> str:
    """sublimate's own source: cached results (an IR, reflected tables) depend on the code that
    made them, and a development checkout changes without a new version number."""
    own = hashlib.sha256()
    for source in sorted(_PACKAGE.rglob("*.py")):
        own.update(source.read_bytes())
    return own.hexdigest()


def write_entry(path: Path, *objects: object, kept: int) -> None:
    """Pickle `objects` one after another into `path`, atomically (a temporary file, then
    os.replace), and keep only the `kept` newest entries of its directory. A cache that cannot
    be written is not used: any failure, pickling included, leaves no file behind."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        protocol = pickle.HIGHEST_PROTOCOL
        tmp.write_bytes(b"".join(pickle.dumps(item, protocol) for item in objects))
        os.replace(tmp, path)
        entries = sorted(path.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-kept]:
            old.unlink(missing_ok=True)
    except Exception:
        tmp.unlink(missing_ok=True)
