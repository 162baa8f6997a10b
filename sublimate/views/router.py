"""What a FastAPI router module prints (`fastapi = true`): the Litestar controller's routes, on
the session kind the `sessions` setting generates (async routes on AsyncSession when "async" is
there, else sync routes on Session), with key path parameters bounded as the key columns' DTO
fields are.

The DTOs stay msgspec Structs: bodies are decoded and answers encoded by msgspec, and the OpenAPI
schema documents them from msgspec's JSON schema (see sublimate_runtime.fastapi). The routes, the
`load` values and their nested Read DTOs are the Litestar controller's (views.controller), and
the FastAPI app passes the Litestar app's hostile-request suite (tests/ecosystem).
"""

from __future__ import annotations

from typing import Any

from .. import naming
from ..bounds import NO_NUL, int_bounds
from ..ir import Column, Entity, Import
from ..sessions import Flavours
from .controller import route_names
from .entity import EntityView, shape_entries
from .service import shape_param

RUNTIME = "sublimate_runtime"
_PATH_TYPES = ("int", "str", "uuid.UUID")  # the key types a path parameter can carry
FASTAPI_IMPORTS: tuple[Import, ...] = (
    ("typing", "Annotated"),
    ("typing", "Any"),
    ("typing", "Literal"),
    ("fastapi", "APIRouter"),
    ("fastapi", "Path"),
    ("fastapi", "Query"),
    ("fastapi", "Response"),
    (RUNTIME, "KeysetPage"),
    (RUNTIME, "OffsetPage"),
    (RUNTIME, "read_shape"),
    (f"{RUNTIME}.fastapi", "CURSOR_DOC"),
    (f"{RUNTIME}.fastapi", "LOAD_DOC"),
    (f"{RUNTIME}.fastapi", "MAX_LIMIT"),
    (f"{RUNTIME}.fastapi", "MAX_OFFSET"),
    (f"{RUNTIME}.fastapi", "ORDER_DOC"),
    (f"{RUNTIME}.fastapi", "AsyncDbSession"),
    (f"{RUNTIME}.fastapi", "DbSession"),
    (f"{RUNTIME}.fastapi", "encoded"),
    (f"{RUNTIME}.fastapi", "filter_query"),
    (f"{RUNTIME}.fastapi", "json_body"),
    (f"{RUNTIME}.fastapi", "json_responses"),
    (f"{RUNTIME}.fastapi", "list_page"),
    (f"{RUNTIME}.fastapi", "list_page_async"),
    (f"{RUNTIME}.fastapi", "parse_where"),
    (f"{RUNTIME}.fastapi", "request_body"),
)
# A key path parameter takes none of these: what the router module binds or its routes take.
_TAKEN = naming.ROUTER_LOCALS | {name or module for module, name in FASTAPI_IMPORTS}


def _router_key(entity: Entity, view: EntityView) -> tuple[tuple[str, str, Column], ...]:
    """The item routes' path parameters: (name, Python type, column) per primary-key column,
    `item_id` for a one-column key; () when there is no key or a key column's type cannot be a
    path parameter (the router then has no item routes)."""
    columns = entity.pk_columns
    if not columns or any(c.python_type not in _PATH_TYPES for c in columns):
        return ()
    if len(columns) == 1:
        return (("item_id", columns[0].python_type, columns[0]),)
    n = entity.names
    bound = {n.create, n.update, n.read, n.filter, n.order, n.service, n.async_service}
    scope = naming.Scope(reserved=_TAKEN | bound | {nested.name for nested in view.nested})
    return tuple((scope.allocate(c.attr), c.python_type, c) for c in columns)


def _path_parameter(name: str, python_type: str, column: Column) -> str:
    """A key path parameter, bounded as the column's DTO fields are (pydantic validates path
    parameters, with `Path` constraints): a value the column cannot hold is a 400 naming it."""
    bounds: list[str] = []
    if python_type == "int" and column.int_range is not None:
        bounds = int_bounds(column.int_range)
    elif python_type == "str":
        if column.max_length is not None:
            bounds.append(f"max_length={column.max_length}")
        pattern = _rust_pattern(column.pattern or NO_NUL)
        bounds.append(f"pattern={naming.literal(pattern)}")
    return f"{name}: Annotated[{python_type}, Path({', '.join(bounds)})]"


def _rust_pattern(pattern: str) -> str:
    """A DTO pattern for pydantic, which checks `Path(pattern=...)` with Rust's regex engine: it
    has no look-ahead (pydantic refuses the route), and needs none, as its `$` matches only at
    the very end (the `(?!\\n)` guards Python's `$` against a final newline: bounds.UUID_TEXT)."""
    return pattern.replace("(?!\\n)$", "$")


def context(
    entity: Entity, view: EntityView, flavours: Flavours
) -> tuple[list[Import], dict[str, Any]]:
    """The import candidates of an entity's router module, and what its template prints."""
    module = entity.names.module
    names = entity.names
    is_async = flavours.has_async
    service = names.async_service if is_async else names.service
    candidates = [imp for c in entity.pk_columns for imp in c.imports]
    candidates.extend(FASTAPI_IMPORTS)
    dto_names = [names.create, names.update, names.read, names.filter, names.order]
    candidates.extend((f"..dtos.{module}", name) for name in dto_names)
    candidates.append(("..", service))  # the package's: the user module's when it has one
    candidates.extend((f"..dtos.{module}", nested.name) for nested in view.nested)
    path_key = _router_key(entity, view)
    items = [names.read, *(nested.name for nested in view.nested)]
    pages = [f"OffsetPage[{item}]" for item in items]
    if entity.primary_key:
        pages += [f"KeysetPage[{item}]" for item in items]
    bodies = [names.create] + ([names.update] if entity.writable and path_key else [])
    extra = {
        "is_async": is_async,
        "session_type": "AsyncDbSession" if is_async else "DbSession",
        "service": service,
        "list_page": "list_page_async" if is_async else "list_page",
        "shape_arg": f"read_shape({names.read}, SHAPES, load)" if view.nested else "None",
        "cursor_arg": "cursor" if entity.primary_key else "None",
        "routes": route_names(entity, bool(path_key)),
        "item_path": naming.literal("/" + "/".join(f"{{{n}}}" for n, _, _ in path_key)),
        "key_params": [_path_parameter(n, t, c) for n, t, c in path_key],
        "key_args": ", ".join(n for n, _, _ in path_key),
        "route": naming.literal("/" + naming.plural(module).replace("_", "-")),
        "shapes": shape_entries(view),
        # the service has `get_with` (the Id bases', or printed: see views.service)
        "item_load": bool(view.nested) and (view.by_id or bool(shape_param(entity, view))),
        "load_values": ", ".join(naming.literal(nested.path) for nested in view.nested),
        "items": ", ".join(items),
        "pages": ", ".join(pages),
        "schemas": [*(bodies if entity.writable else []), *items, *pages, names.filter],
    }
    return candidates, extra
