"""The `sublimate` command: wires settings -> introspect -> render -> write, and nothing else.

Every expected failure is one line on stderr and exit code 2; exit code 1 is for a state of the
tree rather than bad input (hand-edited files, files in the way, a stale `check`). `--debug`
shows the traceback instead.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from . import __version__, options, progress, redact
from . import check as checking
from .cache import RenderCache
from .cli_run import (
    DebugOption,
    ExcludeOption,
    ModelsOption,
    OutOption,
    ProjectOption,
    SchemaOption,
    SessionsOption,
    TablesOption,
    UrlOption,
    fail,
    run,
)
from .ir import Schema, to_jsonable
from .manifest import (
    MANIFEST,
    Manifest,
    ManifestError,
    describe_queries,
    describe_schema,
    split_header,
)
from .manifest import read as read_manifest
from .parent_packages import create_parent_packages
from .produce import produce
from .queries.build import Built
from .queries.parse import QueryErrors
from .sessions import user_module_problems
from .settings import KEY_DOCS, Settings, load
from .terminal import say, say_block
from .write import Plan, apply, plan

app = typer.Typer(
    help="Generate typed SQLAlchemy repositories, services and msgspec DTOs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)


def _settings(project: Path, **overrides: object) -> Settings:
    root = project.resolve()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    settings = load(root, dict(overrides))
    for url in (settings.url, settings.queries_url):  # every message from here on is scrubbed
        if url:
            redact.remember(os.path.expandvars(url))
    return settings


def _schema(settings: Settings, *, use_cache: bool = True) -> Schema:
    if settings.models and settings.url:
        fail("both models and url are set: read one (--models pkg.mod or --url URL), not both")
    if settings.models:
        from .introspect.ir_cache import cached_schema

        schema = cached_schema(settings.models, _build_from_models, use=use_cache)
    elif settings.url:
        from .introspect.database import build_schema_from_url

        with progress.reading(settings.url):
            schema = build_schema_from_url(
                os.path.expandvars(settings.url),
                package=settings.package,
                schemas=settings.schemas,
                tables=settings.tables,
                exclude=settings.exclude,
                use_cache=use_cache,
            )
    else:
        fail(
            "nothing to read: give --models pkg.mod or --url URL"
            " (or set models or url in [tool.sublimate])"
        )
    for diagnostic in schema.diagnostics:
        say(f"warning: {diagnostic.where}: {diagnostic.message}")
    return options.apply(schema, settings)


def _build_from_models(spec: str) -> Schema:
    """Imports SQLAlchemy only when the models must be read: an IR cache hit needs none of it."""
    from .introspect.models import build_schema

    return build_schema(spec)


@app.command()
def generate(
    models: ModelsOption = None,
    url: UrlOption = None,
    schema: SchemaOption = None,
    tables: TablesOption = None,
    exclude: ExcludeOption = None,
    sessions: SessionsOption = None,
    out: OutOption = None,
    project: ProjectOption = Path("."),
    force: Annotated[
        bool, typer.Option(help="Overwrite hand-edited generated files; ignore the render cache.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if the output is stale.")
    ] = False,
    debug: DebugOption = False,
) -> None:
    """Generate (or regenerate) the output package.

    Example: sublimate generate --models shop.models --out shop/db

    Example: sublimate generate --url postgresql+psycopg://app@localhost/app --out app/db
    """

    def action() -> None:
        settings = _settings(
            project,
            models=models,
            out=out,
            url=url,
            schemas=schema,
            tables=tables,
            exclude=exclude,
            sessions=sessions,
        )
        if check:
            _check(settings)
            return
        _generate(settings, force=force)

    run(debug, action)


@app.command()
def extend(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            help="Models by class, module or table name: Customer, customer, customers."
        ),
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Every model that has no user module yet.")
    ] = False,
    models: ModelsOption = None,
    url: UrlOption = None,
    schema: SchemaOption = None,
    tables: TablesOption = None,
    exclude: ExcludeOption = None,
    sessions: SessionsOption = None,
    out: OutOption = None,
    project: ProjectOption = Path("."),
    debug: DebugOption = False,
) -> None:
    """Write custom/<model>.py for these models (your subclasses, never rewritten), then generate.

    Example: sublimate extend Customer Order
    """

    def action() -> None:
        if not names and not every:
            fail("name the models to extend (sublimate extend Customer), or give --all")
        settings = _settings(
            project,
            models=models,
            out=out,
            url=url,
            schemas=schema,
            tables=tables,
            exclude=exclude,
            sessions=sessions,
        )  # as `generate` takes them: the same output, plus the user modules
        _generate(settings, force=False, extend=(tuple(names or ()), every))

    run(debug, action)


def _generate(
    settings: Settings, *, force: bool, extend: tuple[tuple[str, ...], bool] = ((), False)
) -> None:
    """`generate`, and `extend` (the models to write a user module for, or all of them)."""
    the_plan, cache = _plan(settings, use_cache=not force, extend=extend)
    apply(the_plan, settings.out_dir, force=force)
    for init in create_parent_packages(settings.root, settings.out):
        say(f"created {init.relative_to(settings.root).as_posix()} (a package; yours now)")
    for warning in checking.orphan_warnings(the_plan):
        say(f"warning: {warning}")
    for warning in _user_module_problems(the_plan, settings):
        say(f"warning: {warning}")
    stats = cache.stats
    if settings.formatter == "black" and stats.formatted >= _RUFF_HINT:
        say(
            f'hint: {stats.formatted} files went through black; formatter = "ruff" in'
            " [tool.sublimate] formats them about 40 times faster"
        )
    count = len(the_plan.create)
    created = f", {count} user module{'s' if count > 1 else ''} created" if count else ""
    say(
        f"{settings.out}: {len(the_plan.write)} written, {len(the_plan.unchanged)} unchanged,"
        f" {len(the_plan.remove)} removed{created}"
        f" ({stats.rendered} rendered, {stats.formatted} formatted, {stats.reused} reused)"
    )
    mine = [f"{settings.out}/{f.path}" for f in the_plan.create if f.entity]
    if mine:
        more = f" and {len(mine) - 3} more" if len(mine) > 4 else ""
        say(f"yours from now on, never rewritten: {', '.join(mine[:3] if more else mine)}{more}")


def chosen_models(schema: Schema, names: tuple[str, ...]) -> frozenset[str]:
    """The models `extend` names, by class, module or table name; an unknown name fails and
    says the closest known ones."""
    known: dict[str, str] = {}
    for entity in schema.entities:
        known[entity.name] = entity.name
    for entity in schema.entities:
        known.setdefault(entity.names.module, entity.name)
        known.setdefault(entity.table, entity.name)
    chosen = set()
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=6)
            models = list(dict.fromkeys(known[match] for match in close))[:3]
            hint = f" (closest: {', '.join(models)})" if models else ""
            fail(f"no model named {name!r}{hint}; `sublimate inspect` lists them")
        chosen.add(known[name])
    return frozenset(chosen)


_RUFF_HINT = 300  # files black formatted in one run: past it, say that ruff is much faster


def _plan(
    settings: Settings,
    *,
    use_cache: bool = True,
    extend: tuple[tuple[str, ...], bool] = ((), False),
) -> tuple[Plan, RenderCache]:
    """Render (through the cache) and plan against the tree: reads, never writes."""
    schema = _schema(settings, use_cache=use_cache)
    names, every = extend
    extended = frozenset(e.name for e in schema.entities) if every else chosen_models(schema, names)
    out_dir = settings.out_dir
    try:
        manifest = read_manifest(out_dir / MANIFEST)
    except ManifestError as error:  # a merge conflict in it, say: the headers tell what is ours
        say(
            f"warning: {error}; going by the generated files' headers instead"
            " (`sublimate generate` writes a new one)"
        )
        manifest = None
    built = _queries(settings, schema, manifest)
    cache = RenderCache.for_run(
        schema,
        out_dir,
        manifest,
        formatter=settings.formatter,
        line_length=settings.line_length,
        enabled=use_cache,
        sessions=settings.sessions,
        nested_depth=settings.nested_depth,
    )
    with progress.bar(len(schema.entities)) as advance:
        files = produce(
            schema, settings, cache, progress=advance, queries=built.files, extend=extended
        )
    the_plan = plan(
        files,
        out_dir,
        fingerprint=cache.fingerprint.as_dict(),
        schema=describe_schema(schema, cache.hashes.entities),
        old=manifest,
        read=cache.read,
        queries=describe_queries(built.files, built.reads),
    )
    return the_plan, cache


def _queries(settings: Settings, schema: Schema, manifest: Manifest | None = None) -> Built:
    """The typed queries (none without .sql files); QueryErrors when any does not pass."""
    from .queries.build import build

    built = build(settings, schema, manifest.queries if manifest is not None else None)
    if built.errors:
        raise QueryErrors(built.errors)
    return built


def _user_module_problems(
    the_plan: Plan, settings: Settings, read: Callable[[str], str | None] | None = None
) -> list[str]:
    """The user modules the package cannot import with this run's output (see
    `sublimate.sessions`); `read` gives the files on disk (generate: after writing)."""
    planned = {f.path: f.content for f in the_plan.write}
    if read is None:

        def read(path: str) -> str | None:
            try:
                return (settings.out_dir / path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return None

    def after(path: str) -> str | None:
        return planned[path] if path in planned else read(path)

    init = after("__init__.py")
    if init is None:
        return []
    orphans = {path for path, _ in the_plan.orphans}  # warned about as such
    modules = [path for path in the_plan.new.user_files if path not in orphans]
    return user_module_problems(modules, after, split_header(init)[1], settings.sessions)


def _check(settings: Settings) -> None:
    if not settings.out_dir.exists():  # nothing to compare: do not render and format it all
        _schema(settings)  # still reports bad input as such
        say(f"{settings.out} is out of date:", err=False)
        say(f"  {settings.out} has no {MANIFEST}: it was never generated here", err=False)
        say("run `sublimate generate` to write it", err=False)
        raise typer.Exit(1)
    try:
        the_plan, cache = _plan(settings)
    except QueryErrors as failed:  # a schema change broke a query: stale, say which and why
        say(f"{settings.out} is out of date:", err=False)
        for error in failed.errors:
            say(f"  {error.path}: {error.name}: {error.message} (line {error.line})", err=False)
        say("fix the queries (or the schema), then run `sublimate generate`", err=False)
        raise typer.Exit(1) from None
    for warning in checking.orphan_warnings(the_plan):
        say(f"warning: {warning}")
    for warning in _user_module_problems(the_plan, settings, cache.read):
        say(f"warning: {warning}")
    findings = checking.explain(the_plan, settings.out)
    if not findings:
        say(f"{settings.out} is up to date", err=False)
        return
    say(f"{settings.out} is out of date:", err=False)
    for line in findings:
        say(f"  {line}", err=False)
    say(checking.next_step(the_plan), err=False)
    raise typer.Exit(1)


@app.command("check")
def check_command(
    models: ModelsOption = None,
    url: UrlOption = None,
    schema: SchemaOption = None,
    tables: TablesOption = None,
    exclude: ExcludeOption = None,
    sessions: SessionsOption = None,
    out: OutOption = None,
    project: ProjectOption = Path("."),
    debug: DebugOption = False,
) -> None:
    """Exit 1 and say why when the output is stale or was edited by hand; writes nothing.

    For CI and pre-commit. Example: sublimate check
    """
    run(
        debug,
        lambda: _check(
            _settings(
                project,
                models=models,
                out=out,
                url=url,
                schemas=schema,
                tables=tables,
                exclude=exclude,
                sessions=sessions,
            )
        ),
    )


@app.command()
def diff(
    models: ModelsOption = None,
    url: UrlOption = None,
    schema: SchemaOption = None,
    tables: TablesOption = None,
    exclude: ExcludeOption = None,
    sessions: SessionsOption = None,
    out: OutOption = None,
    project: ProjectOption = Path("."),
    debug: DebugOption = False,
) -> None:
    """Print the unified diff of what `generate` would write; writes nothing.

    Example: sublimate diff | less
    """

    def action() -> None:
        settings = _settings(
            project,
            models=models,
            out=out,
            url=url,
            schemas=schema,
            tables=tables,
            exclude=exclude,
            sessions=sessions,
        )
        the_plan, cache = _plan(settings)
        text = checking.unified_diff(the_plan, settings.out, cache.read)
        if text:
            say_block(text)

    run(debug, action)


# Help texts are Rich markup: `\\[` keeps a literal `[tool.sublimate]` from being read as a tag.
@app.command()
def init(
    models: ModelsOption = None,
    out: OutOption = None,
    project: ProjectOption = Path("."),
    debug: DebugOption = False,
) -> None:
    """Add a commented \\[tool.sublimate] section to pyproject.toml (created if absent).

    Example: sublimate init --models shop.models --out shop/db
    """

    def action() -> None:
        path = project / "pyproject.toml"
        try:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
        except OSError as error:
            fail(f"cannot read {path}: {error.strerror or error}")
        if any(line.strip() == "[tool.sublimate]" for line in current.splitlines()):
            fail(f"{path} already has a [tool.sublimate] section; edit it there")
        separator = "\n" if current and not current.endswith("\n") else ""
        text = current + separator + ("\n" if current else "") + starter_config(models, out)
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as error:
            fail(f"cannot write {path}: {error.strerror or error}")
        written = load(project.resolve(), {})  # what was written must load
        nxt = "sublimate generate"
        if written.models is None and written.url is None:
            nxt = f"set models (or url) and out in it, then {nxt}"
        say(f"wrote [tool.sublimate] to {path}; next: {nxt}")

    run(debug, action)


def starter_config(models: str | None, out: str | None) -> str:
    """The commented [tool.sublimate] section `init` writes: every key, documented; only the
    values given on the command line are active, the rest are commented examples."""
    given = {"models": models, "out": out}
    lines = [
        "[tool.sublimate]",
        "# sublimate generates typed data access from SQLAlchemy models: `sublimate generate`",
        "# writes it, `sublimate check` fails when it is stale (CI, pre-commit).",
    ]
    for key, example, description in KEY_DOCS:
        lines.append(f"# {key}: {description}")
        value = given.get(key)
        if value is not None:
            lines.append(f"{key} = {json.dumps(value)}")
        else:  # an example, never an active value: `generate` must not read a made-up module
            lines.append(f"# {key} = {example}")
    return "\n".join(lines) + "\n"


@app.command()
def inspect(
    models: ModelsOption = None,
    url: UrlOption = None,
    schema: SchemaOption = None,
    tables: TablesOption = None,
    exclude: ExcludeOption = None,
    out: OutOption = None,
    project: ProjectOption = Path("."),
    queries: Annotated[
        bool,
        typer.Option(
            "--queries",
            help="Print the typed queries instead: parameters, result columns, types, nullability.",
        ),
    ] = False,
    debug: DebugOption = False,
) -> None:
    """Print what the generator understood (the IR) as JSON; warnings go to stderr.

    Example: sublimate inspect --models shop.models

    Example: sublimate inspect --url sqlite:///chinook.db

    Example: sublimate inspect --queries
    """

    def action() -> None:
        settings = _settings(
            project,
            models=models,
            out=out,
            url=url,
            schemas=schema,
            tables=tables,
            exclude=exclude,
        )
        understood = _schema(settings)
        if queries:
            built = _queries(settings, understood)
            typer.echo(json.dumps(to_jsonable(built.files), indent=2))
            return
        typer.echo(json.dumps(to_jsonable(understood), indent=2))

    run(debug, action)


@app.command()
def version() -> None:
    """Print the version.

    Example: sublimate version
    """
    typer.echo(f"sublimate {__version__}")


from .migrations_cli import app as _db_app  # noqa: E402  (the `db` sub-commands)

app.add_typer(_db_app, name="db")


def main() -> None:
    """The console script: run the app, then leave without tearing the interpreter down.

    Freeing every object of a run at exit (the user's 300 mapped classes, the IR, the rendered
    text) took a third of a second, a third of a regeneration; like mypy, exit at once instead,
    once the output is flushed. Everything the run wrote is already in place by then.
    """
    code: int | str | None = 0
    try:
        app()
    except SystemExit as exit_:
        code = exit_.code
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe (`| head`)
                stream.flush()
    if isinstance(code, str):  # sys.exit("message"): printed, status 1, as Python would
        print(code, file=sys.stderr, flush=True)
        code = 1
    os._exit(code or 0)
