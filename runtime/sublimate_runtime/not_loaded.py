"""The message of a :class:`~.loading.NotLoadedError`: which ``load=`` the read needed.

Loaded with the first such error (the raise loader of :mod:`.loading` imports it): it reads the
path the instance was loaded through and the generated ``<M>Load`` enums, work no read does.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Iterator
from typing import Any

from .loading import NotLoadedError
from .type_args import type_argument

__all__ = ["not_loaded"]


def not_loaded(prop: Any, state: Any) -> NotLoadedError:
    """The error for `prop` of the instance `state`, the ``load=`` to pass read off the path it
    was loaded through (the root read's model, then its relationships)."""
    model, attr = prop.parent.class_.__name__, prop.key
    steps = _load_path(state)
    root = steps[0] if steps else prop.parent.class_
    path = ".".join([*steps[1:], attr])
    member = _member(root, path)
    if member is not None:
        to_root = "" if root is prop.parent.class_ else f" to the {root.__name__} read"
        return NotLoadedError(model, attr, root.__name__, path, f"pass load={member}{to_root}")
    own = _member(prop.parent.class_, attr)
    if own is not None and root is not prop.parent.class_:
        hint = f"{path!r} is deeper than a {root.__name__} read loads: read {model} with load={own}"
        return NotLoadedError(model, attr, root.__name__, path, hint)
    return NotLoadedError(model, attr, root.__name__, path, f"pass load={path!r}")


def _load_path(state: Any) -> list[Any]:
    """``[Customer, "orders", "lines"]`` for an order line loaded as customer.orders.lines (the
    root class, then attribute names); [] when SQLAlchemy recorded no path."""
    try:
        entries = list(state.load_path.path)
    except AttributeError:
        return []
    if not entries:
        return []
    root = getattr(entries[0], "class_", None)
    keys = [getattr(entry, "key", None) for entry in entries[1::2]]
    if root is None or not all(isinstance(key, str) for key in keys):
        return []
    return [root, *keys]


def _member(model: type[Any], path: str) -> str | None:
    """``CustomerLoad.ORDERS``: the member of the model's Load enum whose value is `path`, read
    off a generated repository of the model (its ``L`` type argument); None without one."""
    for cls, base in _repositories():
        spec = cls.__dict__.get("spec")
        if getattr(spec, "model", None) is not model:
            continue
        load = type_argument(cls, base, "L")
        if isinstance(load, type) and issubclass(load, enum.Enum):
            for member in load:
                if member.value == path:
                    return f"{load.__name__}.{member.name}"
    return None


def _repositories() -> Iterator[tuple[type[Any], type[Any]]]:
    """Every repository class defined, with the base it extends (the subclasses of the sync and
    asyncio bases that are loaded: an error does not import the flavour an application never
    used)."""
    for module, name in (
        (".repository", "ReadRepository"),
        (".repository_async", "AsyncReadRepository"),
    ):
        loaded = sys.modules.get(f"{__package__}{module}")
        if loaded is None:
            continue
        base = getattr(loaded, name)
        stack: list[type[Any]] = [base]
        seen: set[type[Any]] = set()
        while stack:
            for sub in stack.pop().__subclasses__():
                if sub not in seen:
                    seen.add(sub)
                    stack.append(sub)
                    yield sub, base
