"""IR -> source files in memory: Jinja renders, imports are derived from use, black formats.

The list of outputs is data (`OUTPUTS`): a template, a path, and whether it is printed once per
entity or once per schema. Nothing is written here; `write` does that after every file has
rendered and formatted. The render cache (`cache`) only reads the previous output, to reuse what
did not change.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import PurePosixPath
from typing import Any

import jinja2

from . import __version__, model_views, naming, sessions, views
from .bounds import NO_NUL, int_bounds
from .cache import FormatterError, RenderCache, render_hash, ruff_binary
from .imports import Binding, bind, block, reads
from .ir import Column, Entity, Import, Schema
from .manifest import body_hash
from .ruff_order import all_key, member_key, module_key
from .settings import Settings
from .user_cache import owned_file, user_cache_dir

RUNTIME = "sublimate_runtime"
RUNTIME_API_VERSION = 1  # the sublimate_runtime API generated code is written against
BLACK_VERSION = metadata.version("black")

# What repository and service modules import besides the model, its types and its DTOs.
_REPOSITORY_IMPORTS: tuple[Import, ...] = (
    ("builtins", ""),
    ("collections.abc", "Sequence"),
    ("typing", "Any"),
    ("typing", "TypeAlias"),
    ("typing", "cast"),
    ("sqlalchemy", "ColumnElement"),
    ("sqlalchemy", "CursorResult"),
    ("sqlalchemy", "Select"),
    ("sqlalchemy", "delete"),
    ("sqlalchemy", "func"),
    ("sqlalchemy", "select"),
    ("sqlalchemy", "true"),
    ("sqlalchemy", "tuple_"),
    ("sqlalchemy", "update"),
    ("typing", "TYPE_CHECKING"),
    ("sqlalchemy.orm", "Session"),
    *(
        (RUNTIME, name)
        for name in (
            "ConflictError",
            "KeysetPage",
            "ModelCache",
            "NotFoundError",
            "READ_INTENT",
            "WRITE_INTENT",
            "UniqueKeySpec",
            "async_dialect_of",
            "async_write_guard",
            "decode_cursor",
            "delete_returns",
            "dialect_of",
            "encode_cursor",
            "set_fields",
            "update_returns",
            "upsert_returns",
            "upsert_statement",
            "write_guard",
        )
    ),
)
_SERVICE_IMPORTS: tuple[Import, ...] = (
    ("builtins", ""),
    ("collections.abc", "Sequence"),
    ("typing", "TYPE_CHECKING"),
    ("sqlalchemy.orm", "Session"),
    (RUNTIME, "OffsetPage"),
    (RUNTIME, "async_write_guard"),
    (RUNTIME, "set_fields"),
    (RUNTIME, "validated"),
    (RUNTIME, "write_guard"),
)
_DTO_IMPORTS: tuple[Import, ...] = (
    ("builtins", ""),
    ("enum", ""),
    ("msgspec", ""),
    ("typing", "Literal"),
    ("typing", "TypeAlias"),
    (RUNTIME, "UNSET"),
    (RUNTIME, "UnsetType"),
    (RUNTIME, "check_decimal"),
    (RUNTIME, "check_decimal_filter"),
    *((RUNTIME, name) for name in views.FILTER_NAMES),
)
_MODULE_BOUND = frozenset(
    name or module.split(".")[0] for module, name in _REPOSITORY_IMPORTS + _SERVICE_IMPORTS
) | {"annotations", "_KEYS", "_ORDER", "_DEFAULT_ORDER", "_COLUMNS", "_SQL_NAMES", "_PRIMARY_KEY"}
_MODULE_BOUND |= {"_CACHE"}  # the ModelCache of cached models


class RenderError(Exception):
    """A template or formatter failure: a bug in sublimate, reported with the file it was for."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputFile:
    path: str  # relative to the output package, POSIX separators
    content: str  # "" for a user file that already exists (never rewritten, so never rendered)
    source: str  # what it was generated from, for the header and messages
    entity: str = ""  # the model it belongs to; "" for package-level files
    user: bool = False  # written once when absent, never overwritten, no header
    render: str = ""  # cache.render_hash of the unformatted render
    input: str = ""  # cache input key (per-model generated files)


