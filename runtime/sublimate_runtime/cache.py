"""Caching of repository reads in a dogpile.cache region, invalidated only by committed writes.

Install the extra (``sublimate-runtime[cache]``), make a region, attach it to a session factory::

    region = make_region().configure("dogpile.cache.redis", arguments={...})
    Session = Cache(region).attach(session_factory(engine))

Generated repositories of models that opted in call a module-level :class:`ModelCache`; without an
attached :class:`Cache` those calls run the query as if there were no cache.

What is cached: the column values of rows (pickled), never ORM objects. A hit rebuilds the row as
a persistent instance of the caller's session, as a query would load it (``load`` event
included), or returns the instance the session already holds, filling only its expired
attributes: objects are never shared between sessions, threads or callers, and what callers do
to them cannot change the cache. Rebuilding costs ~10 us a row, so a cached 50-row list saves
database work but not latency against a local database.

Correctness rests on tokens kept in the region, so every process sees every bump:

- each row (by primary key), each unique-key value and each table has a random token; a cached
  entry records the tokens it was read under and is a hit only while they are unchanged;
- a write registers what it touched in the session (the rows a repository write returns, and every
  object a flush inserts, updates or deletes); after the outermost transaction commits, the
  tokens of those rows, of their unique-key values and of their tables are replaced (one
  ``set_multi``). A rollback discards the registration: nothing is invalidated;
- a miss reads the tokens (creating missing ones) *before* querying, and stores under those. A
  reader that queried before a concurrent commit therefore stores under a token the commit has
  replaced: its stale result is never served. Expired or evicted tokens are recreated the same
  way, orphaning what was stored under the old ones;
- ``list``/``count`` results depend on the tokens of the model's tables; a statement that also
  reads other tables (a ``where`` with a subquery on another model) is not cached, since writes
  to those tables are not known to invalidate it;
- ``get_by_<key>`` caches a pointer to the primary key, checked against the row on each hit, so an
  update that moves the key away needs no knowledge of the old value;
- a session that has registered writes for a model reads that model from the database until the
  transaction ends (read-your-writes), and pending changes are flushed before a cached read as
  autoflush would before a query.

Concurrent misses for one key run one query: dogpile's ``Lock`` with the backend's mutex
(distributed for ``dogpile.cache.redis`` with ``distributed_lock=True``) or a per-process one;
asyncio code uses a per-key ``asyncio.Lock`` (per process). Misses are filled from the primary when
routing is in use (``fill_from_primary``): a lagging replica's rows would otherwise be stored for
everyone until the next write. Async code calls the region synchronously (dogpile has no asyncio
backends): a local Redis round trip is ~0.1 ms.

Writes the runtime cannot see (raw SQL, bulk ``update()`` statements outside repositories, other
applications) must call :meth:`ModelCache.invalidate_all` in the writing transaction or
:meth:`Cache.invalidate_model` afterwards; the region's ``expiration_time`` bounds the rest.
"""

from __future__ import annotations

import asyncio
import builtins
import hashlib
import logging
import os
import pickle
import threading
import warnings
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import event, inspect
from sqlalchemy.orm import (
    Mapper,
    Session,
    SessionTransaction,
    make_transient_to_detached,
    sessionmaker,
)
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.sql import ClauseElement, TableClause, visitors

from .routing import primary

if TYPE_CHECKING:
    from dogpile.cache import CacheRegion
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

M = TypeVar("M")
T = TypeVar("T")
F = TypeVar("F", bound="sessionmaker[Any] | async_sessionmaker[Any] | Session | AsyncSession")

_CACHE = "sublimate.cache"
_PENDING = "sublimate.cache.pending"
_MODELS: dict[type[Any], ModelCache[Any]] = {}
_SHAPES_MAX = 4096
log = logging.getLogger(__name__)


class CacheInvalidationWarning(UserWarning):
    """Committed writes could not be invalidated (the backend failed); entries may be stale."""


def _new_token() -> str:
    return os.urandom(8).hex()


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


