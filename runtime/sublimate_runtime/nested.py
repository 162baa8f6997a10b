"""Nested Read DTOs: a model's Read DTO with its related rows, built from loaded ORM objects.

A generated ``<M>ReadWith<Rel>`` (``OrderReadWithLines(OrderRead)`` with ``lines:
list[OrderLineRead]``) is a *shape*: the service methods ``get_with``, ``list_with`` and
``list_after_with`` take it as their first argument and return it, so ``mypy --strict`` knows
which fields are present (``service.get_with(OrderReadWithLines, 7).lines``). The shape also says
what to load: its fields whose type holds a Struct (``list[X]``, ``X | None``, ``X``) are
relationships, and their own such fields the next level (:func:`shape_paths`). The read is the
repository's, with those paths as ``load=`` (one statement per level, see :mod:`.loading`), and
the DTOs are ``msgspec.convert(..., from_attributes=True)`` of the loaded objects: one C call for
the whole page. Every relationship the shape does not name raises on access (``raiseload``), so
encoding a nested DTO never runs SQL: the shape is all that was loaded.

A shape written by hand works the same way (a subclass of the Read DTO whose related fields hold
other Read DTOs): a Struct-typed field that is not a relationship of the model is an
:class:`~.loading.UnknownLoadError` before any SQL.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec
from msgspec import inspect as mi

from .dto import ShapeT, is_pydantic

__all__ = ["ShapeT", "read_shape", "shape_paths", "to_shape", "to_shapes"]

_PATHS: dict[type[Any], tuple[Any, ...]] = {}
_MAX_CACHED = 1024  # shapes are classes, a handful per model: bounded for classes made at runtime


def shape_paths(shape: type[Any]) -> tuple[Any, ...]:
    """The relationship paths a shape holds (``("lines", "lines.product")``), sorted: the
    ``load=`` of the read that fills it. Computed once per shape. Strings, typed ``Any`` so that
    they pass as the ``load=`` of the model's repository (its ``<M>Load`` enum's values: the
    repository checks them, an :class:`~.loading.UnknownLoadError` for one that is not)."""
    paths = _PATHS.get(shape)
    if paths is None and is_pydantic(shape):  # dto = "pydantic"
        from .pydantic_dto import shape_paths as model_paths

        paths = tuple(sorted(model_paths(shape)))
        if len(_PATHS) < _MAX_CACHED:
            _PATHS[shape] = paths
    if paths is None:
        info = mi.type_info(shape)
        if not isinstance(info, mi.StructType):
            raise TypeError(f"{shape!r} is not a msgspec Struct: it cannot be a nested Read DTO")
        paths = tuple(sorted(_paths(info, "", 0)))
        if len(_PATHS) < _MAX_CACHED:
            _PATHS[shape] = paths
    return paths


def to_shape(shape: type[ShapeT], instance: object) -> ShapeT:
    """The nested DTO of one loaded instance."""
    if is_pydantic(shape):
        validate: Any = shape.model_validate  # type: ignore[attr-defined]
        made: ShapeT = validate(instance, from_attributes=True)
        return made
    return msgspec.convert(instance, shape, from_attributes=True)


def to_shapes(shape: type[ShapeT], instances: Iterable[object]) -> list[ShapeT]:
    """The nested DTOs of loaded instances, in one conversion."""
    items = instances if isinstance(instances, list) else list(instances)
    if is_pydantic(shape):
        from .pydantic_dto import from_objects

        return from_objects(shape, items)  # type: ignore[arg-type]
    return msgspec.convert(items, list[shape], from_attributes=True)  # type: ignore[valid-type]


def read_shape(
    read: Any,  # the Read DTO class: a msgspec Struct or a pydantic model
    shapes: Mapping[str, type[Any]],
    load: Sequence[str] | None,
) -> type[Any] | None:
    """The shape an HTTP request's ``load`` values ask for (the generated controllers' ``SHAPES``
    map each value to its nested Read DTO): None for none, the nested DTO of one value, and for
    several a Struct of ``read`` with the relationship fields of each (made once per set, a
    bounded number of sets kept). Raises ``KeyError`` for a value that is not in ``shapes``
    (the controller's parameter type admits only those)."""
    if not load:
        return None
    chosen = sorted({shapes[value] for value in load}, key=lambda shape: shape.__name__)
    if len(chosen) == 1:
        return chosen[0]
    return _combined(read, tuple(chosen))


@functools.lru_cache(maxsize=256)
def _combined(read: type[Any], shapes: tuple[type[Any], ...]) -> type[Any]:
    if is_pydantic(read):  # dto = "pydantic"
        from .pydantic_dto import combined

        parts = (shape.__name__.removeprefix(f"{read.__name__}With") for shape in shapes)
        return combined(read, shapes, f"{read.__name__}With" + "And".join(parts))
    own = set(read.__struct_fields__)
    types: dict[str, list[Any]] = {}
    for shape in shapes:
        for field in msgspec.structs.fields(shape):
            if field.name not in own and field.type not in types.get(field.name, ()):
                types.setdefault(field.name, []).append(field.type)
    fields = [(name, _merged(found)) for name, found in types.items()]
    name = f"{read.__name__}With" + "And".join(
        shape.__name__.removeprefix(f"{read.__name__}With") for shape in shapes
    )
    return msgspec.defstruct(name, fields, bases=(read,), kw_only=True, module=read.__module__)


def _merged(types: list[Any]) -> Any:
    """One field's type when several shapes hold it: with ``nested_depth = 2``, ``lines:
    list[OrderLineRead]`` and ``lines: list[OrderLineReadWithProduct]`` (values "lines" and
    "lines.product") give the second; ``parent: CategoryReadWithChildren | None`` and ``parent:
    CategoryReadWithParent | None`` the combination of both, so that neither path is dropped."""
    if len(types) == 1:
        return types[0]
    origin = typing.get_origin(types[0])
    inners = [_inner(t) for t in types]
    common = (c for c in inners[0].__mro__ if all(issubclass(i, c) for i in inners))
    base = next(common, msgspec.Struct)  # the nearest class they all derive from
    if (
        not issubclass(base, msgspec.Struct)
        or base is msgspec.Struct
        or not all(typing.get_origin(t) is origin for t in types)
    ):
        return types[-1]  # not shapes of one relationship (hand-written ones): the last holds
    shapes = sorted({i for i in inners if i is not base}, key=lambda shape: shape.__name__)
    inner = shapes[0] if len(shapes) == 1 else _combined(base, tuple(shapes))
    if origin is list:
        return list[inner]  # type: ignore[valid-type]
    if origin is None:
        return inner
    return inner | None


def _inner(annotation: Any) -> type[Any]:
    """The Struct of ``list[X]``, ``X | None`` or ``X``."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    inner = args[0] if args else annotation
    return inner if isinstance(inner, type) else object


def _paths(info: mi.StructType, prefix: str, depth: int) -> list[str]:
    if depth > 8:  # a shape that refers to itself would recurse forever: no schema needs more
        raise TypeError(f"nested Read DTO {info.cls.__name__} nests deeper than 8 levels")
    found = []
    for field in info.fields:
        inner = _struct(field.type)
        if inner is None:
            continue
        path = f"{prefix}{field.name}"
        found.append(path)
        found.extend(_paths(inner, f"{path}.", depth + 1))
    return found


def _struct(info: mi.Type) -> mi.StructType | None:
    """The Struct a field holds: itself, the item of a list, the Struct member of an Optional."""
    if isinstance(info, mi.StructType):
        return info
    if isinstance(info, mi.ListType | mi.VarTupleType):
        return _struct(info.item_type)
    if isinstance(info, mi.UnionType):
        structs = [s for s in map(_struct, info.types) if s is not None]
        return structs[0] if len(structs) == 1 else None
    return None