@dataclass(frozen=True, slots=True, kw_only=True)
class Output:
    template: str
    path: str  # may contain {module}
    per_entity: bool
    python: bool = True  # formatted by black, headed with a hash
    when: Callable[[Entity], bool] = lambda entity: True
    user: bool = False  # the user's file: written once when absent, never overwritten, no header
    # Whether a per-entity render reads other entities than its own (beyond their names): the
    # render cache then treats any change to the IR as a change to this file.
    reads_schema: bool = False
    database: bool = False  # only when the models are generated (live-database input)
    setting: str = ""  # only when this boolean Settings field is true (e.g. "litestar")


OUTPUTS: tuple[Output, ...] = (
    Output(template="dtos.py.jinja", path="dtos/{module}.py", per_entity=True),
    Output(template="repository.py.jinja", path="repositories/{module}.py", per_entity=True),
    Output(template="service.py.jinja", path="services/{module}.py", per_entity=True),
    # The user's modules: written once when absent, never overwritten (see README, "Your code").
    Output(template="user_module.py.jinja", path="custom/{module}.py", per_entity=True, user=True),
    Output(
        template="user_package_init.py.jinja",
        path="custom/__init__.py",
        per_entity=False,
        user=True,
    ),
    Output(template="package_init.py.jinja", path="__init__.py", per_entity=False),
    Output(template="subpackage_init.py.jinja", path="dtos/__init__.py", per_entity=False),
    Output(template="subpackage_init.py.jinja", path="repositories/__init__.py", per_entity=False),
    Output(template="subpackage_init.py.jinja", path="services/__init__.py", per_entity=False),
    Output(template="migrations/env.py.jinja", path="migrations/env.py", per_entity=False),
    Output(
        template="migrations/script.py.mako.jinja",
        path="migrations/script.py.mako",
        per_entity=False,
        python=False,
    ),
    Output(
        template="migrations/alembic.ini.jinja",
        path="migrations/alembic.ini",
        per_entity=False,
        python=False,
    ),
    # Litestar controllers and app factory, with `litestar = true` in [tool.sublimate].
    Output(
        template="litestar/controller.py.jinja",
        path="controllers/{module}.py",
        per_entity=True,
        setting="litestar",
    ),
    Output(
        template="subpackage_init.py.jinja",
        path="controllers/__init__.py",
        per_entity=False,
        setting="litestar",
    ),
    Output(template="litestar/app.py.jinja", path="app.py", per_entity=False, setting="litestar"),
    # Typed declarative models, when the input is a live database (see sublimate.model_views).
    Output(
        template="models/model.py.jinja",
        path="models/{module}.py",
        per_entity=True,
        database=True,
        reads_schema=True,  # relationships and foreign keys read their targets (neighbours)
    ),
    Output(
        template="models/base.py.jinja", path="models/_base.py", per_entity=False, database=True
    ),
    Output(
        template="models/package.py.jinja",
        path="models/__init__.py",
        per_entity=False,
        database=True,
    ),
)

_SUBPACKAGE_TITLES = {
    "dtos/__init__.py": "msgspec DTOs, one module per model.",
    "repositories/__init__.py": "Repositories (sync and async), one module per model.",
    "services/__init__.py": "Services (sync and async), one module per model.",
    "controllers/__init__.py": "Litestar controllers, one module per model (see app.py).",
}