class Cache:
    """A dogpile region with what the runtime keeps beside it; attach it to session factories."""

    def __init__(
        self, region: CacheRegion, *, namespace: str = "sublimate", fill_from_primary: bool = True
    ) -> None:
        from dogpile.cache.api import NO_VALUE

        _listen_once()
        self.region = region
        self.namespace = namespace
        self.fill_from_primary = fill_from_primary
        self._no_value = NO_VALUE
        self._shapes: dict[Any, tuple[str, tuple[str, ...]]] = {}
        self._mutexes: weakref.WeakValueDictionary[str, _Mutex] = weakref.WeakValueDictionary()
        self._async_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._registry_lock = threading.Lock()

    def attach(self, target: F) -> F:
        """Make sessions of this factory (or this one session) use the cache; returns ``target``."""
        found: Any = target
        if isinstance(found, Session):
            found.info[_CACHE] = self
        elif hasattr(found, "sync_session"):  # AsyncSession: its info is the sync session's
            found.sync_session.info[_CACHE] = self
        else:  # sessionmaker / async_sessionmaker: every session they make
            found.kw["info"] = {**(found.kw.get("info") or {}), _CACHE: self}
        return target

    def invalidate_model(self, model: type[Any]) -> None:
        """Invalidate every cached entry of ``model`` now (after writes the runtime cannot see)."""
        spec = _spec_of(model)
        token = _new_token()
        self.region.set_multi(
            {self._epoch_key(spec): token, **{self._gen_key(t): token for t in spec.tables}}
        )

    # keys ------------------------------------------------------------------------------------

    def _epoch_key(self, spec: _Spec) -> str:
        return f"{self.namespace}:{spec.name}:epoch"

    def _gen_key(self, table: str) -> str:
        return f"{self.namespace}:table:{table}"

    def _row_keys(self, spec: _Spec, ident: tuple[Any, ...]) -> tuple[str, str]:
        base = f"{self.namespace}:{spec.name}:row:{ident!r}"
        return base + ":token", base

    def _unique_keys(self, spec: _Spec, key: str, values: tuple[Any, ...]) -> tuple[str, str]:
        base = f"{self.namespace}:{spec.name}:key:{key}:{values!r}"
        return base + ":token", base

    def _shape(self, statement: ClauseElement) -> tuple[str, tuple[str, ...]] | None:
        """(digest of SQL and parameters, tables read) for a statement, None if uncacheable."""
        cache_key = statement._generate_cache_key()
        if cache_key is None:
            return None
        known = self._shapes.get(cache_key.key)
        if known is None:
            read = {
                element.fullname
                for element in visitors.iterate(statement)
                if isinstance(element, TableClause)
            }
            known = (str(statement), tuple(sorted(read)))
            if len(self._shapes) >= _SHAPES_MAX:
                self._shapes.clear()
            self._shapes[cache_key.key] = known
        sql, tables = known
        values = tuple(bind.effective_value for bind in cache_key.bindparams)
        digest = hashlib.sha256(repr((sql, values)).encode()).hexdigest()[:40]
        return f"{self.namespace}:query:{digest}", tables

    # the token protocol ----------------------------------------------------------------------

    def _lookup(self, tokens: Sequence[str], key: str) -> tuple[bool, Any]:
        """(True, payload) when ``key`` holds an entry stored under the current ``tokens``."""
        *current, record = self.region.get_multi([*tokens, key])  # type: ignore[no-untyped-call]
        no_value = self._no_value
        if record is no_value or any(token is no_value for token in current):
            return False, None
        stamp, payload = record
        if stamp != tuple(current):
            return False, None
        return True, pickle.loads(payload)

    def _tokens_for_fill(self, tokens: Sequence[str]) -> tuple[str, ...]:
        """The current tokens, creating missing ones: called before the query, never after."""
        current = self.region.get_multi(list(tokens))  # type: ignore[no-untyped-call]
        created = {
            name: _new_token()
            for name, value in zip(tokens, current, strict=True)
            if value is self._no_value
        }
        if created:
            self.region.set_multi(created)
        return tuple(
            created.get(name, value) for name, value in zip(tokens, current, strict=True)
        )

    def _store(self, key: str, stamp: tuple[str, ...], payload: Any) -> None:
        self.region.set(key, (stamp, pickle.dumps(payload, pickle.HIGHEST_PROTOCOL)))

    def _mutex(self, key: str) -> Any:
        mangler = self.region.key_mangler
        distributed = self.region.backend.get_mutex(mangler(key) if mangler else key)
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

    def _fetch(
        self,
        tokens: Sequence[str],
        key: str,
        load: Callable[[], T],
        encode: Callable[[T], Any | None],
    ) -> tuple[bool, Any]:
        """(True, payload) on a hit, (False, loaded value) after running ``load`` (one runner)."""
        from dogpile import Lock, NeedRegenerationException

        def cached() -> tuple[tuple[bool, Any], float]:
            hit, payload = self._lookup(tokens, key)
            if not hit:
                raise NeedRegenerationException()
            return (True, payload), 1.0

        def create() -> tuple[tuple[bool, Any], float]:
            stamp = self._tokens_for_fill(tokens)
            with _maybe_primary(self.fill_from_primary):
                value = load()
            payload = encode(value)
            if payload is not None:
                self._store(key, stamp, payload)
            return (False, value), 1.0

        with Lock(self._mutex(key), create, cached, None) as found:  # type: ignore[no-untyped-call]
            result: tuple[bool, Any] = found
            return result

    async def _afetch(
        self,
        tokens: Sequence[str],
        key: str,
        load: Callable[[], Awaitable[T]],
        encode: Callable[[T], Any | None],
    ) -> tuple[bool, Any]:
        """The asyncio twin of :meth:`_fetch` (a per-key ``asyncio.Lock``)."""
        hit, payload = self._lookup(tokens, key)
        if hit:
            return True, payload
        async with self._async_lock(key):
            hit, payload = self._lookup(tokens, key)
            if hit:
                return True, payload
            stamp = self._tokens_for_fill(tokens)
            with _maybe_primary(self.fill_from_primary):
                value = await load()
            encoded = encode(value)
            if encoded is not None:
                self._store(key, stamp, encoded)
            return False, value

    def _refill(
        self,
        tokens: Sequence[str],
        key: str,
        load: Callable[[], T],
        encode: Callable[[T], Any | None],
    ) -> T:
        """Replace an entry that is current by its tokens but was found wrong (no lock: rare)."""
        stamp = self._tokens_for_fill(tokens)
        with _maybe_primary(self.fill_from_primary):
            value = load()
        payload = encode(value)
        if payload is not None:
            self._store(key, stamp, payload)
        return value

    async def _arefill(
        self,
        tokens: Sequence[str],
        key: str,
        load: Callable[[], Awaitable[T]],
        encode: Callable[[T], Any | None],
    ) -> T:
        """The asyncio twin of :meth:`_refill`."""
        stamp = self._tokens_for_fill(tokens)
        with _maybe_primary(self.fill_from_primary):
            value = await load()
        payload = encode(value)
        if payload is not None:
            self._store(key, stamp, payload)
        return value

    def _bump(self, pending: Mapping[ModelCache[Any], _Pending]) -> None:
        token = _new_token()
        bumped: dict[str, str] = {}
        for model_cache, what in pending.items():
            spec = model_cache.spec
            for table in spec.tables:
                bumped[self._gen_key(table)] = token
            if what.everything:
                bumped[self._epoch_key(spec)] = token
            for ident in what.rows:
                bumped[self._row_keys(spec, ident)[0]] = token
            for name, values in what.keys:
                bumped[self._unique_keys(spec, name, values)[0]] = token
        self.region.set_multi(bumped)


