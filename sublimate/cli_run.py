"""What every `sublimate` command shares: its options, and how it fails.

Every expected failure is one line on stderr and exit code 2; exit code 1 is for a state of the
tree rather than bad input (hand-edited files, files in the way, a stale `check`). `--debug`
shows the traceback instead. Apart from `sublimate.cli` so that a command may live in a module
of its own (`migrations_cli`) without importing the command line it is part of.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from .cache import FormatterError
from .formatting import RenderError
from .introspect import IntrospectError
from .manifest import ManifestError
from .output_paths import UnsafePathError
from .queries.parse import QueryErrors
from .settings import SettingsError
from .terminal import say, warnings_as_messages
from .write import HandEditedError, NotOwnedError, WriteError

ModelsOption = Annotated[
    str | None,
    typer.Option("--models", "-m", help="Module with the models: pkg.mod or pkg.mod:Base."),
]
UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        "-u",
        help="Read a live database instead of models, e.g. postgresql+psycopg://app@localhost/app"
        " ($VARS are expanded).",
    ),
]
SchemaOption = Annotated[
    str | None,
    typer.Option(
        "--schema", help="With --url: schemas to read, comma-separated (default: its own)."
    ),
]
TablesOption = Annotated[
    str | None,
    typer.Option("--tables", help="With --url: only these tables/views, comma-separated globs."),
]
ExcludeOption = Annotated[
    str | None,
    typer.Option(
        "--exclude", help="With --url: leave these tables/views out (comma-separated globs)."
    ),
]
SessionsOption = Annotated[
    str | None,
    typer.Option(
        "--sessions",
        help="Session kinds to generate classes for: sync,async (default), sync or async.",
    ),
]
OutOption = Annotated[
    str | None, typer.Option("--out", "-o", help="Output package directory, e.g. shop/db.")
]
ProjectOption = Annotated[
    Path,
    typer.Option("--project", help="Project directory (pyproject.toml, imports)."),
]
DebugOption = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]


class Fail(Exception):
    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = 2) -> NoReturn:
    raise Fail(message, code)


def run(debug: bool, action: object) -> None:
    """Run a generator command (generate, check, diff, init, inspect): expected failures become
    one line and an exit code.

    The cyclic garbage collector is off for these: what they build lives until the exit anyway,
    and its full passes over SQLAlchemy's object graph (the user's mapped classes) were a quarter
    of a second of a one-column regeneration, with the same peak memory without them. black's
    worker processes turn it back on (their parse trees are cyclic garbage); the `db` commands,
    which may hold a database's rows, keep it.
    """
    gc.disable()
    try:
        assert callable(action)
        with warnings_as_messages():
            action()
    except Fail as error:
        say(f"error: {error}")
        raise typer.Exit(error.code) from None
    except QueryErrors as failed:
        for query_error in failed.errors:
            say(f"error: {query_error}")
        say("error: the queries above do not pass against the schema; nothing was written")
        raise typer.Exit(2) from None
    except HandEditedError as error:
        edits = ", ".join(f"{path} (move it to {error.user_modules[path]})" for path in error.paths)
        say(
            f"error: generated files were edited by hand, nothing was written: {edits};"
            " or rerun with --force to discard the edits"
        )
        raise typer.Exit(1) from None
    except NotOwnedError as error:
        say(
            "error: files sublimate does not own are in the way, nothing was written: "
            + ", ".join(error.paths)
            + "; move them elsewhere (sublimate never overwrites them, even with --force)"
        )
        raise typer.Exit(1) from None
    except (
        IntrospectError,
        SettingsError,
        WriteError,
        RenderError,
        ManifestError,
        FormatterError,
        UnsafePathError,
    ) as error:
        if debug:
            raise
        say(f"error: {error}")
        raise typer.Exit(2) from None
    except typer.Exit:  # a verdict (`check`), not an error
        raise
    except Exception as error:  # a bug in sublimate: still one line, unless --debug
        if debug:
            raise
        say(f"error: internal error ({type(error).__name__}: {error}); rerun with --debug")
        raise typer.Exit(3) from None
