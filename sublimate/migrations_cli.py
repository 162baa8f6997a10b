"""`sublimate db ...`: the migrations CLI around the generated Alembic environment.

Every command drives Alembic's Python API (`alembic.command`) with an `alembic.config.Config`
pointing at `<out>/migrations/alembic.ini`, the file `sublimate generate` wrote: no subprocess, no
hand-written Alembic configuration. The database URL comes from `--url`, else from
`SUBLIMATE_DATABASE_URL` (the generated env.py reads that variable; `--url` is handed to it the
same way, for the duration of the command).

Expected failures are one line on stderr and exit code 2; `check` finding drift exits 1, as does
declining `drop-all`'s confirmation.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from . import redact
from .data_files import DataFiles, UnsafeDataPath
from .terminal import say, warnings_as_messages

URL_ENV = "SUBLIMATE_DATABASE_URL"

app = typer.Typer(
    help="Migrations (Alembic, through the generated env) and data utilities.\n\n"
    "Example: sublimate db revision -m 'add sku' --autogenerate && sublimate db upgrade",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        "-u",
        help=f"Database URL (default: ${URL_ENV}), e.g. postgresql+psycopg://app@localhost/app.",
    ),
]
OutOption = Annotated[
    str | None, typer.Option("--out", "-o", help="Generated package directory, e.g. shop/db.")
]
ProjectOption = Annotated[
    Path, typer.Option("--project", help="Project directory (pyproject.toml, imports).")
]
DebugOption = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]


class DbError(Exception):
    """An expected failure: one line on stderr, exit 2."""


def _fail(message: str) -> NoReturn:
    raise DbError(message)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__


ALEMBIC_MISSING = (
    "sublimate db needs Alembic, which is not installed:"
    " pip install alembic (or the generator's extra: pip install 'sublimate[db]')"
)


def _command_error() -> type[Exception]:
    """Alembic's CommandError; a stand-in no error is an instance of when Alembic is missing
    (drop-all and dump-data work without it)."""
    try:
        from alembic.util import CommandError
    except ImportError:
        return DbError
    return CommandError


def _run(debug: bool, action: Callable[[], None]) -> None:
    """Run a command body: expected errors become one line and exit 2 (unless --debug).

    Every message is printed through `terminal.say`: the secrets of the URL are scrubbed (a
    driver may echo its connection string) and control characters escaped."""
    try:
        with warnings_as_messages():
            action()
    except typer.Exit:
        raise
    except typer.Abort:
        raise
    except ModuleNotFoundError as error:
        if debug:
            raise
        if error.name == "alembic" or (error.name or "").startswith("alembic."):
            say(f"error: {ALEMBIC_MISSING}")
        else:
            say(f"error: {type(error).__name__}: {_one_line(error)}")
        raise typer.Exit(2) from None
    except (DbError, _command_error()) as error:
        if debug:
            raise
        say(f"error: {_one_line(error)}")
        raise typer.Exit(2) from None
    except Exception as error:  # a database or import failure: still one line
        if debug:
            raise
        say(f"error: {type(error).__name__}: {_one_line(error)}")
        raise typer.Exit(2) from None


class _Context:
    """The project's settings, the Alembic Config, and the URL to hand to env.py."""

    def __init__(self, project: Path, out: str | None, url: str | None) -> None:
        from .settings import load

        root = project.resolve()
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        self.settings = load(root, {"out": out})
        self.url = url or os.environ.get(URL_ENV)
        if not self.url:
            _fail(f"no database URL: pass --url or set {URL_ENV}")
        redact.remember(os.path.expandvars(self.url))  # scrubbed from every message
        self.migrations = self.settings.out_dir / "migrations"
        ini = self.migrations / "alembic.ini"
        if not ini.is_file():
            _fail(f"{ini} does not exist: run `sublimate generate` first")
        self.ini = ini

    def config(self) -> Any:
        from alembic.config import Config

        config = Config(str(self.ini), stdout=sys.stdout)
        config.set_main_option("script_location", str(self.migrations))
        (self.migrations / "versions").mkdir(exist_ok=True)
        return config

    @contextmanager
    def environment(self) -> Iterator[Any]:
        """The Config, with the URL visible to the generated env.py for the duration."""
        assert self.url is not None
        previous = os.environ.get(URL_ENV)
        os.environ[URL_ENV] = os.path.expandvars(self.url)
        try:
            yield self.config()
        finally:
            if previous is None:
                os.environ.pop(URL_ENV, None)
            else:
                os.environ[URL_ENV] = previous

    def models(self) -> str:
        """The project's models: `models`, or for a project generated from a database (`url`),
        the models sublimate generated from it (`<out package>.models:Base`)."""
        if self.settings.models:
            return self.settings.models
        if self.settings.url:
            return f"{self.settings.package}.models:Base"
        _fail("[tool.sublimate] sets neither models nor url: drop-all and dump-data need models")

    def schema(self) -> Any:
        """The IR of the project's models (for drop-all and dump-data)."""
        from .introspect.models import build_schema

        return build_schema(self.models())

    def metadata(self) -> Any:
        from .introspect.models import load_base

        return load_base(self.models()).registry.metadata

    def engine(self) -> Any:
        import sqlalchemy as sa

        assert self.url is not None
        url = sa.make_url(os.path.expandvars(self.url))
        if url.get_dialect().is_async:
            _fail(f"{url.drivername} is an async driver: use a sync one for this command")
        return sa.create_engine(url)


