"""A cache outage is not a read outage: a cached read whose backend fails runs its query instead.

Every read of :class:`~.cache_model.ModelCache` takes a zero-argument ``load`` that runs the
query. :mod:`.cache_store` turns any backend failure into :class:`~.cache_store.Unavailable`
(before ``load`` ran; a failure after it only skips storing), and these decorators turn that into
a call of ``load``, so the fallback is written once instead of once per read method. They keep the
method's signature (``ParamSpec``): mypy still checks every caller. The ``load`` parameter is found
by name when the method is decorated, so a read without one fails at import, not in an outage.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ParamSpec, TypeVar

from .cache_store import Unavailable

P = ParamSpec("P")
R = TypeVar("R")


def load_on_outage(read: Callable[P, R]) -> Callable[P, R]:
    """``read``, calling its ``load`` argument instead when the cache backend is unavailable."""
    position = _load_position(read)

    @functools.wraps(read)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return read(*args, **kwargs)
        except Unavailable:
            load: Callable[[], R] = _load_argument(position, args, kwargs)
            return load()

    return guarded


def _load_position(read: Callable[..., Any]) -> int:
    """Where ``load`` sits among the positional arguments (``self`` included)."""
    names = list(inspect.signature(read).parameters)
    if "load" not in names:
        raise TypeError(f"{read.__qualname__} has no 'load' parameter to fall back to")
    return names.index("load")


def _load_argument(position: int, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    """The ``load`` a call passed, by position or by keyword."""
    return args[position] if len(args) > position else kwargs["load"]
