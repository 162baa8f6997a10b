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
raises, and raises :class:`NotLoadedError` naming the ``load=`` to pass: ``Customer.orders was
not loaded: pass load=CustomerLoad.ORDERS`` (or ``OrderLoad.CUSTOMER__ORDERS`` to the Order read,
for a customer loaded through an order). It is raised before any I/O, so an AsyncSession gets it
too, never ``MissingGreenlet``.

That message comes from SQLAlchemy's own raise loader, subclassed (:class:`_NotLoadedLoader`)
and registered under a strategy name of ours: it loads exactly as ``raise_on_sql`` does, so a
read costs what it did, and only the raise differs. Its two hooks (the loader class, the option's
strategy) are SQLAlchemy internals, stable since 1.4: where they are missing, ``RAISE`` is the
plain ``raiseload`` and the message SQLAlchemy's (``'Customer.orders' is not available due to
lazy='raise_on_sql'``), which names the relationship too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Never, TypeAlias

from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import RelationshipDirection, joinedload, raiseload, selectinload
from typing_extensions import TypeVar

__all__ = ["RAISE", "L", "Load", "LoadPlan", "NotLoadedError", "UnknownLoadError", "load_paths"]

# The model's Load enum; a model without relationships has none (Never: only `load=None`).
L = TypeVar("L", bound=str, default=Never)

# What a read method takes as `load`: a member, a sequence of members, or None (nothing).
Load: TypeAlias = L | Sequence[L] | None


class NotLoadedError(sa_exc.InvalidRequestError):
    """A relationship read that would have run SQL: the read did not ask for it in ``load=``.

    An ``InvalidRequestError``, as SQLAlchemy's own raise is: code that catches that still does.
    ``model`` and ``attr`` name the relationship, ``root`` the model whose read loaded the
    instance and ``path`` the ``load=`` value that read needed (``"orders.lines"``).
    """

    def __init__(self, model: str, attr: str, root: str, path: str, hint: str) -> None:
        self.model = model
        self.attr = attr
        self.root = root
        self.path = path
        super().__init__(f"{model}.{attr} was not loaded: {hint}")


_STRATEGY = "sublimate_raise_on_sql"  # our name for SQLAlchemy's lazy="raise_on_sql"


def _raise_option() -> Any:
    """``raiseload("*", sql_only=True)`` whose loader is :class:`_NotLoadedLoader`; the plain
    one where this SQLAlchemy lacks the hooks (see the module docstring)."""
    option: Any = raiseload("*", sql_only=True)
    try:
        from sqlalchemy.orm import relationships, strategies
    except ImportError:
        return option
    found = vars(strategies)
    base: Any = found.get("_LazyLoader") or found.get("LazyLoader")  # 2.1 / 2.0
    if base is None or getattr(option, "strategy", None) != (("lazy", "raise_on_sql"),):
        return option

    @relationships.RelationshipProperty.strategy_for(lazy=_STRATEGY)
    class _NotLoadedLoader(base):  # type: ignore[misc]
        """SQLAlchemy's raise_on_sql loader, raising :class:`NotLoadedError` instead."""

        __slots__ = ()

        def __init__(self, parent: Any, strategy_key: Any) -> None:
            super().__init__(parent, strategy_key)
            self._raise_on_sql = True  # type: ignore[misc]  # a slot of the base

        def _invoke_raise_load(self, state: Any, passive: Any, lazy: Any) -> None:
            from .not_loaded import not_loaded  # its message's machinery: the error path

            raise not_loaded(self.parent_property, state)

    option.strategy = (("lazy", _STRATEGY),)
    return option


# Lazy loads raise, on every statement a repository reads with (see the module docstring).
RAISE: Any = _raise_option()

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
