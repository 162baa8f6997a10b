"""IR -> source files in memory: Jinja renders, imports are derived from use, black formats.

The list of outputs is data (`OUTPUTS`): a template, a path, and whether it is printed once per
entity or once per schema. Nothing touches the disk here; `write` does that after every file has
rendered and formatted.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import PurePosixPath
from typing import Any

import black
import jinja2

from . import __version__, naming, views
from .imports import Binding, bind, block, used_names
from .ir import Entity, Import, Schema
from .settings import Settings

RUNTIME = "sublimate_runtime"
RUNTIME_API_VERSION = 1  # the sublimate_runtime API generated code is written against
BLACK_VERSION = metadata.version("black")

# What repository and service modules import besides the model, its types and its DTOs.
_REPOSITORY_IMPORTS: tuple[Import, ...] = (
    ("builtins", ""),
    ("collections.abc", "Sequence"),
    ("typing", "Any"),
    ("typing", "TypeAlias"),
    ("sqlalchemy", "ColumnElement"),
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
            "KeysetPage",
            "NotFoundError",
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
    *((RUNTIME, name) for name in views.FILTER_NAMES),
)
_MODULE_BOUND = frozenset(
    name or module.split(".")[0] for module, name in _REPOSITORY_IMPORTS + _SERVICE_IMPORTS
) | {"annotations", "_KEYS", "_ORDER", "_DEFAULT_ORDER", "_COLUMNS", "_SQL_NAMES", "_PRIMARY_KEY"}


class RenderError(Exception):
    """A template or formatter failure: a bug in sublimate, reported with the file it was for."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputFile:
    path: str  # relative to the output package, POSIX separators
    content: str
    source: str  # what it was generated from, for the header and messages


@dataclass(frozen=True, slots=True, kw_only=True)
class Output:
    template: str
    path: str  # may contain {module}
    per_entity: bool
    python: bool = True  # formatted by black, headed with a hash
    when: Callable[[Entity], bool] = lambda entity: True


OUTPUTS: tuple[Output, ...] = (
    Output(template="dtos.py.jinja", path="dtos/{module}.py", per_entity=True),
    Output(template="repository.py.jinja", path="repositories/{module}.py", per_entity=True),
    Output(template="service.py.jinja", path="services/{module}.py", per_entity=True),
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
)

_SUBPACKAGE_TITLES = {
    "dtos/__init__.py": "msgspec DTOs, one module per model.",
    "repositories/__init__.py": "Repositories (sync and async), one module per model.",
    "services/__init__.py": "Services (sync and async), one module per model.",
}


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sublimate", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.globals["v_lit"] = naming.literal
    return env


def template_hash() -> str:
    """A hash of every template: part of the fingerprint of what produced an output tree."""
    root = os.path.join(os.path.dirname(__file__), "templates")
    digest = hashlib.sha256()
    for folder, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            path = os.path.join(folder, name)
            digest.update(os.path.relpath(path, root).encode())
            with open(path, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()


def render(schema: Schema, settings: Settings) -> list[OutputFile]:
    """Every output file's final text (formatted, with its header), sorted by path."""
    env = environment()
    first_party = _first_party(schema)
    pending: list[tuple[str, str, str, bool]] = []  # (path, body, source, python)
    for output in OUTPUTS:
        template = env.get_template(output.template)
        if output.per_entity:
            for entity in schema.entities:
                if not output.when(entity):
                    continue
                path = output.path.format(module=entity.names.module)
                body = _render_entity(template, output, entity, first_party)
                pending.append((path, body, entity.source, output.python))
        else:
            body = _render_schema(template, output, schema, settings)
            pending.append((output.path, body, schema.source, output.python))
    formatted = _format_all(
        [(path, body) for path, body, _, python in pending if python], settings.line_length
    )
    files = []
    for path, body, source, python in pending:
        text = formatted[path] if python else body
        files.append(OutputFile(path=path, content=_with_header(text, source, path), source=source))
    return sorted(files, key=lambda f: f.path)


def _first_party(schema: Schema) -> frozenset[str]:
    tops = {entity.model_import[0].split(".")[0] for entity in schema.entities}
    tops.add(schema.metadata_import[0].split(".")[0])
    return frozenset(tops - {""})


def _render_entity(
    template: jinja2.Template, output: Output, entity: Entity, first_party: frozenset[str]
) -> str:
    view = views.build(
        entity,
        module_names=_MODULE_BOUND,
        dto_bound=frozenset(b.bound for b in bind(_dto_candidates(entity))),
    )
    module = entity.names.module
    names = entity.names
    candidates: list[Import]
    aliases: dict[Import, str] = {}
    if output.template.startswith("dtos"):
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
    return _assemble(template, {"e": entity, "v": view}, bindings, first_party)


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
    lines = block(bindings, used_names(body.replace(marker, "")), first_party)
    return body.replace(marker, "\n".join(lines))


def _render_schema(
    template: jinja2.Template, output: Output, schema: Schema, settings: Settings
) -> str:
    if output.template == "package_init.py.jinja":
        exports = []
        all_names: list[str] = []
        for entity in schema.entities:
            n = entity.names
            groups = (
                ("dtos", [n.create, n.update, n.read, n.filter, n.order]
                 + ([n.key] if entity.unique_keys else [])),
                ("repositories", [n.repository, n.async_repository]),
                ("services", [n.service, n.async_service]),
            )
            for package, names in groups:
                exports.append(Export(package=package, module=n.module, names=tuple(sorted(names))))
                all_names.extend(names)
        exports.sort(key=lambda x: (x.package, x.module))
        return template.render(
            exports=exports,
            all_names=sorted(all_names),
            runtime_api=RUNTIME_API_VERSION,
            source=naming.comment_text(schema.source),
        )
    if output.template == "subpackage_init.py.jinja":
        return template.render(title=_SUBPACKAGE_TITLES[output.path])
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
        f"# Code generated by sublimate {__version__} from {naming.comment_text(source)}."
        " DO NOT EDIT.\n"
        f"# sublimate-hash: {digest}\n"
    )
    return header + text


def body_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


_PARALLEL_THRESHOLD = 48  # files; below it a process pool costs more than it saves


def _format_all(items: list[tuple[str, str]], line_length: int) -> dict[str, str]:
    if len(items) >= _PARALLEL_THRESHOLD and (os.cpu_count() or 1) > 1:
        with ProcessPoolExecutor() as pool:
            results = pool.map(_format_one, items, [line_length] * len(items), chunksize=8)
            return dict(zip([p for p, _ in items], results, strict=True))
    return {path: _format_one((path, body), line_length) for path, body in items}


def _format_one(item: tuple[str, str], line_length: int) -> str:
    path, body = item
    mode = black.Mode(
        target_versions={black.mode.TargetVersion.PY311},
        line_length=line_length,
    )
    try:
        return black.format_str(body, mode=mode)
    except Exception as error:  # black raises several types; all mean the render is broken
        raise RenderError(f"{path}: generated code does not parse ({error})") from error
