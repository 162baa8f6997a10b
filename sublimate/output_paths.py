"""Paths inside the output directory, and nothing else: what the manifest may name.

The manifest (`.sublimate.json`) and the staging journal are files in the repository: a pull
request can change them, and a merge can garble them. They list the files `generate` reads,
replaces and deletes, and `diff` prints, so an entry such as `../../victim.txt`, `/etc/passwd` or
`dtos/x.py` under a `dtos` that is a symbolic link to elsewhere would let a manifest reach
outside the output tree. Every entry is checked twice: when the manifest is parsed (its syntax:
relative, POSIX, no `..`) and again right before any read, write or delete (the real path of its
directory is inside the real output directory), so that no path reaches the disk unchecked.

The rules, as the README ("Regenerating") states them:
- `--out` may itself be a symbolic link: it is resolved once, and everything is relative to its
  target;
- a directory inside the output tree that is a symbolic link leading outside it is refused (one
  line, exit 2, nothing touched); one that stays inside is followed;
- a file sublimate would read, replace or delete that is a symbolic link is never followed: it
  is not sublimate's (the file is "in the way", never overwritten nor removed).
"""

from __future__ import annotations

import os
from pathlib import Path

TMP_SUFFIX = ".sublimate-tmp"  # staged files (write.py); never a manifest entry
MANIFEST_NAME = ".sublimate.json"


class UnsafePathError(Exception):
    """A path from the manifest or the journal would reach outside the output directory."""


def unsafe_reason(entry: object) -> str | None:
    """Why `entry` is not a plain relative path inside the output directory; None when it is."""
    if not isinstance(entry, str) or not entry:
        return "not a non-empty string"
    if "\0" in entry:
        return "it contains a NUL character"
    if "\\" in entry:
        return "it contains a backslash"
    if ":" in entry:
        return "it contains a drive or stream separator (:)"
    if entry.startswith("/"):
        return "it is an absolute path"
    parts = entry.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "it has an empty, '.' or '..' part"
    name = parts[-1]
    if name == MANIFEST_NAME or name.endswith(TMP_SUFFIX):
        return "it names sublimate's own bookkeeping file"
    return None


class OutputTree:
    """The real output directory, and the checked paths of entries under it.

    Directories are resolved once per run (a few per output tree), so the check costs one
    `realpath` per directory, not per file.
    """

    def __init__(self, out_dir: Path) -> None:
        self.root = Path(os.path.realpath(out_dir))
        self._prefix = str(self.root).rstrip(os.sep) + os.sep
        self._inside: dict[str, bool] = {"": True}

    def path(self, entry: str) -> Path:
        """The path of `entry` under the output directory, or UnsafePathError."""
        reason = unsafe_reason(entry)
        if reason is not None:
            raise UnsafePathError(
                f"refusing the path {entry!r} in {self.root}: {reason}; nothing was touched"
            )
        parent = entry.rpartition("/")[0]
        inside = self._inside.get(parent)
        if inside is None:
            real = os.path.realpath(self.root / parent)
            inside = real == str(self.root) or real.startswith(self._prefix)
            self._inside[parent] = inside
        if not inside:
            raise UnsafePathError(
                f"{self.root / parent} leads outside the output directory {self.root} (a symbolic"
                " link?): sublimate writes only inside it; nothing was touched"
            )
        return self.root / entry

    def is_link(self, entry: str) -> bool:
        """Whether the file at `entry` is a symbolic link (never followed, never ours)."""
        return os.path.islink(self.path(entry))
