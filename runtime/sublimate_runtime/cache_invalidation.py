"""What a transaction wrote to cached models, and the session events that invalidate it.

A session with a :class:`~.cache.Cache` attached keeps, in ``session.info``, what its transaction
wrote per :class:`~.cache_model.ModelCache` (:class:`Pending`): the rows a repository write
returns (``ModelCache.invalidate``) and every object a flush inserts, updates or deletes
(``after_flush``). After the outermost transaction commits, the tokens of those rows, of their
unique-key values and of their tables are replaced in one ``set_multi`` (``Cache._bump``); a
rollback discards the registration, so nothing is invalidated. A savepoint's release is not a
commit: the outer transaction may still roll back.

The session hooks are registered on ``Session`` the first time a Cache is made, so an
application without a cache pays nothing for them.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.attributes import instance_state

from .cache_store import Unavailable

if TYPE_CHECKING:
    from .cache import Cache
    from .cache_model import ModelCache
    from .cache_rows import ModelSpec

CACHE_INFO = "sublimate.cache"  # session.info key of the attached Cache
_PENDING_INFO = "sublimate.cache.pending"  # session.info key of {ModelCache: Pending}

# Every ModelCache by its model: a flush finds the cache of each object it wrote here.
MODEL_CACHES: dict[type[Any], ModelCache[Any]] = {}

log = logging.getLogger("sublimate_runtime.cache")


class CacheInvalidationWarning(UserWarning):
    """Committed writes could not be invalidated (the backend failed); entries may be stale."""


@dataclass
class Pending:
    """What one session wrote to one model in its transaction: invalidated after commit."""

    rows: set[tuple[Any, ...]] = field(default_factory=set)
    keys: set[tuple[str, tuple[Any, ...]]] = field(default_factory=set)
    everything: bool = False

    def record(
        self, spec: ModelSpec, unique_keys: Mapping[str, tuple[str, ...]], instance: Any
    ) -> None:
        """Register the primary key and current unique-key values of a written row."""
        state = instance_state(instance)
        values = state.dict
        ident: tuple[Any, ...] | None = None
        if state.key is not None:
            ident = spec.ident(state.key[1])
        elif all(name in values for name in spec.primary_key):
            ident = spec.ident([values[n] for n in spec.primary_key])
        if ident is None:
            self.everything = True  # no usable key: drop every entry of the model
        else:
            self.rows.add(ident)
        for name, attrs in unique_keys.items():
            if all(attr in values for attr in attrs):
                key = spec.normalized(attrs, [values[attr] for attr in attrs])
                if key is None:
                    self.everything = True
                else:
                    self.keys.add((name, key))


def attached_cache(info: Mapping[str, Any]) -> Cache | None:
    """The Cache attached to the session whose ``info`` this is, if any."""
    found: Cache | None = info.get(CACHE_INFO)
    return found


def pending_writes(info: dict[str, Any], model_cache: ModelCache[Any]) -> Pending | None:
    """Where the session registers its writes to the model; None when it has no cache."""
    if CACHE_INFO not in info:
        return None
    return info.setdefault(_PENDING_INFO, {}).setdefault(model_cache, Pending())  # type: ignore[no-any-return]


def wrote(info: Mapping[str, Any], model_cache: ModelCache[Any]) -> bool:
    """The session's transaction registered writes to the model (read it from the database)."""
    return model_cache in info.get(_PENDING_INFO, ())


# session events ------------------------------------------------------------------------------

_listening = False
_listening_lock = threading.Lock()


def listen_once() -> None:
    """Register the session hooks the first time a Cache is made (free for apps without one)."""
    global _listening
    with _listening_lock:
        if _listening:
            return
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_transaction_end", _after_transaction_end)
        _listening = True


def _after_flush(session: Session, _context: Any) -> None:
    """Register every cached-model object the flush wrote (covers unit-of-work writes)."""
    if CACHE_INFO not in session.info:
        return
    for instance in (*session.new, *session.dirty, *session.deleted):
        for cls in type(instance).__mro__:
            model_cache = MODEL_CACHES.get(cls)
            if model_cache is not None:
                model_cache.invalidate(session, (instance,))
                break


def _after_commit(session: Session) -> None:
    """After the outermost commit, replace the tokens of what the transaction wrote."""
    if session.in_nested_transaction():
        return  # a RELEASE SAVEPOINT: the outer transaction may still roll back
    pending = session.info.pop(_PENDING_INFO, None)
    cache = attached_cache(session.info)
    if not pending or cache is None:
        return
    try:
        cache._bump(pending)
    except Unavailable as error:  # the store logged the outage; recovery drops every entry
        warnings.warn(
            f"cache invalidation failed after commit (backend unavailable: {error}); every "
            "entry cached before the outage is dropped when the backend is reachable again",
            CacheInvalidationWarning,
            stacklevel=2,
        )
    except Exception as error:  # the commit is done: raising would report a failed write
        log.exception("cache invalidation failed after commit")
        warnings.warn(
            f"cache invalidation failed after commit ({type(error).__name__}: {error}); "
            "cached entries may be stale until they expire",
            CacheInvalidationWarning,
            stacklevel=2,
        )


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """A rollback (or close) of the outermost transaction: forget its writes."""
    if transaction.parent is None:
        session.info.pop(_PENDING_INFO, None)