# Litestar path-parameter types for the primary keys a controller supports.
_PATH_TYPES = {"int": "int", "str": "str", "uuid.UUID": "uuid"}
_LITESTAR_IMPORTS: tuple[Import, ...] = (
    ("typing", "Annotated"),
    ("msgspec", ""),
    ("litestar", "Controller"),
    ("litestar", "delete"),
    ("litestar", "get"),
    ("litestar", "patch"),
    ("litestar", "post"),
    ("litestar", "put"),
    ("litestar.di", "NamedDependency"),
    ("litestar.exceptions", "ValidationException"),
    ("litestar.params", "FromPath"),
    ("litestar.params", "FromQuery"),
    ("litestar.params", "JSONBody"),
    ("litestar.params", "Parameter"),
    ("litestar.params", "PathParameter"),
    ("sqlalchemy.ext.asyncio", "AsyncSession"),
    (RUNTIME, "InvalidCursorError"),
    (RUNTIME, "KeysetPage"),
    (RUNTIME, "OffsetPage"),
)


# Names a controller module binds, or its handlers take: a key path parameter takes none of them.
_CONTROLLER_TAKEN = frozenset(
    {name or module for module, name in _LITESTAR_IMPORTS}
    | {"self", "db_session", "data", "item_id", "MAX_LIMIT", "MAX_OFFSET", "parse_where"}
    | {"request", "state", "headers", "cookies", "query", "scope", "socket", "body"}  # Litestar's
)


def _controller_key(entity: Entity, view: views.EntityView) -> tuple[tuple[str, str, str], ...]:
    """The item routes' path parameters: (name, Litestar path type, Python type) per primary-key
    column, `item_id` for a one-column key; () when there is no key or a key column's type cannot
    be a path parameter (the controller then has no item routes)."""
    columns = entity.pk_columns
    if not columns or any(c.python_type not in _PATH_TYPES for c in columns):
        return ()
    if len(columns) == 1:
        return (("item_id", _PATH_TYPES[columns[0].python_type], columns[0].python_type),)
    n = entity.names
    bound = {f"{entity.name}Controller", n.create, n.update, n.read, n.filter, n.order}
    bound |= {n.async_service, view.to_read_fn}
    scope = naming.Scope(reserved=_CONTROLLER_TAKEN | bound)
    return tuple(
        (scope.allocate(c.attr), _PATH_TYPES[c.python_type], c.python_type) for c in columns
    )


def _path_parameter(name: str, python_type: str, column: Column) -> str:
    """A key path parameter, bounded as the column's DTO fields are (Litestar validates path
    parameters with `PathParameter` constraints, not msgspec's `Meta`): a value the column cannot
    hold is a 400 naming the parameter, not a database error."""
    bounds: list[str] = []
    if python_type == "int" and column.int_range is not None:
        bounds = int_bounds(column.int_range)
    elif python_type == "str":
        if column.max_length is not None:
            bounds.append(f"max_length={column.max_length}")
        bounds.append(f"pattern={naming.literal(column.pattern or NO_NUL)}")
    if not bounds:
        return f"{name}: FromPath[{python_type}]"
    return f"{name}: Annotated[{python_type}, PathParameter({', '.join(bounds)})]"