def _maybe_primary(wanted: bool) -> AbstractContextManager[None]:
    """``primary()`` around a cache fill, unless the Cache was told to fill from replicas."""
    return primary() if wanted else nullcontext()


@dataclass(frozen=True)
class _Spec:
    """What the cache needs to know of a mapped class, computed once it is configured."""

    mapper: Mapper[Any]
    name: str  # table name and a fingerprint of the columns: a schema change gets new keys
    columns: tuple[str, ...]
    primary_key: tuple[str, ...]
    tables: tuple[str, ...]
    types: dict[str, type[Any] | None]  # attribute -> its column's Python type, when known

    def normalized(self, attrs: Sequence[str], values: Sequence[Any]) -> tuple[Any, ...] | None:
        """Key values as the database returns them (``int(True)``, ``str(StrEnum)``), so a
        reader's key and a writer's are the same string; None when a value is of another type."""
        out = []
        for attr, value in zip(attrs, values, strict=True):
            wanted = self.types.get(attr)
            if wanted is not None and type(value) is not wanted and value is not None:
                if not isinstance(value, wanted):
                    return None
                value = wanted(value)
            out.append(value)
        return tuple(out)


def _spec_of(model: type[Any]) -> _Spec:
    mapper: Mapper[Any] = inspect(model)
    columns = tuple(attr.key for attr in mapper.column_attrs)
    described = repr([(a.key, [str(c.type) for c in a.columns]) for a in mapper.column_attrs])
    fingerprint = hashlib.sha256(described.encode()).hexdigest()[:8]
    primary_key = tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)
    tables = tuple(sorted(t.fullname for t in mapper.tables if isinstance(t, TableClause)))
    base = mapper.base_mapper.local_table
    name = getattr(base, "fullname", model.__name__)
    types = {attr.key: _python_type(attr.columns[0]) for attr in mapper.column_attrs}
    return _Spec(mapper, f"{name}@{fingerprint}", columns, primary_key, tables, types)


