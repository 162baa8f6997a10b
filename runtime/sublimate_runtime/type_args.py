"""The class a generated subclass gives one of its runtime base's type parameters.

A generated class already names its model, DTOs and keys once, as type arguments
(``CustomerRepository(IdRepository[Customer, ...])``); reading them back at class creation spares
each module lines that only repeat them (``_model = Customer``, ``_create = CustomerCreate``).
Runs once per class, never per call.
"""

from __future__ import annotations

from typing import Any, TypeVar, get_args, get_origin


def type_argument(cls: type, owner: type, name: str) -> Any | None:
    """What ``cls``'s own bases bind ``owner``'s type parameter ``name`` to, followed through
    intermediate generic bases (``IdServiceBase[...]`` -> ``ServiceBase[..., CreateT, ...]``);
    None when unbound (a generic subclass that passes it on, or a class that is not generic).
    By name: mypy lets a TypeVar appear only in annotations."""
    own: tuple[Any, ...] = getattr(owner, "__parameters__", ())
    parameter = next(p for p in own if p.__name__ == name)
    found = _bound(cls, parameter)
    return None if isinstance(found, TypeVar) else found


def _bound(cls: type, parameter: TypeVar) -> Any | None:
    for base in vars(cls).get("__orig_bases__", ()):
        origin = get_origin(base)
        if not isinstance(origin, type):
            continue
        own: tuple[Any, ...] = getattr(origin, "__parameters__", ())
        value = parameter if parameter in own else _bound(origin, parameter)
        if isinstance(value, TypeVar) and value in own:
            return get_args(base)[own.index(value)]
        if value is not None:
            return value
    return None
