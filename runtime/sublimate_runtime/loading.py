"""Related rows, loaded when asked and never otherwise: what a repository read's ``load=`` becomes.

A generated ``<M>Load`` enum names the relationship paths of its model (``"orders"``,
``"orders.lines"``); a read given some of them compiles each path into chained loader options,
one level per relationship: a many-to-one is joined into the statement that loads its parent
(``joinedload``: a to-one join never multiplies rows), anything else (one-to-many, one-to-one
from the referenced side, many-to-many) gets one ``SELECT ... WHERE key IN (...)`` per level
(``selectinload``), so ``customer -> orders -> lines`` is three statements whatever the number
of rows.

Every repository read also says ``raiseload("*", sql_only=True)`` at each level: a relationship
that was not asked for raises instead of loading on access (the N+1 query that nobody sees in
review). ``sql_only`` lets a many-to-one that the session already holds resolve without SQL
(``line.order`` when the order was loaded with its lines), so only an access that would query
raises. The message is SQLAlchemy's, ``'Order.customer' is not available due to
lazy='raise_on_sql'``: it names the relationship, which is the ``load=`` member to pass
(``OrderLoad.CUSTOMER``). A message of our own would need a loader strategy registered through
SQLAlchemy's private option API, which is not worth its breakage on upgrades.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Never, TypeAlias

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import RelationshipDirection, joinedload, raiseload, selectinload
from typing_extensions import TypeVar

__all__ = ["RAISE", "L", "Load", "LoadPlan", "UnknownLoadError", "load_paths"]

# The model's Load enum; a model without relationships has none (Never: only `load=None`).
L = TypeVar("L", bound=str, default=Never)

# What a read method takes as `load`: a member, a sequence of members, or None (nothing).
Load: TypeAlias = L | Sequence[L] | None

# Lazy loads raise, on every statement a repository reads with (see the module docstring).
RAISE: Any = raiseload("*", sql_only=True)

_MAX_PLANS = 64  # compiled combinations kept per model


class UnknownLoadError(ValueError):
    """A ``load`` path that names no relationship of the model (a string that is not one of
    the ``<M>Load`` members, from untrusted input)."""

    def __init__(self, model: str, path: str, name: str) -> None:
        self.model = model
        self.path = path
        shown = path if len(path) <= 200 else f"{path[:200]}..."  # untrusted: bounded
        super().__init__(
            f"cannot load {shown!r} of {model}: {name[:100]!r} is not one of its relationships"
        )


def load_paths(load: Load[Any]) -> tuple[str, ...]:
    """The paths of a ``load`` argument, deduplicated and sorted (one cache key per set)."""
    if load is None:
        return ()
    if isinstance(load, str):
        return (str(load),)
    return tuple(sorted({str(path) for path in load}))


class LoadPlan:
    """The loader options of one model's reads, compiled once per set of paths."""

    def __init__(self, model: type[Any]) -> None:
        self.model = model
        self._plans: dict[tuple[str, ...], tuple[Any, ...]] = {}

    def options(self, load: Load[Any]) -> tuple[Any, ...]:
        """What a read adds to its statement: the loaders of ``load`` and, at every level,
        ``RAISE`` for the rest. Raises :class:`UnknownLoadError` for a path that is not one."""
        paths = load_paths(load)
        plan = self._plans.get(paths)
        if plan is None:
            plan = (*_loaders(self.model, _tree(paths), self.model.__name__, ""), RAISE)
            if len(self._plans) < _MAX_PLANS:
                self._plans[paths] = plan
        return plan


def _tree(paths: Sequence[str]) -> dict[str, Any]:
    """``("orders", "orders.lines")`` -> ``{"orders": {"lines": {}}}``."""
    tree: dict[str, Any] = {}
    for path in paths:
        node = tree
        for name in path.split("."):
            node = node.setdefault(name, {})
    return tree


def _loaders(model: type[Any], tree: Mapping[str, Any], root: str, prefix: str) -> list[Any]:
    relationships = sa_inspect(model).relationships
    options = []
    for name, children in sorted(tree.items()):
        path = f"{prefix}{name}"
        prop = relationships.get(name)
        if prop is None:
            raise UnknownLoadError(root, path, name)
        loader = joinedload if prop.direction is RelationshipDirection.MANYTOONE else selectinload
        nested = _loaders(prop.mapper.class_, children, root, f"{path}.")
        options.append(loader(prop.class_attribute).options(*nested, RAISE))
    return options