def _controller_routes(entity: Entity, keyed: bool) -> str:
    """The routes a controller has, for its docstring: "list, get, create, ..."."""
    writable = entity.writable
    routes = [
        ("list", True),
        ("get", keyed),
        ("create", writable),
        ("update", writable and keyed),
        ("upsert", writable and bool(entity.unique_keys)),
        ("delete", writable and keyed),
    ]
    return ", ".join(name for name, present in routes if present)


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between runs (Jinja checks each against its template's source).

    Compiling the templates cost 0.2 s of every run, more than a regeneration renders; the
    cache is an optimisation only, so a directory that cannot be written is simply not used.

    A compiled template is marshal'ed Python code, which runs: it is loaded only from the user's
    private cache directory (user_cache_dir: theirs, 0700) and only from a regular file (not a
    link) they own that nobody else may write; anything else is compiled afresh.
    """

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        filename = self._get_cache_filename(bucket)
        try:
            descriptor = os.open(filename, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return
        with open(descriptor, "rb") as handle:
            if owned_file(handle.fileno()):
                bucket.load_bytecode(handle)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)  # a NamedTemporaryFile (0600), then os.replace


def _compiled_templates() -> jinja2.BytecodeCache | None:
    directory = user_cache_dir("templates")
    return None if directory is None else _CompiledTemplates(str(directory))


@functools.cache  # one per process: compiling the templates costs more than rendering a schema
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sublimate", "templates"),
        bytecode_cache=_compiled_templates(),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.globals["v_lit"] = naming.literal
    return env


# progress(step, done, total): step is "rendering" or "formatting" (a bar on a terminal).
Progress = Callable[[str, int, int], None]


def render(
    schema: Schema,
    settings: Settings,
    cache: RenderCache | None = None,
    progress: Progress | None = None,
) -> list[OutputFile]:
    """Every output file's final text (formatted, with its header), sorted by path.

    With a `cache` (see `sublimate.cache`), a per-model file whose inputs did not change is taken
    from disk without rendering, a render identical to the last one is not formatted again, and
    a user file that exists is not rendered at all.
    """
    if cache is None:
        cache = RenderCache.for_run(
            schema,
            settings.out_dir,
            None,
            formatter=settings.formatter,
            line_length=settings.line_length,
            enabled=False,
            sessions=settings.sessions,
        )
    env = environment()
    flavours = sessions.flavours(settings.sessions)
    first_party = _first_party(schema)
    entity_views: dict[str, views.EntityView] = {}  # one per entity, shared by its templates
    pending: list[_Pending] = []
    files: list[OutputFile] = []
    for output in OUTPUTS:
        if output.database and not model_views.generates_models(schema):
            continue
        if output.setting and not getattr(settings, output.setting, False):
            continue
        template = env.get_template(output.template)
        if not output.per_entity:
            if output.user and cache.exists(output.path):
                files.append(OutputFile(path=output.path, content="", source="", user=True))
                continue
            body = _render_schema(template, output, schema, settings)
            source = schema.source
            pending.append(_Pending(output.path, body, source, output.python, user=output.user))
            continue
        for number, entity in enumerate(schema.entities, 1):
            if progress is not None:
                progress(f"rendering {output.path.split('/')[0]}", number, len(schema.entities))
            if not output.when(entity):
                continue
            path = output.path.format(module=entity.names.module)
            if output.user:
                if cache.exists(path):  # the user's: never rendered again
                    user_file = OutputFile(
                        path=path, content="", source=entity.source, entity=entity.name, user=True
                    )
                    files.append(user_file)
                    continue
                body = template.render(
                    e=entity,
                    package=settings.package,
                    table=naming.comment_text(entity.table, limit=60),
                    flavours=flavours,
                )
                pending.append(_Pending(path, body, entity.source, True, entity.name, user=True))
                continue
            related = model_views.neighbours(entity, schema) if output.reads_schema else None
            key = cache.input_key(output.template, path, entity, first_party, related=related)
            reused = cache.by_input(path, key)
            if reused is not None:
                files.append(
                    OutputFile(
                        path=path,
                        content=reused,
                        source=entity.source,
                        entity=entity.name,
                        render=cache.records[path].render,
                        input=key,
                    )
                )
                continue
            if output.database:
                body = model_views.render_model(template, entity, schema)
            else:
                body = _render_entity(template, output, entity, first_party, entity_views, flavours)
            pending.append(_Pending(path, body, entity.source, output.python, entity.name, key))
    cache.stats.rendered += len(pending)
    digests = {item.path: render_hash(item.body, cache.fingerprint) for item in pending}
    formatted: dict[str, str] = {}
    to_format: list[tuple[str, str]] = []
    for item in pending:
        if not item.python:
            formatted[item.path] = item.body
        elif (known := cache.by_render(item.path, digests[item.path])) is not None:
            formatted[item.path] = known
        else:
            to_format.append((item.path, item.body))
    cache.stats.formatted += len(to_format)
    formatted.update(_format_all(to_format, settings.line_length, settings.formatter, progress))
    for item in pending:
        text = formatted[item.path]
        files.append(
            OutputFile(
                path=item.path,
                content=text if item.user else _with_header(text, item.source, item.path),
                source=item.source,
                entity=item.entity,
                user=item.user,
                render=digests[item.path],
                input=item.input,
            )
        )
    return sorted(files, key=lambda f: f.path)


@dataclass(frozen=True, slots=True)
class _Pending:
    """A rendered file waiting to be formatted."""

    path: str
    body: str
    source: str
    python: bool
    entity: str = ""
    input: str = ""
    user: bool = False


def _first_party(schema: Schema) -> frozenset[str]:
    tops = {entity.model_import[0].split(".")[0] for entity in schema.entities}
    tops.add(schema.metadata_import[0].split(".")[0])
    return frozenset(tops - {""})


def _render_entity(
    template: jinja2.Template,
    output: Output,
    entity: Entity,
    first_party: frozenset[str],
    entity_views: dict[str, views.EntityView],
    flavours: sessions.Flavours,
) -> str:
    view = entity_views.get(entity.name)
    if view is None:
        view = entity_views[entity.name] = views.build(
            entity,
            module_names=_MODULE_BOUND,
            dto_bound=frozenset(b.bound for b in bind(_dto_candidates(entity))),
        )
    module = entity.names.module
    names = entity.names
    candidates: list[Import]
    aliases: dict[Import, str] = {}
    extra: dict[str, Any] = {}
    if output.template.startswith("litestar"):
        key = [c for c in entity.columns if c.attr in entity.primary_key]
        candidates = [imp for c in key for imp in c.imports]
        candidates.extend(_LITESTAR_IMPORTS)
        dto_names = [names.create, names.update, names.read, names.filter, names.order]
        candidates.extend((f"..dtos.{module}", name) for name in dto_names)
        candidates.append((f"..custom.{module}", names.async_service))
        candidates.append((f"..services.{module}", view.to_read_fn))
        path_key = _controller_key(entity, view)
        extra = {
            "routes": _controller_routes(entity, bool(path_key)),
            "item_path": naming.literal("/" + "/".join(f"{{{n}:{t}}}" for n, t, _ in path_key)),
            "key_params": ", ".join(
                _path_parameter(n, t, c)
                for (n, _, t), c in zip(path_key, entity.pk_columns, strict=False)
            ),
            "key_args": ", ".join(n for n, _, _ in path_key),
            "route": naming.literal("/" + naming.plural(module).replace("_", "-")),
        }
    elif output.template.startswith("dtos"):
        candidates = list(_dto_candidates(entity))
        renamed = {
            k: v for k, v in view.dto_renames if not v.startswith(("builtins.", "builtins_."))
        }
        if any(v.startswith("builtins_.") for _, v in view.dto_renames):
            renamed["builtins"] = "builtins_"
        aliases = {
            (module_, name): renamed[name or module_]
            for module_, name in candidates
            if (name or module_) in renamed
        }
    else:
        key_columns = {a for k in entity.unique_keys for a in k.columns} | set(entity.primary_key)
        candidates = [imp for c in entity.columns if c.attr in key_columns for imp in c.imports]
        model_alias = view.model
        candidates.append(entity.model_import)
        if entity.column_ref is not None:  # sqlmodel.col
            candidates.append(entity.column_ref)
        if model_alias != entity.name:
            aliases[entity.model_import] = model_alias
        dto_names = [names.create, names.update, names.read, names.filter, names.order, names.key]
        candidates.extend((f"..dtos.{module}", name) for name in dto_names)
        if output.template.startswith("repository"):
            candidates.extend(_REPOSITORY_IMPORTS)
        else:
            candidates.extend(_SERVICE_IMPORTS)
            candidates.extend(
                (f"..repositories.{module}", name)
                for name in (
                    names.repository,
                    names.async_repository,
                    view.where_alias,
                    view.order_alias,
                )
            )
    bindings = bind(candidates, aliases)
    context = {"e": entity, "v": view, "flavours": flavours, **extra}
    return _assemble(template, context, bindings, first_party)


def _dto_candidates(entity: Entity) -> Iterable[Import]:
    yield from _DTO_IMPORTS
    for column in entity.columns:
        yield from column.imports


def _assemble(
    template: jinja2.Template,
    context: dict[str, Any],
    bindings: list[Binding],
    first_party: frozenset[str],
) -> str:
    """Render with a placeholder import block, then fill in the imports the body really uses."""
    marker = "# sublimate-imports"
    body = template.render(**context, imports=[marker])
    used = reads(body.replace(marker, ""), (b.bound for b in bindings))
    lines = block(bindings, used, first_party)
    return body.replace(marker, "\n".join(lines))


def _render_schema(
    template: jinja2.Template, output: Output, schema: Schema, settings: Settings
) -> str:
    if output.database:
        return model_views.render_models_file(template, schema)
    if output.template == "package_init.py.jinja":
        exports = []
        all_names: list[str] = []
        for entity in schema.entities:
            n = entity.names
            groups = (
                (
                    "dtos",
                    # a read-only entity (a view, a key-less table) has no Create/Update
                    ([n.create, n.update] if entity.writable else [])
                    + [n.read, n.filter, n.order]
                    + ([n.key] if entity.unique_keys else []),
                ),
                # The user module's subclasses, in place of the generated classes.
                ("custom", sessions.class_names(n, settings.sessions)),
            )
            for package, names in groups:
                members = tuple(sorted(names, key=member_key))  # ruff's isort order
                exports.append(Export(package=package, module=n.module, names=members))
                all_names.extend(names)
        exports.sort(key=lambda x: module_key(f"{x.package}.{x.module}"))
        return template.render(
            exports=exports,
            all_names=sorted(all_names, key=all_key),  # ruff's RUF022 order
            runtime_api=RUNTIME_API_VERSION,
            source=naming.comment_text(schema.source, limit=80),
        )
    if output.template == "subpackage_init.py.jinja":
        title = _SUBPACKAGE_TITLES[output.path]
        if len(settings.sessions) == 1:  # "Repositories (async), ..."
            title = title.replace("sync and async", settings.sessions[0])
        return template.render(title=title)
    if output.template == "user_package_init.py.jinja":
        return template.render(package=settings.package)
    if output.template == "litestar/app.py.jinja":
        controllers = [(e.names.module, f"{e.name}Controller") for e in schema.entities]
        return template.render(
            controllers=controllers,
            package=naming.literal(settings.package),
            cached=any(e.cached for e in schema.entities),
        )
    if output.template == "migrations/env.py.jinja":
        module, name = schema.metadata_import
        return template.render(
            metadata_import=bind([(module, name)])[0].line(),
            metadata_expr=schema.metadata_expr,
        )
    if output.template == "migrations/alembic.ini.jinja":
        depth = len(PurePosixPath(settings.package.replace(".", "/")).parts) + 1
        return template.render(
            sys_path="/".join([".."] * depth),
            ini_path=f"{settings.out.rstrip('/')}/migrations/alembic.ini",
        )
    return template.render()


@dataclass(frozen=True, slots=True, kw_only=True)
class Export:
    package: str
    module: str
    names: tuple[str, ...]


def _with_header(text: str, source: str, path: str) -> str:
    """Prefix the ownership header: version, source, and the hash of the body below it."""
    if path.endswith(".mako"):
        return text
    digest = body_hash(text)
    header = (
        # The source is cut so that the line stays under 100 characters (ruff's E501).
        f"# Code generated by sublimate {__version__} from {naming.comment_text(source, limit=40)}."
        " DO NOT EDIT.\n"
        f"# sublimate-hash: {digest}\n"
    )
    return header + text


_PARALLEL_THRESHOLD = 48  # files; below it a process pool costs more than it saves


def _format_all(
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
        return black.format_str(body, mode=mode)
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
