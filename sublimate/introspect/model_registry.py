"""Finding the models: import the module a `pkg.mod` or `pkg.mod:Base` spec names and find
the declarative registry whose mapped classes become the IR's entities (`models`).

Also where the Alembic env gets that registry's MetaData from: generated code imports it, so it
must name a module and an attribute that exist, preferably the spec's own module (importing it
imports the models).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import Mapper

from sublimate.introspect import IntrospectError
from sublimate.ir import Import


@dataclass(frozen=True, slots=True)
class LoadedModels:
    """A registry and how generated code (the Alembic env) reaches its MetaData."""

    spec: str
    registry: orm.registry
    metadata_import: Import  # ("shop.models", "Base")
    metadata_expr: str  # "Base.metadata"


def load_base(spec: str) -> LoadedModels:
    """Import `pkg.mod` or `pkg.mod:Base` and find the declarative registry it names.

    `Base` may be a `DeclarativeBase` subclass, a `declarative_base()` class, a mapped class
    (its registry is used), or an `orm.registry`; a dotted path (`pkg.mod:db.Model`) is followed.
    With a module only, the registry is the one of the mapped classes defined in or imported into
    the module; failing that, of a base or registry bound there that has mapped classes. Several
    registries are an error asking for `pkg.mod:Base`. The metadata import names the module of
    the spec when the base is bound there, so that importing it also imports the models.
    """
    module_name, colon, attr = (part.strip() for part in spec.partition(":"))
    if not module_name or (colon and not attr):
        raise IntrospectError(f"invalid models spec {spec!r}: expected 'pkg.mod' or 'pkg.mod:Base'")
    module = _import(module_name)
    if attr:
        obj: object = module
        for part in attr.split("."):
            if not hasattr(obj, part):
                raise IntrospectError(f"module {module_name!r} has no attribute {attr!r}")
            obj = getattr(obj, part)
        registry = _registry_of(obj)
        if registry is None:
            got = f"class {obj.__qualname__}" if isinstance(obj, type) else type(obj).__name__
            raise IntrospectError(f"{spec!r} is not a declarative base or registry (got {got})")
        if not registry.mappers:
            raise IntrospectError(f"{spec!r} has no mapped classes")
        return LoadedModels(spec, registry, (module_name, attr.split(".")[0]), f"{attr}.metadata")
    registry = _find_registry(module)
    metadata_import, metadata_expr = _metadata_reference(registry, module)
    return LoadedModels(spec, registry, metadata_import, metadata_expr)


def _import(module_name: str) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if module_name == missing or module_name.startswith(f"{missing}."):
            raise IntrospectError(
                f"cannot import module {module_name!r}: no module named {missing!r}"
                " (run from the project root, or check the spelling)"
            ) from exc
        raise IntrospectError(f"importing module {module_name!r} failed: {one_line(exc)}") from exc
    except Exception as exc:  # the user's module raised while importing: report, do not crash
        raise IntrospectError(
            f"importing module {module_name!r} failed: {type(exc).__name__}: {one_line(exc)}"
        ) from exc


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def mapper_of(obj: object) -> Mapper[Any] | None:
    if not isinstance(obj, type):
        return None
    found: object = sa.inspect(obj, raiseerr=False)
    return found if isinstance(found, Mapper) else None


def _registry_of(obj: object) -> orm.registry | None:
    if isinstance(obj, orm.registry):
        return obj
    for name in ("registry", "_sa_registry"):
        try:
            candidate = getattr(obj, name, None)
        except Exception:  # an exotic descriptor: not a base
            continue
        if isinstance(candidate, orm.registry):
            return candidate
    return None


def _find_registry(module: ModuleType) -> orm.registry:
    namespace = sorted(vars(module).items())
    registries: dict[int, orm.registry] = {}
    for _, value in namespace:
        mapper = mapper_of(value)
        if mapper is not None:
            registries.setdefault(id(mapper.registry), mapper.registry)
    if not registries:
        # A package that binds only its Base and imports its model modules for their effect.
        for name, value in namespace:
            registry = _registry_of(value) if not name.startswith("__") else None
            if registry is not None and registry.mappers:
                registries.setdefault(id(registry), registry)
    if not registries:
        raise IntrospectError(f"module {module.__name__!r} defines or imports no mapped classes")
    if len(registries) > 1:
        bases = sorted(_metadata_reference(r, module)[1].split(".")[0] for r in registries.values())
        raise IntrospectError(
            f"module {module.__name__!r} maps classes to {len(registries)} registries "
            f"({', '.join(bases)}): name one, as in '{module.__name__}:{bases[0]}'"
        )
    return next(iter(registries.values()))


def _metadata_reference(registry: orm.registry, module: ModuleType) -> tuple[Import, str]:
    """Where the Alembic env gets this registry's MetaData from: the module, if possible."""
    namespace = sorted(vars(module).items())
    package = module.__name__.split(".")[0]
    for name, value in namespace:
        # A base imported from a library (SQLModel, Advanced Alchemy) is not re-exported here.
        if _is_base_of(value, registry) and value.__module__.split(".")[0] == package:
            return (module.__name__, name), f"{name}.metadata"
    for name, value in namespace:
        if value is registry:
            return (module.__name__, name), f"{name}.metadata"
    for name, value in namespace:  # a model of this module: importing it imports them all
        mapper = mapper_of(value)
        if (
            mapper is not None
            and mapper.registry is registry
            and getattr(value, "__module__", None) == module.__name__
            and isinstance(getattr(value, "metadata", None), sa.MetaData)
        ):
            return (module.__name__, name), f"{name}.metadata"
    mappers = sorted(registry.mappers, key=lambda m: (m.class_.__module__, m.class_.__qualname__))
    for mapper in mappers:
        for cls in mapper.class_.__mro__:
            if _is_base_of(cls, registry) and "<locals>" not in cls.__qualname__:
                return (
                    cls.__module__,
                    cls.__qualname__.split(".")[0],
                ), f"{cls.__qualname__}.metadata"
    cls = mappers[0].class_
    return (cls.__module__, cls.__name__), f"{cls.__name__}.__table__.metadata"


def _is_base_of(value: object, registry: orm.registry) -> bool:
    return (
        isinstance(value, type)
        and mapper_of(value) is None
        and any(vars(value).get(name) is registry for name in ("registry", "_sa_registry"))
    )
