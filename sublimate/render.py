"""IR -> source files in memory: Jinja renders, imports are derived from use, black formats.

The list of outputs is data (`OUTPUTS`): a template, a path, and whether it is printed once per
entity or once per schema. Nothing is written here; `write` does that after every file has
rendered and formatted. The render cache (`cache`) only reads the previous output, to reuse what
did not change.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import PurePosixPath
from typing import Any

import jinja2

from . import __version__, naming, sessions, views
from .imports import assemble, bind
from .ir import Entity, EntityNames, Import, QueryFile, Schema
from .manifest import body_hash
from .outputs import OUTPUTS, QUERY_OUTPUT, QUERY_PACKAGE_OUTPUT, SUBPACKAGE_TITLES, Output
from .ruff_order import all_key, member_key, module_key
from .settings import Settings
from .user_cache import owned_file, user_cache_dir
from .views import controller, loads, router
from .views import factory as factory_views
from .views import model as model_views
from .views import service as service_views

RUNTIME = "sublimate_runtime"
RUNTIME_API_VERSION = 5  # the sublimate_runtime API generated code is written against
BLACK_VERSION = metadata.version("black")

# What repository and service modules import besides the model, its types and its DTOs. The
# spec's vocabulary comes from its own module: the package's names alone made the import block
# nine lines of every repository module, the same in all of them.
_SPEC_MODULE = f"{RUNTIME}.repository_spec"
_REPOSITORY_IMPORTS: tuple[Import, ...] = (
    ("builtins", ""),
    ("collections.abc", "Sequence"),
    ("typing", "TypeAlias"),
    *((_SPEC_MODULE, name) for name in ("Key", "OrderBy", "RepositorySpec", "Where")),
    *(
        (RUNTIME, name)
        for name in (
            "AsyncIdKeyedReadRepository",
            "AsyncIdRepository",
            "AsyncIdSoftDeleteRepository",
            "AsyncKeyedReadRepository",
            "AsyncReadRepository",
            "AsyncRepository",
            "AsyncSoftDeleteRepository",
            "IdKeyedReadRepository",
            "IdRepository",
            "IdSoftDeleteRepository",
            "KeyedReadRepository",
            "Load",
            "ReadRepository",
            "Repository",
            "SoftDeleteRepository",
            "UniqueKeySpec",
            *views.DTO_ALIAS_NAMES,  # the cursor's types
        )
    ),
)
_SERVICE_IMPORTS: tuple[Import, ...] = (
    (RUNTIME, "AsyncIdReadOnlyServiceBase"),
    (RUNTIME, "AsyncIdServiceBase"),
    (RUNTIME, "AsyncReadOnlyServiceBase"),
    (RUNTIME, "AsyncServiceBase"),
    (RUNTIME, "IdReadOnlyServiceBase"),
    (RUNTIME, "IdServiceBase"),
    (RUNTIME, "ReadOnlyServiceBase"),
    (RUNTIME, "ServiceBase"),
    (RUNTIME, "validated"),
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
    (RUNTIME, "check_filter_tree"),
    ("msgspec", "field"),
    *((RUNTIME, name) for name in views.FILTER_NAMES),
    *((RUNTIME, name) for name in views.DTO_ALIAS_NAMES),
)
# dto = "pydantic": the same names from the runtime's pydantic module, and pydantic's own.
PYDANTIC_DTO = f"{RUNTIME}.pydantic_dto"
_PYDANTIC_DTO_IMPORTS: tuple[Import, ...] = (
    ("builtins", ""),
    ("enum", ""),
    ("typing", "Annotated"),
    ("typing", "Literal"),
    ("typing", "Self"),
    ("typing", "TypeAlias"),
    ("pydantic", "Field"),
    ("pydantic", "model_validator"),
    *(
        (PYDANTIC_DTO, name)
        for name in (
            "UNSET",
            "InputModel",
            "ReadModel",
            "UnsetType",
            "check_decimal",
            "check_decimal_filter",
            "check_filter_tree",
            *views.FILTER_NAMES,
            *views.DTO_ALIAS_NAMES,
        )
    ),
)
_MODULE_BOUND = frozenset(
    name or module.split(".")[0]
    for module, name in (*_REPOSITORY_IMPORTS, *_SERVICE_IMPORTS, *service_views.NESTED_IMPORTS)
) | {"annotations", "SPEC"}


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


@dataclass(frozen=True, slots=True)
class Job:
    """One file a configuration produces: a template rendered for the schema or for one entity."""

    output: Output
    path: str
    entity: Entity | None = None
    query_file: QueryFile | None = None  # the typed-SQL module's input (sublimate.queries)


def jobs(
    schema: Schema,
    settings: Settings,
    queries: tuple[QueryFile, ...] = (),
    extended: frozenset[str] = frozenset(),
    user_package: bool = False,
) -> list[Job]:
    """Every file this schema and these settings produce, in the order of OUTPUTS, then the
    typed-SQL modules (one per .sql file) and their package.

    User modules are planned only for the models in `extended` (those that have one, or that
    `sublimate extend` asks for), and their package only when there is one (`user_package`, or
    any model extended): a model nobody extends gets no empty subclass module to commit.
    """
    planned: list[Job] = []
    for output in OUTPUTS:
        if output.database and not model_views.generates_models(schema):
            continue
        if output.setting and not getattr(settings, output.setting, False):
            continue
        if output.dto and output.dto != settings.dto:
            continue
        if output.user and not output.per_entity and not (extended or user_package):
            continue
        if not output.per_entity:
            planned.append(Job(output, output.path))
            continue
        for entity in schema.entities:
            if output.user and entity.name not in extended:
                continue
            if output.when(entity):
                path = output.path.format(module=entity.names.module)
                planned.append(Job(output, path, entity))
    for query_file in queries:
        path = QUERY_OUTPUT.path.format(module=query_file.module)
        planned.append(Job(QUERY_OUTPUT, path, query_file=query_file))
    if queries:
        planned.append(Job(QUERY_PACKAGE_OUTPUT, QUERY_PACKAGE_OUTPUT.path))
    return planned


class Renderer:
    """Renders the jobs of one schema: the IR and the settings in, unformatted text out. Pure: it
    reads nothing of a previous run (`sublimate.produce` decides what to reuse, before and after).
    """

    def __init__(
        self, schema: Schema, settings: Settings, extended: frozenset[str] = frozenset()
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.extended = extended  # the models with a user module: the package exports its classes
        self.env = environment()
        self.flavours = sessions.flavours(settings.sessions)
        self.first_party = first_party(schema)
        self.entity_views: dict[str, views.EntityView] = {}  # one per entity, for its templates
        # Where each entity's Filter is: the relationship fields of the others read it.
        self.filter_targets = {e.name: (e.names.module, e.names.filter) for e in schema.entities}
        self.entities = {e.name: e for e in schema.entities}  # the Load enums read neighbours

    def body(self, job: Job) -> str:
        template = self.env.get_template(job.output.template)
        entity = job.entity
        if job.query_file is not None:
            from .queries import view as query_view

            return query_view.render(
                template, job.query_file, self.settings.sessions, self.settings.line_length
            )
        if entity is None and job.output.template == "factories/package.py.jinja":
            return factory_views.render_package(template, self.schema, self.flavours)
        if entity is None and job.output.template == "factories/testing.py.jinja":
            return factory_views.render_testing(
                template, self.schema, self.flavours, self.settings.package, self.first_party
            )
        if entity is None:
            return _render_schema(template, job.output, self.schema, self.settings, self.extended)
        if job.output.user:
            return template.render(
                e=entity,
                package=self.settings.package,
                table=naming.comment_text(entity.table, limit=60),
                flavours=self.flavours,
            )
        if job.output.database:
            return model_views.render_model(template, entity, self.schema)
        if job.output.setting == "factories":
            return factory_views.render(
                template, entity, self.schema, self.flavours, self.first_party
            )
        return _render_entity(
            template,
            job.output,
            entity,
            self.first_party,
            self.entity_views,
            self.flavours,
            self.filter_targets,
            self.entities,
            self.settings.nested_depth,
            dto=self.settings.dto,
        )


def first_party(schema: Schema) -> frozenset[str]:
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
    filter_targets: views.FilterTargets,
    entities: Mapping[str, Entity],
    nested_depth: int,
    *,
    dto: str = "msgspec",
) -> str:
    view = entity_views.get(entity.name)
    if view is None:
        view = entity_views[entity.name] = views.build(
            entity,
            module_names=_MODULE_BOUND,
            dto_bound=frozenset(b.bound for b in bind(_dto_candidates(entity, dto))),
            filter_targets=filter_targets,
            entities=entities,
            nested_depth=nested_depth,
            dto=dto,
        )
    module = entity.names.module
    names = entity.names
    candidates: list[Import]
    aliases: dict[Import, str] = {}
    extra: dict[str, Any] = {}
    if output.template.startswith("litestar"):
        candidates, extra = controller.context(entity, view)
    elif output.template.startswith("fastapi"):
        candidates, extra = router.context(entity, view, flavours)
    elif output.template.startswith("dtos"):
        candidates = list(_dto_candidates(entity, dto))
        renamed = {
            k: v for k, v in view.dto.dto_renames if not v.startswith(("builtins.", "builtins_."))
        }
        if any(v.startswith("builtins_.") for _, v in view.dto.dto_renames):
            renamed["builtins"] = "builtins_"
        aliases = {
            (module_, name): renamed[name or module_]
            for module_, name in candidates
            if (name or module_) in renamed
        }
        # `from .. import dtos as _dtos`: see naming; pydantic's is printed last by its template
        if view.dto.filter_package and dto != "pydantic":
            candidates.append(("..", "dtos"))
            aliases[("..", "dtos")] = view.dto.filter_package
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
        dto_names.append(names.load)
        candidates.extend((f"..dtos.{module}", name) for name in dto_names)
        if output.template.startswith("repository"):
            candidates.extend(_REPOSITORY_IMPORTS)
        else:
            candidates.extend(_SERVICE_IMPORTS)
            candidates.extend(service_views.NESTED_IMPORTS)
            extra = {"services": service_views.build(entity, view, flavours)}
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
    return assemble(template, context, bindings, first_party)


def _render_package_init(
    template: jinja2.Template, schema: Schema, settings: Settings, extended: frozenset[str]
) -> str:
    """The output package's `__init__.py`: every DTO, and each model's repositories and services
    from its user module when it has one."""
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
                + ([n.key] if entity.unique_keys else [])
                + ([n.load] if loads.has_load(entity) else []),
            ),
            *_class_sources(n, settings.sessions, entity.name in extended),
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


def _class_sources(
    names: EntityNames, kinds: tuple[str, ...], extended: bool
) -> tuple[tuple[str, list[str]], ...]:
    """Where the package takes a model's repository and service classes from: its user module's
    subclasses when it has one, else the generated classes themselves."""
    chosen = sessions.class_names(names, kinds)
    if extended:
        return (("custom", chosen),)
    repositories = {names.repository, names.async_repository}
    return (
        ("repositories", [name for name in chosen if name in repositories]),
        ("services", [name for name in chosen if name not in repositories]),
    )


def _dto_candidates(entity: Entity, dto: str = "msgspec") -> Iterable[Import]:
    if dto != "pydantic":
        yield from _DTO_IMPORTS
        for column in entity.columns:
            yield from column.imports
        return
    yield from _PYDANTIC_DTO_IMPORTS
    meta = ("msgspec", "Meta")  # a column's bounds: the runtime's pydantic version of Meta
    for column in entity.columns:
        yield from ((PYDANTIC_DTO, "Meta") if i == meta else i for i in column.imports)


def _render_schema(
    template: jinja2.Template,
    output: Output,
    schema: Schema,
    settings: Settings,
    extended: frozenset[str] = frozenset(),
) -> str:
    if output.database:
        return model_views.render_models_file(template, schema)
    if output.template == "package_init.py.jinja":
        return _render_package_init(template, schema, settings, extended)
    if output.template == "subpackage_init.py.jinja":
        title = SUBPACKAGE_TITLES[output.path]
        if len(settings.sessions) == 1:  # "Repositories (async), ..."
            title = title.replace("sync and async", settings.sessions[0])
        if output.path == "dtos/__init__.py":  # "pydantic DTOs, ..."
            title = title.replace("msgspec", settings.dto)
        modules: list[str] = []
        if output.path == "dtos/__init__.py":  # the modules whose Filters others' fields hold
            targets = {e.name: (e.names.module, e.names.filter) for e in schema.entities}
            wanted = set().union(*(views.sibling_modules(e, targets) for e in schema.entities))
            modules = sorted(wanted, key=module_key)
        return template.render(title=title, modules=modules)
    if output.template == "user_package_init.py.jinja":
        return template.render(package=settings.package)
    if output.template == "litestar/app.py.jinja":
        # In ruff's isort order, as the template prints them (not the entities' order).
        controllers = sorted(
            ((e.names.module, e.names.controller) for e in schema.entities),
            key=lambda controller: module_key(controller[0]),
        )
        return template.render(
            controllers=controllers,
            package=naming.literal(settings.package),
            cached=any(e.cached for e in schema.entities),
            pydantic=settings.dto == "pydantic",
        )
    if output.template == "fastapi/app.py.jinja":
        modules = sorted((e.names.module for e in schema.entities), key=module_key)
        return template.render(
            routers=[(m, f"{m}_router", f"{m}_schemas") for m in modules],
            package=naming.literal(settings.package),
            is_async="async" in settings.sessions,
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


def with_header(text: str, source: str, path: str) -> str:
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
