"""Formatting generated modules: black in-process (in parallel for big schemas) or one ruff run.

The formatter shapes the golden output, so its version is pinned (pyproject.toml); a render that
does not parse is a bug in sublimate, reported as a `RenderError` naming the file.
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from .black_shape import fold
from .cache import FormatterError, ruff_binary


class RenderError(Exception):
    """A template or formatter failure: a bug in sublimate, reported with the file it was for."""


# progress(step, done, total): step is "rendering" or "formatting" (a bar on a terminal).
Progress = Callable[[str, int, int], None]


_PARALLEL_THRESHOLD = 48  # files; below it a process pool costs more than it saves

# The first line of a formatted module that still has a line longer than the projects' lint width.
LONG_NAMES_DIRECTIVE = "# ruff: noqa: E501  (names longer than a line)\n"
_LINT_WIDTH = 100  # the lint width of generated code, as views.entity._DOC_WIDTH


def allow_long_names(body: str, line_length: int) -> str:
    """`body` with a file-level `E501` exemption first when a line is still too long after
    formatting, else unchanged (ordinary output never has it).

    Only a name does that: black and ruff cannot break an identifier or a string literal (a
    nested Read DTO named after two 63-character tables, a `load` key), and names are the API,
    so they are not shortened. The exemption is part of the body the header's hash covers. A
    line with no space is not counted: ruff's E501 already lets it pass (nothing can shorten it).
    """
    width = max(line_length, _LINT_WIDTH)
    if body.startswith(LONG_NAMES_DIRECTIVE):
        return body
    for line in body.splitlines():
        if len(line) > width and len(line.split()) > 1:
            return LONG_NAMES_DIRECTIVE + body
    return body


def format_all(
    items: list[tuple[str, str]],
    line_length: int,
    formatter: str = "black",
    progress: Progress | None = None,
) -> dict[str, str]:
    if not items:
        return {}
    if formatter == "ruff":
        return _format_with_ruff(items, line_length)
    paths = [p for p, _ in items]
    formatted: dict[str, str] = {}
    if len(items) >= _PARALLEL_THRESHOLD and (os.cpu_count() or 1) > 1:
        with ProcessPoolExecutor(initializer=gc.enable) as pool:
            results = pool.map(_format_one, items, [line_length] * len(items), chunksize=8)
            for path, text in zip(paths, results, strict=True):
                formatted[path] = text
                if progress is not None:
                    progress("formatting", len(formatted), len(items))
        return formatted
    for path, body in items:
        formatted[path] = _format_one((path, body), line_length)
        if progress is not None:
            progress("formatting", len(formatted), len(items))
    return formatted


def _format_one(item: tuple[str, str], line_length: int) -> str:
    import black  # here, not at the top: a regeneration served by the cache never formats

    path, body = item
    mode = black.Mode(
        target_versions={black.mode.TargetVersion.PY311},
        line_length=line_length,
    )
    try:
        # black formats a module a second time whenever the first pass changed it: given its
        # own output (fold), it runs once and has no split to search for.
        return black.format_str(fold(body, line_length), mode=mode)
    except Exception as error:  # black raises several types; all mean the render is broken
        raise RenderError(f"{path}: generated code does not parse ({error})") from error


def _memory_dir(size: int) -> str | None:
    """A RAM-backed directory for ruff's scratch copy where there is one (Linux's /dev/shm) and
    it has room for `size` bytes three times over (a container's /dev/shm may be 64 MB).

    The copy is written and read back once: on a slow disk, creating 1,500 files there cost
    more than ruff's formatting itself (0.5-1 s against 0.4 s for 300 tables).
    """
    shm = "/dev/shm"
    try:
        if os.access(shm, os.W_OK | os.X_OK) and shutil.disk_usage(shm).free > 3 * size:
            return shm
    except OSError:
        pass
    return None


def _format_with_ruff(items: list[tuple[str, str]], line_length: int) -> dict[str, str]:
    """One `ruff format` process over a scratch copy (ruff parallelises; config files ignored)."""
    try:
        binary = ruff_binary()
    except FormatterError as error:
        raise RenderError(str(error)) from error
    memory = _memory_dir(sum(len(body.encode()) for _, body in items))
    if memory is not None:
        try:
            return _ruff_in(memory, binary, items, line_length)
        except OSError:  # the memory filled up after all: the disk, then
            pass
    try:
        return _ruff_in(None, binary, items, line_length)
    except OSError as error:
        raise RenderError(f"cannot write ruff's scratch copy: {error}") from error


def _ruff_in(
    directory: str | None, binary: str, items: list[tuple[str, str]], line_length: int
) -> dict[str, str]:
    with tempfile.TemporaryDirectory(prefix="sublimate-format-", dir=directory) as scratch:
        names = {f"f{number}.py": path for number, (path, _) in enumerate(items)}
        for name, (_, body) in zip(names, items, strict=True):
            with open(os.path.join(scratch, name), "w", encoding="utf-8", newline="\n") as handle:
                handle.write(body)
        command = [binary, "format", "--isolated", "--no-cache",
                   f"--line-length={line_length}", "--target-version=py311", scratch]  # fmt: skip
        completed = subprocess.run(command, capture_output=True, text=True)
        if completed.returncode != 0:
            message = completed.stderr.strip().splitlines() or ["ruff format failed"]
            for name, path in names.items():
                message = [line.replace(os.path.join(scratch, name), path) for line in message]
            raise RenderError(f"generated code does not parse: {message[0]}")
        formatted = {}
        for name, path in names.items():
            with open(os.path.join(scratch, name), encoding="utf-8", newline="") as handle:
                formatted[path] = handle.read()
        return formatted