def _python_type(column: Any) -> type[Any] | None:
    try:
        found: type[Any] = column.type.python_type
    except (NotImplementedError, AttributeError):
        return None
    return found


@dataclass
class _Pending:
    """What one session wrote to one model in its transaction: invalidated after commit."""

    rows: set[tuple[Any, ...]] = field(default_factory=set)
    keys: set[tuple[str, tuple[Any, ...]]] = field(default_factory=set)
    everything: bool = False


class ModelCache(Generic[M]):
    """The cache calls of one model's generated repository (a module-level constant there).

    ``unique_keys`` maps each ``get_by_<key>`` name to its attribute names. Every read method
    takes the session, what identifies the result, and a zero-argument ``load`` that runs the
    query (the ``a``-prefixed methods take an async ``load`` and an ``AsyncSession``).
    """

    def __init__(
        self, model: type[M], *, unique_keys: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        self.model = model
        self.unique_keys = {name: tuple(attrs) for name, attrs in (unique_keys or {}).items()}
        self._spec: _Spec | None = None
        _MODELS[model] = self

    @property
    def spec(self) -> _Spec:
        if self._spec is None:
            self._spec = _spec_of(self.model)
        return self._spec

    # reads: sync -----------------------------------------------------------------------------

    def get(
        self, session: Session, ident: tuple[Any, ...], load: Callable[[], M | None]
    ) -> M | None:
        """``session.get`` through the cache: ``load`` runs only on a miss."""
        cache = self._usable(session)
        key = self._ident(ident)
        if cache is None or key is None or self._in_identity_map(session, key):
            return load()
        hit, value = cache._fetch(
            self._row_tokens(cache, key), cache._row_keys(self.spec, key)[1], load, self._one
        )
        return self._rebuild_one(session, value) if hit else value

    def get_by(
        self, session: Session, key: str, values: tuple[Any, ...], load: Callable[[], M | None]
    ) -> M | None:
        """A ``get_by_<key>`` through the cache: a pointer to the primary key, checked on use."""
        cache = self._usable(session)
        normalized = self.spec.normalized(self.unique_keys[key], values)
        if cache is None or normalized is None:
            return load()
        tokens, pointer = self._key_entry(cache, key, normalized)
        hit, value = cache._lookup(tokens, pointer)
        if not hit:
            hit, value = cache._fetch(tokens, pointer, load, self._pointer)
            if not hit:
                return value  # type: ignore[no-any-return]
        ident = value[0]
        if ident is None:
            return None
        found = self.get(session, ident, lambda: self._load_by_pk(session, ident))
        if found is not None and self._has_key(found, key, values):
            return found
        # The row moved off this key since the pointer was stored: look the key up again.
        return cache._refill(tokens, pointer, load, self._pointer)

    def list(
        self,
        session: Session,
        statement: ClauseElement,
        load: Callable[[], builtins.list[M]],
    ) -> builtins.list[M]:
        """Rows of ``statement`` (a ``select`` of the model) through the cache."""
        found = self._query(session, statement, load, self._many)
        if found is None:
            return load()
        hit, value = found
        if not hit:
            return value  # type: ignore[no-any-return]
        return [self._rebuild(session, row) for row in value]

    def list_and_count(
        self,
        session: Session,
        statement: ClauseElement,
        load: Callable[[], tuple[builtins.list[M], int]],
    ) -> tuple[builtins.list[M], int]:
        """A page and its total (``list_and_count``) through the cache."""
        found = self._query(session, statement, load, self._page)
        if found is None:
            return load()
        hit, value = found
        if not hit:
            return value  # type: ignore[no-any-return]
        rows, total = value
        return [self._rebuild(session, row) for row in rows], total

    def scalar(self, session: Session, statement: ClauseElement, load: Callable[[], T]) -> T:
        """A plain value (``count``, ``exists``) through the cache; it must be picklable."""
        found = self._query(session, statement, load, _plain)
        if found is None:
            return load()
        return found[1]  # type: ignore[no-any-return]

    # reads: asyncio --------------------------------------------------------------------------

    async def aget(
        self,
        session: AsyncSession,
        ident: tuple[Any, ...],
        load: Callable[[], Awaitable[M | None]],
    ) -> M | None:
        """:meth:`get` for an ``AsyncSession``."""
        cache = await self._ausable(session)
        sync = session.sync_session
        key = self._ident(ident)
        if cache is None or key is None or self._in_identity_map(sync, key):
            return await load()
        hit, value = await cache._afetch(
            self._row_tokens(cache, key), cache._row_keys(self.spec, key)[1], load, self._one
        )
        return self._rebuild_one(sync, value) if hit else value

    async def aget_by(
        self,
        session: AsyncSession,
        key: str,
        values: tuple[Any, ...],
        load: Callable[[], Awaitable[M | None]],
    ) -> M | None:
        """:meth:`get_by` for an ``AsyncSession``."""
        cache = await self._ausable(session)
        normalized = self.spec.normalized(self.unique_keys[key], values)
        if cache is None or normalized is None:
            return await load()
        tokens, pointer = self._key_entry(cache, key, normalized)
        hit, value = cache._lookup(tokens, pointer)
        if not hit:
            hit, value = await cache._afetch(tokens, pointer, load, self._pointer)
            if not hit:
                return value  # type: ignore[no-any-return]
        ident = value[0]
        if ident is None:
            return None
        found = await self.aget(session, ident, lambda: self._aload_by_pk(session, ident))
        if found is not None and self._has_key(found, key, values):
            return found
        return await cache._arefill(tokens, pointer, load, self._pointer)

    async def alist(
        self,
        session: AsyncSession,
        statement: ClauseElement,
        load: Callable[[], Awaitable[builtins.list[M]]],
    ) -> builtins.list[M]:
        """:meth:`list` for an ``AsyncSession``."""
        found = await self._aquery(session, statement, load, self._many)
        if found is None:
            return await load()
        hit, value = found
        if not hit:
            return value  # type: ignore[no-any-return]
        return [self._rebuild(session.sync_session, row) for row in value]

    async def alist_and_count(
        self,
        session: AsyncSession,
        statement: ClauseElement,
        load: Callable[[], Awaitable[tuple[builtins.list[M], int]]],
    ) -> tuple[builtins.list[M], int]:
        """:meth:`list_and_count` for an ``AsyncSession``."""
        found = await self._aquery(session, statement, load, self._page)
        if found is None:
            return await load()
        hit, value = found
        if not hit:
            return value  # type: ignore[no-any-return]
        rows, total = value
        return [self._rebuild(session.sync_session, row) for row in rows], total

    async def ascalar(
        self, session: AsyncSession, statement: ClauseElement, load: Callable[[], Awaitable[T]]
    ) -> T:
        """:meth:`scalar` for an ``AsyncSession``."""
        found = await self._aquery(session, statement, load, _plain)
        if found is None:
            return await load()
        return found[1]  # type: ignore[no-any-return]

    # writes ----------------------------------------------------------------------------------

    def invalidate(self, session: Session | AsyncSession, instances: Iterable[M]) -> None:
        """Register rows a write touched; their entries and the model's lists go after commit.

        Pass the rows as the write returns them (after UPDATE/DELETE ... RETURNING, or after
        flush): their primary keys and current unique-key values are recorded now.
        """
        pending = self._pending(session)
        if pending is None:
            return
        for instance in instances:
            self._record(pending, instance)

    def invalidate_all(self, session: Session | AsyncSession) -> None:
        """Register a write whose rows are unknown: every entry of the model goes after commit."""
        pending = self._pending(session)
        if pending is not None:
            pending.everything = True

    # internals -------------------------------------------------------------------------------

    def _pending(self, session: Session | AsyncSession) -> _Pending | None:
        info = session.info
        if _CACHE not in info:
            return None
        return info.setdefault(_PENDING, {}).setdefault(self, _Pending())  # type: ignore[no-any-return]

    def _record(self, pending: _Pending, instance: Any) -> None:
        state = instance_state(instance)
        values = state.dict
        spec = self.spec
        ident: tuple[Any, ...] | None = None
        if state.key is not None:
            ident = spec.normalized(spec.primary_key, state.key[1])
        elif all(name in values for name in spec.primary_key):
            ident = spec.normalized(spec.primary_key, [values[n] for n in spec.primary_key])
        if ident is None:
            pending.everything = True  # no usable key: drop every entry of the model
        else:
            pending.rows.add(ident)
        for name, attrs in self.unique_keys.items():
            if all(attr in values for attr in attrs):
                key = spec.normalized(attrs, [values[attr] for attr in attrs])
                if key is None:
                    pending.everything = True
                else:
                    pending.keys.add((name, key))

    def _usable(self, session: Session) -> Cache | None:
        """The session's cache, or None: no cache, or this transaction wrote the model."""
        cache: Cache | None = session.info.get(_CACHE)
        if cache is None:
            return None
        if session.autoflush and (session.new or session.deleted or session.dirty):
            session.flush()  # what autoflush would do before a query; registers the writes
        if self in session.info.get(_PENDING, ()):
            return None
        return cache

    async def _ausable(self, session: AsyncSession) -> Cache | None:
        sync = session.sync_session
        cache: Cache | None = sync.info.get(_CACHE)
        if cache is None:
            return None
        if sync.autoflush and (sync.new or sync.deleted or sync.dirty):
            await session.flush()
        if self in sync.info.get(_PENDING, ()):
            return None
        return cache

    def _query(
        self,
        session: Session,
        statement: ClauseElement,
        load: Callable[[], T],
        encode: Callable[[T], Any | None],
    ) -> tuple[bool, Any] | None:
        cache = self._usable(session)
        shape = None if cache is None else self._own_shape(cache, statement)
        if cache is None or shape is None:
            return None
        key, tables = shape
        return cache._fetch([cache._gen_key(table) for table in tables], key, load, encode)

    async def _aquery(
        self,
        session: AsyncSession,
        statement: ClauseElement,
        load: Callable[[], Awaitable[T]],
        encode: Callable[[T], Any | None],
    ) -> tuple[bool, Any] | None:
        cache = await self._ausable(session)
        shape = None if cache is None else self._own_shape(cache, statement)
        if cache is None or shape is None:
            return None
        key, tables = shape
        return await cache._afetch([cache._gen_key(table) for table in tables], key, load, encode)

    def _own_shape(
        self, cache: Cache, statement: ClauseElement
    ) -> tuple[str, tuple[str, ...]] | None:
        """The statement's key and tables, or None when it also reads tables of other models.

        Writes to those would not invalidate the entry (only this model's writes are known to
        bump its tables), so such statements always run.
        """
        shape = cache._shape(statement)
        if shape is None or not set(shape[1]) <= set(self.spec.tables):
            return None
        return shape

    def _row_tokens(self, cache: Cache, ident: tuple[Any, ...]) -> builtins.list[str]:
        return [cache._epoch_key(self.spec), cache._row_keys(self.spec, ident)[0]]

    def _key_entry(
        self, cache: Cache, key: str, values: tuple[Any, ...]
    ) -> tuple[builtins.list[str], str]:
        token, pointer = cache._unique_keys(self.spec, key, values)
        return [cache._epoch_key(self.spec), token], pointer

    def _in_identity_map(self, session: Session, ident: tuple[Any, ...]) -> bool:
        key = self.spec.mapper.identity_key_from_primary_key(tuple(ident))
        return session.identity_map.get(key) is not None

    def _has_key(self, instance: M, key: str, values: tuple[Any, ...]) -> bool:
        attrs = self.unique_keys[key]
        found = self.spec.normalized(attrs, [getattr(instance, attr) for attr in attrs])
        return found == self.spec.normalized(attrs, values)

    def _ident(self, ident: tuple[Any, ...]) -> tuple[Any, ...] | None:
        return self.spec.normalized(self.spec.primary_key, ident)

    def _load_by_pk(self, session: Session, ident: tuple[Any, ...]) -> M | None:
        from .routing import READ_INTENT

        return session.get(self.model, ident, bind_arguments=READ_INTENT)

    async def _aload_by_pk(self, session: AsyncSession, ident: tuple[Any, ...]) -> M | None:
        # AsyncSession.get() takes no bind_arguments; a SELECT is routed as a read anyway.
        return await session.get(self.model, ident)

    # payloads: column values in, instances out -----------------------------------------------

    def _values(self, instance: Any) -> dict[str, Any] | None:
        """The row's column values, or None when the instance holds unflushed changes."""
        state = instance_state(instance)
        if state.modified:
            return None
        loaded = state.dict
        return {name: loaded[name] for name in self.spec.columns if name in loaded}

    def _one(self, instance: M | None) -> Any | None:
        """``(values,)``, ``(None,)`` for "no such row", None for "do not store"."""
        if instance is None:
            return (None,)
        values = self._values(instance)
        return None if values is None else (values,)

    def _pointer(self, instance: M | None) -> Any | None:
        """``(primary key,)`` or ``(None,)`` for "no row has this key"."""
        if instance is None:
            return (None,)
        key = instance_state(instance).key
        ident = None if key is None else self._ident(tuple(key[1]))
        return None if ident is None else (ident,)

    def _many(self, instances: builtins.list[M]) -> Any | None:
        rows = [self._values(instance) for instance in instances]
        return None if any(row is None for row in rows) else rows

    def _page(self, page: tuple[builtins.list[M], int]) -> Any | None:
        rows = self._many(page[0])
        return None if rows is None else (rows, page[1])

    def _rebuild_one(self, session: Session, payload: tuple[dict[str, Any] | None]) -> M | None:
        row = payload[0]
        return None if row is None else self._rebuild(session, row)

    def _rebuild(self, session: Session, row: dict[str, Any]) -> M:
        """The session's instance for a cached row: the one it holds, or one merged in."""
        spec = self.spec
        identity = spec.mapper.identity_key_from_primary_key(
            tuple(row[k] for k in spec.primary_key)
        )
        held = session.identity_map.get(identity)
        if held is not None:
            state = instance_state(held)
            for name in state.expired_attributes & row.keys():
                set_committed_value(held, name, row[name])
            return held  # type: ignore[no-any-return]
        # As a query loads a row: values straight into the instance dict, then an identity and
        # the session (make_transient_to_detached + add: merge(load=False) without its copy,
        # which costs ~30 us a row), then the load event (reconstructors).
        instance: M = spec.mapper.class_manager.new_instance()
        state = instance_state(instance)
        state.dict.update(row)
        make_transient_to_detached(instance)
        session.add(instance)
        if state.manager.dispatch.load:
            state.manager.dispatch.load(state, None)
        return instance


def _plain(value: T) -> Any:
    return value


_listening = False
_listening_lock = threading.Lock()


def _listen_once() -> None:
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
    if _CACHE not in session.info:
        return
    for instance in (*session.new, *session.dirty, *session.deleted):
        for cls in type(instance).__mro__:
            model_cache = _MODELS.get(cls)
            if model_cache is not None:
                model_cache.invalidate(session, (instance,))
                break


def _after_commit(session: Session) -> None:
    """After the outermost commit, replace the tokens of what the transaction wrote."""
    if session.in_nested_transaction():
        return  # a RELEASE SAVEPOINT: the outer transaction may still roll back
    pending = session.info.pop(_PENDING, None)
    cache: Cache | None = session.info.get(_CACHE)
    if not pending or cache is None:
        return
    try:
        cache._bump(pending)
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
        session.info.pop(_PENDING, None)
