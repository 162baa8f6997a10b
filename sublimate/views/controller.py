"""What a Litestar controller module prints: its routes, its key path parameters (bounded as the
key columns' DTO fields are) and the names its handlers must not take."""

from __future__ import annotations

from typing import Any

from .. import naming
from ..bounds import NO_NUL, int_bounds
from ..ir import Column, Entity, Import
from .entity import EntityView, shape_entries
from .service import shape_param

RUNTIME = "sublimate_runtime"

# Litestar path-parameter types for the primary keys a controller supports.
_PATH_TYPES = {"int": "int", "str": "str", "uuid.UUID": "uuid"}
LITESTAR_IMPORTS: tuple[Import, ...] = (
    ("typing", "Annotated"),
    ("litestar", "Controller"),
    ("litestar", "delete"),
    ("litestar", "get"),
    ("litestar", "patch"),
    ("litestar", "post"),
    ("litestar", "put"),
    ("litestar.di", "NamedDependency"),
    ("litestar.params", "FromPath"),
    ("litestar.params", "FromQuery"),
    ("litestar.params", "JSONBody"),
    ("litestar.params", "Parameter"),
    ("litestar.params", "PathParameter"),
    ("litestar.params", "QueryParameter"),
    ("sqlalchemy.ext.asyncio", "AsyncSession"),
    (RUNTIME, "KeysetPage"),
    (RUNTIME, "OffsetPage"),
    (RUNTIME, "read_shape"),
    ("typing", "Any"),
    ("typing", "Literal"),
    (f"{RUNTIME}.litestar", "CURSOR_DOC"),
    (f"{RUNTIME}.litestar", "LOAD_DOC"),
    (f"{RUNTIME}.litestar", "MAX_LIMIT"),
    (f"{RUNTIME}.litestar", "MAX_OFFSET"),
    (f"{RUNTIME}.litestar", "ORDER_DOC"),
    (f"{RUNTIME}.litestar", "filter_parameter"),
    (f"{RUNTIME}.litestar", "list_page"),
    (f"{RUNTIME}.litestar", "parse_where"),
)


# Names a controller module binds, or its handlers take: a key path parameter takes none of them.
_CONTROLLER_TAKEN = naming.CONTROLLER_LOCALS | {name or module for module, name in LITESTAR_IMPORTS}


def _controller_key(entity: Entity, view: EntityView) -> tuple[tuple[str, str, str], ...]:
    """The item routes' path parameters: (name, Litestar path type, Python type) per primary-key
    column, `item_id` for a one-column key; () when there is no key or a key column's type cannot
    be a path parameter (the controller then has no item routes)."""
    columns = entity.pk_columns
    if not columns or any(c.python_type not in _PATH_TYPES for c in columns):
        return ()
    if len(columns) == 1:
        return (("item_id", _PATH_TYPES[columns[0].python_type], columns[0].python_type),)
    n = entity.names
    bound = {n.controller, n.create, n.update, n.read, n.filter, n.order}
    bound |= {n.async_service, view.to_read_fn} | {nested.name for nested in view.nested}
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


def route_names(entity: Entity, keyed: bool) -> str:
    """The routes a controller (Litestar) or router (FastAPI) has, for its docstring: "list, get,
    create, ..."."""
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


def context(entity: Entity, view: EntityView) -> tuple[list[Import], dict[str, Any]]:
    """The import candidates of an entity's controller module, and what its template prints."""
    module = entity.names.module
    names = entity.names
    candidates = [imp for c in entity.pk_columns for imp in c.imports]
    candidates.extend(LITESTAR_IMPORTS)
    dto_names = [names.create, names.update, names.read, names.filter, names.order]
    candidates.extend((f"..dtos.{module}", name) for name in dto_names)
    # from the package: the user module's subclass when the model is extended, else the generated
    candidates.append(("..", names.async_service))
    candidates.append((f"..services.{module}", view.to_read_fn))
    candidates.extend((f"..dtos.{module}", nested.name) for nested in view.nested)
    path_key = _controller_key(entity, view)
    extra = {
        "routes": route_names(entity, bool(path_key)),
        "item_path": naming.literal("/" + "/".join(f"{{{n}:{t}}}" for n, t, _ in path_key)),
        "key_params": ", ".join(
            _path_parameter(n, t, c)
            for (n, _, t), c in zip(path_key, entity.pk_columns, strict=False)
        ),
        "key_args": ", ".join(n for n, _, _ in path_key),
        "route": naming.literal("/" + naming.plural(module).replace("_", "-")),
        "cursor_arg": "cursor" if entity.primary_key else "None",
        **_loads(entity, view),
    }
    return candidates, extra


def _loads(entity: Entity, view: EntityView) -> dict[str, Any]:
    """The `load` query parameter: its values (the paths of the nested Read DTOs, a `Literal`:
    the whitelist, in the OpenAPI schema as an enum), the DTO of each, and the routes' return
    types, which name every DTO a route may return (the schema documents each)."""
    read = entity.names.read
    items = [read, *(nested.name for nested in view.nested)]
    return {
        "shapes": shape_entries(view),
        "shape_arg": f"read_shape({read}, SHAPES, load)" if view.nested else "None",
        # the service has `get_with` (the Id bases', or printed: see views.service)
        "item_load": bool(view.nested) and (view.by_id or bool(shape_param(entity, view))),
        "load_values": ", ".join(naming.literal(nested.path) for nested in view.nested),
        "item_type": " | ".join(items),
        "list_type": " | ".join(
            [f"OffsetPage[{item}]" for item in items] + [f"KeysetPage[{item}]" for item in items]
        ),
        "offset_type": " | ".join(f"OffsetPage[{item}]" for item in items),
    }
