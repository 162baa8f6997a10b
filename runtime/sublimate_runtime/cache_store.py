"""Bytes in and out of a dogpile region's backend, surviving a backend that is down or hostile.

The runtime talks to the region's *backend* (``get_serialized_multi``/``set_serialized_multi``,
after the region's key mangler), never through the region's own get/set: those run the backend's
deserializer, which for ``dogpile.cache.redis`` is ``pickle.loads`` on whatever the key holds.
Each stored value is ``msgpack([created_at, body])``: the region's ``expiration_time`` and
``region.invalidate()`` are honoured from ``created_at``, as the region would.

A cache outage must not become a read outage. Every backend error (Redis refused, timed out,
reset) raises :class:`Unavailable`, which the callers turn into "read from the database"; a
:class:`CacheUnavailableWarning` is issued (and logged) at most once per ``warn_every`` seconds per
:class:`Store`. Writes during the outage could not invalidate what they changed, and their
tokens may come back with the backend (a network partition, a proxy restart). So after any
failure the next successful contact first replaces the *generation* token, which every entry's
stamp includes: everything cached before the outage is ignored from then on, by every process.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from .cache_codec import DECODE_ERRORS

if TYPE_CHECKING:
    from dogpile.cache import CacheRegion

log = logging.getLogger("sublimate_runtime.cache")

_ENVELOPE = msgspec.msgpack.Decoder(tuple[float, msgspec.Raw])
_ENCODER = msgspec.msgpack.Encoder()


class CacheUnavailableWarning(UserWarning):
    """The cache backend failed: reads went to the database (issued at most every 30 s)."""


class CacheEntryWarning(UserWarning):
    """A cache entry could not be decoded (corrupt, or not written by the runtime): ignored."""


class Unavailable(Exception):
    """The backend failed; the caller reads from the database instead."""


class Store:
    """Raw entries of one region, with outage tracking (see the module doc)."""

    def __init__(
        self, region: CacheRegion, generation_key: str, *, warn_every: float = 30.0
    ) -> None:
        from dogpile.cache.api import NO_VALUE

        self.region = region
        self.generation_key = generation_key
        self.warn_every = warn_every
        self._no_value = NO_VALUE
        self._lock = threading.Lock()
        self._lost = False  # a failure since the last generation bump
        self._warned_at: dict[type[Warning], float] = {}

    # reads and writes --------------------------------------------------------------------------

    def get_multi(self, keys: Sequence[str]) -> list[msgspec.Raw | None]:
        """The body stored under each key; None when absent, expired or undecodable."""
        backend = self.region.backend
        mangled = self._mangle(keys)
        values = self._call(backend.get_serialized_multi, mangled)
        now = time.time()
        return [self._body(key, value, now) for key, value in zip(keys, values, strict=True)]

    def set_multi(self, mapping: Mapping[str, bytes]) -> None:
        """Store msgpack-encoded bodies under their keys; raises Unavailable."""
        if not mapping:
            return
        now = time.time()
        encoded = {
            mangled: _ENCODER.encode((now, msgspec.Raw(body)))
            for mangled, body in zip(
                self._mangle(list(mapping)), mapping.values(), strict=True
            )
        }
        self._call(self.region.backend.set_serialized_multi, encoded)

    def mutex(self, key: str) -> Any | None:
        """The backend's distributed mutex for ``key`` (wrapped), or None when it has none."""
        found = self.region.backend.get_mutex(self._mangle([key])[0])
        return None if found is None else _Mutex(found, self)

    def reject(self, key: str, error: BaseException) -> None:
        """An entry that did not decode: a miss, with a (rate-limited) warning."""
        self._warn(
            CacheEntryWarning,
            f"cache entry {key!r} could not be decoded ({type(error).__name__}): ignored",
        )

    # outage ----------------------------------------------------------------------------------

    def failed(self, error: BaseException) -> None:
        """Record a backend failure: warn (rate-limited) and bump the generation on recovery."""
        with self._lock:
            self._lost = True
        self._warn(
            CacheUnavailableWarning,
            f"cache backend unavailable ({type(error).__name__}: {error}); "
            "reading from the database",
        )

    def _call(self, operation: Any, argument: Any) -> Any:
        try:
            if self._lost:
                self._new_generation()
            return operation(argument)
        except Unavailable:
            raise
        except Exception as error:
            self.failed(error)
            raise Unavailable(str(error)) from error

    def _new_generation(self) -> None:
        """First contact after a failure: orphan every entry stored before it."""
        token = _ENCODER.encode(os.urandom(8).hex())
        body = _ENCODER.encode((time.time(), msgspec.Raw(token)))
        self.region.backend.set_serialized_multi({self._mangle([self.generation_key])[0]: body})
        with self._lock:
            self._lost = False
        log.warning("cache backend reachable again: entries cached before the outage dropped")

    # internals -------------------------------------------------------------------------------

    def _mangle(self, keys: Sequence[str]) -> list[str]:
        mangler = self.region.key_mangler
        return [mangler(key) for key in keys] if mangler else list(keys)

    def _body(self, key: str, value: Any, now: float) -> msgspec.Raw | None:
        if value is None or value is self._no_value:
            return None
        try:
            created, body = _ENVELOPE.decode(value)
        except (*DECODE_ERRORS, TypeError) as error:
            self.reject(key, error)
            return None
        expiration = self.region.expiration_time
        if expiration is not None and expiration >= 0 and now - created > expiration:
            return None
        if self.region.region_invalidator.is_invalidated(created):
            return None
        return body

    def _warn(self, category: type[Warning], message: str) -> None:
        now = time.monotonic()
        with self._lock:
            last = self._warned_at.get(category)
            if last is not None and now - last < self.warn_every:
                return
            self._warned_at[category] = now
        log.warning("%s", message)
        warnings.warn(message, category, stacklevel=4)


class _Mutex:
    """A backend's distributed mutex whose failures are outages, not exceptions to the caller."""

    __slots__ = ("__weakref__", "_inner", "_store")

    def __init__(self, inner: Any, store: Store) -> None:
        self._inner = inner
        self._store = store

    def acquire(self, wait: bool = True) -> bool:
        try:
            return bool(self._inner.acquire(wait))
        except Exception as error:
            self._store.failed(error)
            raise Unavailable(str(error)) from error

    def release(self) -> None:
        try:
            self._inner.release()
        except Exception as error:  # the value is loaded: a lost lock must not fail the read
            log.warning("cache lock release failed (%s: %s)", type(error).__name__, error)

    def locked(self) -> bool:
        try:
            return bool(self._inner.locked())
        except Exception:
            return False
