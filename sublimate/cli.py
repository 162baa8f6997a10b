"""The `sublimate` command: wires settings -> introspect -> render -> write, and nothing else.

Every expected failure is one line on stderr and exit code 2 (1 for "hand-edited files", which is
a state of the tree rather than bad input); `--debug` shows the traceback instead.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from . import __version__
from .introspect import IntrospectError
from .ir import Schema, to_jsonable
from .render import RenderError, render
from .settings import Settings, SettingsError, load
from .write import HandEditedError, WriteError, apply, plan

app = typer.Typer(
    help="Generate typed SQLAlchemy repositories, services and msgspec DTOs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)

ModelsOption = Annotated[
    str | None,
    typer.Option("--models", "-m", help="Module with the models: pkg.mod or pkg.mod:Base."),
]
OutOption = Annotated[
    str | None, typer.Option("--out", "-o", help="Output package directory, e.g. shop/db.")
]
ProjectOption = Annotated[
    Path,
    typer.Option("--project", help="Project directory (pyproject.toml, imports)."),
]
DebugOption = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]


class _Fail(Exception):
    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def _fail(message: str, code: int = 2) -> NoReturn:
    raise _Fail(message, code)


def _settings(project: Path, **overrides: object) -> Settings:
    root = project.resolve()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return load(root, dict(overrides))


def _schema(settings: Settings) -> Schema:
    if settings.models:
        from .introspect.models import build_schema

        schema = build_schema(settings.models)
    else:
        _fail("nothing to read: give --models pkg.mod (or set models in [tool.sublimate])")
    for diagnostic in schema.diagnostics:
        typer.echo(f"warning: {diagnostic.where}: {diagnostic.message}", err=True)
    return schema


def _run(debug: bool, action: object) -> None:
    try:
        assert callable(action)
        action()
    except _Fail as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(error.code) from None
    except HandEditedError as error:
        typer.echo(
            "error: generated files were edited by hand: "
            + ", ".join(error.paths)
            + ". Move the change to the model's user module, or rerun with --force to discard it.",
            err=True,
        )
        raise typer.Exit(1) from None
    except (IntrospectError, SettingsError, WriteError, RenderError) as error:
        if debug:
            raise
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    except Exception as error:  # a bug in sublimate: still one line, unless --debug
        if debug:
            raise
        typer.echo(
            f"error: internal error ({type(error).__name__}: {error}); rerun with --debug",
            err=True,
        )
        raise typer.Exit(3) from None


@app.command()
def generate(
    models: ModelsOption = None,
    out: OutOption = None,
    project: ProjectOption = Path("."),
    force: Annotated[bool, typer.Option(help="Overwrite hand-edited generated files.")] = False,
    debug: DebugOption = False,
) -> None:
    """Generate (or regenerate) the output package.

    Example: sublimate generate --models shop.models --out shop/db
    """

    def action() -> None:
        settings = _settings(project, models=models, out=out)
        files = render(_schema(settings), settings)
        the_plan = plan(files, settings.out_dir)
        apply(the_plan, files, settings.out_dir, force=force)
        typer.echo(
            f"{settings.out}: {len(the_plan.write)} written, {len(the_plan.unchanged)} unchanged,"
            f" {len(the_plan.remove)} removed",
            err=True,
        )

    _run(debug, action)


@app.command()
def inspect(
    models: ModelsOption = None,
    project: ProjectOption = Path("."),
    debug: DebugOption = False,
) -> None:
    """Print what the generator understood (the IR) as JSON.

    Example: sublimate inspect --models shop.models
    """

    def action() -> None:
        settings = _settings(project, models=models)
        typer.echo(json.dumps(to_jsonable(_schema(settings)), indent=2))

    _run(debug, action)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(f"sublimate {__version__}")


def main() -> None:
    app()