@app.command()
def revision(
    message: Annotated[str, typer.Option("--message", "-m", help="The revision's message.")],
    autogenerate: Annotated[
        bool,
        typer.Option(
            "--autogenerate",
            help="Compare the models with the database; write nothing when nothing changed.",
        ),
    ] = False,
    url: UrlOption = None,
    out: OutOption = None,
    project: ProjectOption = Path("."),
    debug: DebugOption = False,
) -> None:
    """Write a new revision under <out>/migrations/versions.

    Example: sublimate db revision -m "add product sku" --autogenerate
    """

    def action() -> None:
        from alembic import command

        context = _Context(project, out, url)
        written: list[str] = []

        def directives(_context: Any, _revision: Any, found: list[Any]) -> None:
            script = found[0]
            if autogenerate and script.upgrade_ops.is_empty():
                found[:] = []  # an empty autogenerate writes no file

        with context.environment() as config:
            result = command.revision(
                config,
                message=message,
                autogenerate=autogenerate,
                process_revision_directives=directives,
            )
        scripts = result if isinstance(result, list) else [result]
        written = [script.path for script in scripts if script is not None]
        if not written:
            typer.echo("no changes detected: models and database agree, no revision written")
            return
        for path in written:
            say(f"wrote {path}", err=False)

    _run(debug, action)


@app.command()
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    url: UrlOption = None,
    out: OutOption = None,
    project: ProjectOption = Path("."),
    debug: DebugOption = False,
) -> None:
    """Upgrade the database to a revision (default: head).

    Example: sublimate db upgrade --url sqlite:///app.db
    """

    def action() -> None:
        from alembic import command

        with _Context(project, out, url).environment() as config:
            command.upgrade(config, revision)

    _run(debug, action)


@app.command(context_settings={"ignore_unknown_options": True})  # `downgrade -1`
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision: an id, -1, or base.")],
    url: UrlOption = None,
    out: OutOption = None,
    project: ProjectOption = Path("."),
    debug: DebugOption = False,
) -> None:
    """Downgrade the database to a revision.

    Example: sublimate db downgrade -1
    """

    def action() -> None:
        from alembic import command

        with _Context(project, out, url).environment() as config:
            command.downgrade(config, revision)

    _run(debug, action)


@app.command()
def current(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show details.")] = False,
    url: UrlOption = None,
    out: OutOption = None,
    project: ProjectOption = Path("."),
    debug: DebugOption = False,
) -> None:
    """Print the database's current revision.

    Example: sublimate db current
    """

    def action() -> None:
        from alembic import command

        with _Context(project, out, url).environment() as config:
            command.current(config, verbose=verbose)

    _run(debug, action)


@app.command()
def history(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show details.")] = False,
    url: UrlOption = None,
    out: OutOption = None,
    project: ProjectOption = Path("."),
    debug: DebugOption = False,
) -> None:
    """List the revisions, newest first.

    Example: sublimate db history --verbose
    """

    def action() -> None:
        from alembic import command

        with _Context(project, out, url).environment() as config:
            command.history(config, verbose=verbose)

    _run(debug, action)


@app.command()
def check(
    url: UrlOption = None,
    out: OutOption = None,
    project: ProjectOption = Path("."),
    debug: DebugOption = False,
) -> None:
    """Exit 1 when the models and the migrated database differ (a revision is missing).

    Example: sublimate db check   # in CI, after `sublimate db upgrade`
    """

    def action() -> None:
        from alembic import command
        from alembic.util import AutogenerateDiffsDetected

        with _Context(project, out, url).environment() as config:
            try:
                command.check(config)
            except AutogenerateDiffsDetected as error:
                say(f"drift: {_one_line(error)}", err=False)
                typer.echo("run `sublimate db revision -m ... --autogenerate`")
                raise typer.Exit(1) from None
        typer.echo("no drift: the database matches the models")

    _run(debug, action)


