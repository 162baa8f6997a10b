"""Progress on a terminal for big schemas (rich, which Typer ships); silent when piped.

A bar is shown only when stderr is a terminal and the work is big enough to wait for
(`THRESHOLD` tables or more): CI logs and `sublimate inspect | jq` stay clean. It is transient:
it disappears when the step ends, leaving only the usual one-line summary.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .terminal import printable

THRESHOLD = 50  # tables: below this, generation takes a few seconds at most

Advance = Callable[[str, int, int], None]  # (step, done, total), as produce.produce calls it


def enabled(size: int) -> bool:
    """Whether to draw: a terminal on stderr, and at least THRESHOLD items."""
    return size >= THRESHOLD and sys.stderr.isatty()


@contextmanager
def reading(url: str) -> Iterator[None]:
    """A spinner while the database is read (its size is unknown until it has been read)."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    console = Console(stderr=True)
    with console.status("reading the database...", spinner="dots"):
        yield


@contextmanager
def bar(size: int) -> Iterator[Advance | None]:
    """A determinate bar for `size` tables; yields its callback, or None when nothing is drawn."""
    if not enabled(size):
        yield None
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as shown:
        task = shown.add_task("rendering", total=size)

        def advance(step: str, done: int, total: int) -> None:
            # Shown as Rich markup: escaped, like every message (`terminal.printable`).
            description = escape(printable(step))
            shown.update(task, description=description, completed=done, total=total)

        yield advance
