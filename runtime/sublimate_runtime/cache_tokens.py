"""Reading and filling entries: one is served only while the tokens it was read under are current.

This is the core of the protocol described in :mod:`.cache`. Every entry is stored as ``(stamp,
payload)``, the stamp being the generation token of :mod:`.cache_store` followed by the tokens
the entry depends on (of rows, unique keys or tables, as :class:`~.cache.Cache` names them). A
lookup reads the tokens and the entry in one round trip; a fill reads the tokens *before* the
query, so a result that raced a commit is stored under a replaced token and never served.
Invalidating is replacing tokens, never deleting entries. Concurrent misses for one key run one
query (dogpile's ``Lock``, or a per-key ``asyncio.Lock``), from the primary unless told otherwise.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

from sqlalchemy.util.concurrency import await_only, in_greenlet

from .cache_codec import DECODE_ERRORS, ENCODE_ERRORS, ENCODER, RECORD, TOKEN, Kind
from .cache_store import Store, Unavailable
from .intents import primary

T = TypeVar("T")

log = logging.getLogger("sublimate_runtime.cache")


def new_token() -> str:
    return os.urandom(8).hex()


class StampedEntries:
    """The entries of one :class:`~.cache_store.Store`, each valid while its stamp is current."""

    def __init__(self, store: Store, *, fill_from_primary: bool) -> None:
        self.store = store
        self.fill_from_primary = fill_from_primary
        self._mutexes: weakref.WeakValueDictionary[str, _Mutex] = weakref.WeakValueDictionary()
        self._async_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._registry_lock = threading.Lock()

    def lookup(
        self, tokens: Sequence[str], key: str, decode: Callable[[Any], Any]
    ) -> tuple[bool, Any]:
        """(True, payload) when ``key`` holds an entry stored under the current ``tokens``.

        The generation token comes first in every stamp (see :mod:`.cache_store`). Raises
        ``Unavailable`` when the backend fails; an entry that does not decode is a miss.
        """
        names = [self.store.generation_key, *tokens]
        *raw_tokens, record = self.store.get_multi([*names, key])
        if record is None or any(token is None for token in raw_tokens):
            return False, None
        try:
            current = [TOKEN.decode(token) for token in raw_tokens]  # type: ignore[arg-type]
            stamp, payload = RECORD.decode(record)
            if stamp != current:
                return False, None
            return True, decode(payload)
        except DECODE_ERRORS as error:
            self.store.reject(key, error)
            return False, None

    def fetch(
        self,
        tokens: Sequence[str],
        key: str,
        load: Callable[[], T],
        kind: Kind,
    ) -> tuple[bool, Any]:
        """(True, payload) on a hit, (False, loaded value) after running ``load`` (one runner).

        Raises ``Unavailable`` when the backend fails before ``load`` ran; a failure after it
        only skips storing."""
        if in_greenlet():  # asyncio code on a sync Session (run_sync): never block the loop
            return self._fetch_in_loop(tokens, key, load, kind)
        from dogpile import Lock, NeedRegenerationException

        def cached() -> tuple[tuple[bool, Any], float]:
            hit, payload = self.lookup(tokens, key, kind.decode)
            if not hit:
                raise NeedRegenerationException()
            return (True, payload), 1.0

        def create() -> tuple[tuple[bool, Any], float]:
            return (False, self.refill(tokens, key, load, kind)), 1.0

        with Lock(self._mutex(key), create, cached, None) as found:  # type: ignore[no-untyped-call]
            result: tuple[bool, Any] = found
            return result

    def _fetch_in_loop(
        self, tokens: Sequence[str], key: str, load: Callable[[], T], kind: Kind
    ) -> tuple[bool, Any]:
        """:meth:`fetch` in a greenlet of asyncio code: a thread's lock held across the query's
        await would block the event loop, so it waits on the per-key ``asyncio.Lock``."""
        hit, payload = self.lookup(tokens, key, kind.decode)
        if hit:
            return True, payload
        lock = self._async_lock(key)
        await_only(lock.acquire())
        try:
            hit, payload = self.lookup(tokens, key, kind.decode)
            if hit:
                return True, payload
            return False, self.refill(tokens, key, load, kind)
        finally:
            lock.release()

    def refill(
        self,
        tokens: Sequence[str],
        key: str,
        load: Callable[[], T],
        kind: Kind,
    ) -> T:
        """Run ``load`` and store its value under the tokens read before it (no lock: callers
        hold one, or are replacing an entry that is current by its tokens but was found wrong,
        which is rare)."""
        stamp = self._tokens_for_fill(tokens)
        with self._fill_context():
            value = load()
        self._put(key, stamp, kind.encode(value))
        return value

    def replace_tokens(self, names: Iterable[str]) -> None:
        """Give every token in ``names`` one new value: what was stored under them is orphaned.

        Raises ``Unavailable`` when the backend fails."""
        token = ENCODER.encode(new_token())
        self.store.set_multi(dict.fromkeys(names, token))

    # internals -------------------------------------------------------------------------------

    def _tokens_for_fill(self, tokens: Sequence[str]) -> list[str]:
        """The current tokens, creating missing ones: called before the query, never after."""
        names = [self.store.generation_key, *tokens]
        current: list[str | None] = []
        for name, raw in zip(names, self.store.get_multi(names), strict=True):
            try:
                current.append(None if raw is None else TOKEN.decode(raw))
            except DECODE_ERRORS as error:
                self.store.reject(name, error)
                current.append(None)
        pairs = list(zip(names, current, strict=True))
        created = {name: new_token() for name, value in pairs if value is None}
        if created:
            self.store.set_multi({name: ENCODER.encode(t) for name, t in created.items()})
        return [created.get(name, value) or "" for name, value in pairs]

    def _put(self, key: str, stamp: list[str], payload: Any | None) -> None:
        """Store ``payload`` under ``stamp``; None (do not store), an unencodable value or a
        failed backend is skipped (the caller already has its value)."""
        if payload is None:
            return
        try:
            body = ENCODER.encode((stamp, payload))
        except ENCODE_ERRORS:
            log.debug("not cached: %s holds a value msgpack cannot encode", key)
            return
        try:
            self.store.set_multi({key: body})
        except Unavailable:
            return

    def _fill_context(self) -> AbstractContextManager[None]:
        """``primary()`` around a fill, unless the Cache was told to fill from replicas."""
        return primary() if self.fill_from_primary else nullcontext()

    def _mutex(self, key: str) -> Any:
        distributed = self.store.mutex(key)
        if distributed is not None:
            return distributed
        with self._registry_lock:
            mutex = self._mutexes.get(key)
            if mutex is None:
                mutex = self._mutexes[key] = _Mutex()
            return mutex

    def _async_lock(self, key: str) -> asyncio.Lock:
        with self._registry_lock:
            lock = self._async_locks.get(key)
            if lock is None:
                lock = self._async_locks[key] = asyncio.Lock()
            return lock


class _Mutex:
    """A per-process mutex with the interface dogpile's ``Lock`` expects."""

    __slots__ = ("__weakref__", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def acquire(self, wait: bool = True) -> bool:
        return self._lock.acquire(wait)

    def release(self) -> None:
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()