@app.command()
def stamp(
    revision: Annotated[str, typer.Argument(help="Revision to record, e.g. head.")],
    url: UrlOption = None,
    out: OutOption = None,
    project: ProjectOption = Path("."),
    debug: DebugOption = False,
) -> None:
    """Record a revision as current without running migrations.

    Example: sublimate db stamp head
    """

    def action() -> None:
        from alembic import command

        with _Context(project, out, url).environment() as config:
            command.stamp(config, revision)

    _run(debug, action)


@app.command("drop-all")
def drop_all(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    url: UrlOption = None,
    out: OutOption = None,
    project: ProjectOption = Path("."),
    debug: DebugOption = False,
) -> None:
    """Drop every table of the models and Alembic's version table.

    Example: sublimate db drop-all --yes --url sqlite:///scratch.db
    """

    def action() -> None:
        import sqlalchemy as sa

        context = _Context(project, out, url)
        metadata = context.metadata()
        engine = context.engine()
        shown = redact.mask_url(engine.url)
        if not yes and not typer.confirm(
            f"drop {len(metadata.tables)} tables and alembic_version on {shown}?"
        ):
            say("aborted: nothing was dropped")
            raise typer.Exit(1)
        try:
            with engine.begin() as connection:
                metadata.drop_all(connection)
                connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        finally:
            engine.dispose()
        say(f"dropped {len(metadata.tables)} tables on {shown}", err=False)

    _run(debug, action)


@app.command("dump-data")
def dump_data(
    directory: Annotated[
        Path, typer.Option("--dir", "-d", help="Where to write <table>.json files.")
    ] = Path("data"),
    url: UrlOption = None,
    out: OutOption = None,
    project: ProjectOption = Path("."),
    debug: DebugOption = False,
) -> None:
    """Write every table to <dir>/<table>.json through the generated services and Read DTOs.

    A table name that is not a plain file name (`../x`, `a/b`, non-ASCII) is written as its safe
    characters and a hash of it, inside <dir>; the line printed for it names the table.

    Tables without a model (a plain `Table`, e.g. a many-to-many's association table) are
    dumped too, as their rows' column values. Views are not.

    Example: sublimate db dump-data --dir backup/
    """

    def action() -> None:
        import msgspec
        import sqlalchemy as sa
        from sqlalchemy.orm import Session

        context = _Context(project, out, url)
        schema = context.schema()
        metadata = context.metadata()
        package = context.settings.package
        engine = context.engine()
        directory.mkdir(parents=True, exist_ok=True)
        files = DataFiles(directory)  # table names are hostile: never a path of their own

        def write(table: str, schema: str | None, items: list[Any]) -> None:
            try:
                target = files.path(table, schema)
            except UnsafeDataPath as error:
                _fail(str(error))
            target.write_bytes(msgspec.json.format(msgspec.json.encode(items)) + b"\n")
            qualified = f"{schema}.{table}" if schema else table
            shown = "" if target.stem == qualified else f" (table {qualified!r})"
            say(f"{target}: {len(items)} rows{shown}", err=False)

        def plain_rows(session: Session, table: sa.Table) -> list[dict[str, Any]]:
            """No DTO: the rows as {column name: value}, in primary-key order when there is one."""
            rows = session.execute(sa.select(table).order_by(*table.primary_key.columns))
            return [{c.name: row[c] for c in table.columns} for row in rows.mappings()]

        covered = {_qualified(entity) for entity in schema.entities}
        # A plain Table (no mapped class, so no entity): a many-to-many's association table.
        unmapped = [
            table
            for table in metadata.sorted_tables
            if table.key not in covered and not table.info.get("is_view")
        ]
        try:
            with Session(engine) as session:
                for entity in schema.entities:
                    if entity.kind.value == "view":
                        continue
                    items: list[Any] = []
                    if entity.kind.value == "association":  # no DTO: its rows as mappings
                        items = plain_rows(session, metadata.tables[_qualified(entity)])
                    else:
                        names = entity.names
                        service = _service(package, names.module, names.service)(session)
                        while True:
                            page = service.list(limit=1000, offset=len(items))
                            items.extend(page.items)
                            if len(page.items) < 1000:
                                break
                    write(entity.table, entity.schema, items)
                for table in unmapped:
                    write(table.name, table.schema, plain_rows(session, table))
        finally:
            engine.dispose()

    _run(debug, action)


def _qualified(entity: Any) -> str:
    return f"{entity.schema}.{entity.table}" if entity.schema else str(entity.table)


def _service(package: str, module: str, name: str) -> Any:
    module_name = f"{package}.services.{module}"
    try:
        loaded = importlib.import_module(module_name)
    except ImportError as error:
        _fail(f"cannot import {module_name} ({_one_line(error)}): run `sublimate generate` first")
    service = getattr(loaded, name, None)
    if service is None:
        _fail(f"{module_name} has no {name}: run `sublimate generate` first")
    return service
