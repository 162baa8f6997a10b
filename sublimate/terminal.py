"""What the CLI prints: every message goes through `say`, which makes database text harmless.

Messages quote names from a database (tables, columns, schemas), and those are hostile input: a
table named `x\\nshop/db: 0 written` would forge a summary line, an ESC sequence would recolour
or rewrite the terminal, a bidi override (U+202E) would reverse what a reviewer reads. `printable`
escapes every such character the way `repr` does (`\\n`, `\\x1b`, `\\u202e`), so one message is
one line of visible text; `say` also removes the secrets of the URLs the process was given
(`redact.scrub`) before anything is written.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from . import redact

# C0 controls (newline and tab included: a message is one line), DEL and C1 controls, the bidi
# embeddings, overrides and isolates (U+202A-202E, U+2066-2069), the bidi marks (U+200E, U+200F,
# U+061C) and the Unicode line and paragraph separators, which some terminals break lines at.
_BEYOND_C0 = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
_UNSAFE_BEYOND_C0 = re.compile(f"[{_BEYOND_C0}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, keep: str = "") -> str:
    """`text` with control, bidi and line-breaking characters escaped (`\\n`, `\\x1b`, `\\u202e`),
    except those in `keep`."""
    if keep:
        return _UNSAFE.sub(lambda m: m.group() if m.group() in keep else _escape(m), text)
    return _UNSAFE.sub(_escape, text)


def json_safe(text: str) -> str:
    """JSON text (whose C0 controls `json` already escapes) with the other unsafe characters as
    `\\uXXXX` escapes: the same JSON value, but a bidi override or a NEL in a name can neither
    reorder what a reviewer reads in a diff nor break a line of `sublimate diff`'s patch."""
    return _UNSAFE_BEYOND_C0.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def clean(message: str) -> str:
    """A message as it may be printed: secrets scrubbed, unsafe characters escaped."""
    return printable(redact.scrub(message))


def say(message: str, *, err: bool = True) -> None:
    """Print one message (stderr by default) as one line: see `clean`."""
    import typer

    typer.echo(clean(message), err=err)


def say_block(text: str, *, err: bool = False) -> None:
    """Print text whose line breaks and tabs are its own (a unified diff of generated files): on
    a terminal every other unsafe character is escaped; piped (`sublimate diff | git apply`) the
    text is written as it is, so that the patch still applies. Generated files never hold a
    secret (their header names the database as `postgresql:shop`), so there is none to scrub,
    and scrubbing a password that is also a word would corrupt the patch."""
    import typer

    stream = typer.get_text_stream("stderr" if err else "stdout")
    if stream.isatty():
        text = printable(text, keep="\n\t")
    typer.echo(text, nl=False, err=err)


@contextmanager
def warnings_as_messages() -> Iterator[None]:
    """Python warnings raised while a command runs (SQLAlchemy's, a models module's) printed
    through `say` as one `warning:` line: they quote names from the database too."""

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        say(f"warning: {category.__name__}: {message}")

    previous = warnings.showwarning
    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous
