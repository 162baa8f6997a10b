"""Caching of repository reads in a dogpile.cache region, invalidated only by committed writes.

Install the extra (``sublimate-runtime[cache]``), make a region, attach it to a session factory::

    region = make_region().configure("dogpile.cache.redis", arguments={...})
    Session = Cache(region).attach(session_factory(engine))

Generated repositories of models that opted in call a module-level :class:`ModelCache`; without an
attached :class:`Cache` those calls run the query as if there were no cache.

What is cached: the column values of rows, never ORM objects, as msgpack decoded strictly by
column type (see :mod:`.cache_codec`: nothing in the store is ever unpickled). A hit rebuilds
the row as a persistent instance of the caller's session, as a query would load it (``load``
event included), or returns the instance the session already holds, filling only its expired
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

A failing backend is an outage of the cache, not of reads (see :mod:`.cache_store`): reads go to
the database with a ``CacheUnavailableWarning`` at most every ``warn_every`` seconds, commits stand
with a ``CacheInvalidationWarning``, and the first successful contact afterwards replaces the
generation token every stamp includes, so nothing cached before the outage is served again.

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

from .cache_codec import (
    DECODE_ERRORS,
    ENCODE_ERRORS,
    ENCODER,
    RECORD,
    SCALAR_KIND,
    TOKEN,
    Kind,
    RowCodec,
)
from .cache_store import Store, Unavailable
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
        self,
        region: CacheRegion,
        *,
        namespace: str = "sublimate",
        fill_from_primary: bool = True,
        warn_every: float = 30.0,
    ) -> None:
        _listen_once()
        self.region = region
        self.namespace = namespace
        self.fill_from_primary = fill_from_primary
        self._entries = Store(region, f"{namespace}:generation", warn_every=warn_every)
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
        token = ENCODER.encode(_new_token())
        keys = [self._epoch_key(spec), *(self._gen_key(table) for table in spec.tables)]
        try:
            self._entries.set_multi(dict.fromkeys(keys, token))
        except Unavailable:  # the bump after recovery orphans every entry, these included
            warnings.warn(
                "cache invalidation failed: the backend is unavailable; every entry is dropped "
                "when it is reachable again",
                CacheInvalidationWarning,
                stacklevel=2,
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

    def _lookup(
        self, tokens: Sequence[str], key: str, decode: Callable[[Any], Any]
    ) -> tuple[bool, Any]:
        """(True, payload) when ``key`` holds an entry stored under the current ``tokens``.

        The generation token comes first in every stamp (see :mod:`.cache_store`). Raises
        ``Unavailable`` when the backend fails; an entry that does not decode is a miss.
        """
        names = [self._entries.generation_key, *tokens]
        *raw_tokens, record = self._entries.get_multi([*names, key])
        if record is None or any(token is None for token in raw_tokens):
            return False, None
        try:
            current = [TOKEN.decode(token) for token in raw_tokens]  # type: ignore[arg-type]
            stamp, payload = RECORD.decode(record)
            if stamp != current:
                return False, None
            return True, decode(payload)
        except DECODE_ERRORS as error:
            self._entries.reject(key, error)
            return False, None

    def _tokens_for_fill(self, tokens: Sequence[str]) -> list[str]:
        """The current tokens, creating missing ones: called before the query, never after."""
        names = [self._entries.generation_key, *tokens]
        current: list[str | None] = []
        for name, raw in zip(names, self._entries.get_multi(names), strict=True):
            try:
                current.append(None if raw is None else TOKEN.decode(raw))
            except DECODE_ERRORS as error:
                self._entries.reject(name, error)
                current.append(None)
        pairs = list(zip(names, current, strict=True))
        created = {name: _new_token() for name, value in pairs if value is None}
        if created:
            self._entries.set_multi({name: ENCODER.encode(t) for name, t in created.items()})
        return [created.get(name, value) or "" for name, value in pairs]

    def _store(self, key: str, stamp: list[str], payload: Any) -> None:
        """Store ``payload`` under ``stamp``; an unencodable value or a failed backend is skipped
        (the caller already has its value)."""
        try:
            body = ENCODER.encode((stamp, payload))
        except ENCODE_ERRORS:
            log.debug("not cached: %s holds a value msgpack cannot encode", key)
            return
        try:
            self._entries.set_multi({key: body})
        except Unavailable:
            return

    def _mutex(self, key: str) -> Any:
        distributed = self._entries.mutex(key)
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
        kind: Kind,
    ) -> tuple[bool, Any]:
        """(True, payload) on a hit, (False, loaded value) after running ``load`` (one runner).

        Raises ``Unavailable`` when the backend fails before ``load`` ran; a failure after it
        only skips storing."""
        from dogpile import Lock, NeedRegenerationException

        def cached() -> tuple[tuple[bool, Any], float]:
            hit, payload = self._lookup(tokens, key, kind.decode)
            if not hit:
                raise NeedRegenerationException()
            return (True, payload), 1.0

        def create() -> tuple[tuple[bool, Any], float]:
            stamp = self._tokens_for_fill(tokens)
            with _maybe_primary(self.fill_from_primary):
                value = load()
            payload = kind.encode(value)
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
        kind: Kind,
    ) -> tuple[bool, Any]:
        """The asyncio twin of :meth:`_fetch` (a per-key ``asyncio.Lock``)."""
        hit, payload = self._lookup(tokens, key, kind.decode)
        if hit:
            return True, payload
        async with self._async_lock(key):
            hit, payload = self._lookup(tokens, key, kind.decode)
            if hit:
                return True, payload
            stamp = self._tokens_for_fill(tokens)
            with _maybe_primary(self.fill_from_primary):
                value = await load()
            encoded = kind.encode(value)
            if encoded is not None:
                self._store(key, stamp, encoded)
            return False, value

    def _refill(
        self,
        tokens: Sequence[str],
        key: str,
        load: Callable[[], T],
        kind: Kind,
    ) -> T:
        """Replace an entry that is current by its tokens but was found wrong (no lock: rare)."""
        stamp = self._tokens_for_fill(tokens)
        with _maybe_primary(self.fill_from_primary):
            value = load()
        payload = kind.encode(value)
        if payload is not None:
            self._store(key, stamp, payload)
        return value

    async def _arefill(
        self,
        tokens: Sequence[str],
        key: str,
        load: Callable[[], Awaitable[T]],
        kind: Kind,
    ) -> T:
        """The asyncio twin of :meth:`_refill`."""
        stamp = self._tokens_for_fill(tokens)
        with _maybe_primary(self.fill_from_primary):
            value = await load()
        payload = kind.encode(value)
        if payload is not None:
            self._store(key, stamp, payload)
        return value

    def _bump(self, pending: Mapping[ModelCache[Any], _Pending]) -> None:
        token = ENCODER.encode(_new_token())
        bumped: dict[str, bytes] = {}
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
        self._entries.set_multi(bumped)


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


@dataclass(frozen=True, slots=True)
class _Kinds:
    """The payload kinds of one model's reads."""

    one: Kind
    pointer: Kind
    many: Kind
    page: Kind


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
        self._kinds: _Kinds | None = None
        _MODELS[model] = self

    @property
    def spec(self) -> _Spec:
        if self._spec is None:
            self._spec = _spec_of(self.model)
        return self._spec

    @property
    def kinds(self) -> _Kinds:
        """How this model's payloads are encoded and decoded (built once it is configured)."""
        if self._kinds is None:
            spec = self.spec
            codec = RowCodec(spec.name, spec.columns, spec.types, spec.primary_key)
            self._kinds = _Kinds(
                one=Kind(lambda v: codec.one.encode(self._one(v)), codec.one.decode),
                pointer=Kind(
                    lambda v: codec.pointer.encode(self._pointer(v)), codec.pointer.decode
                ),
                many=Kind(lambda v: codec.many.encode(self._many(v)), codec.many.decode),
                page=Kind(lambda v: codec.page.encode(self._page(v)), codec.page.decode),
            )
        return self._kinds

    # reads: the public calls fall back to ``load`` when the backend is unavailable -------------

    def get(
        self, session: Session, ident: tuple[Any, ...], load: Callable[[], M | None]
    ) -> M | None:
        """``session.get`` through the cache: ``load`` runs only on a miss."""
        try:
            return self._get(session, ident, load)
        except Unavailable:
            return load()

    def get_by(
        self, session: Session, key: str, values: tuple[Any, ...], load: Callable[[], M | None]
    ) -> M | None:
        """A ``get_by_<key>`` through the cache: a pointer to the primary key, checked on use."""
        try:
            return self._get_by(session, key, values, load)
        except Unavailable:
            return load()

    def list(
        self,
        session: Session,
        statement: ClauseElement,
        load: Callable[[], builtins.list[M]],
    ) -> builtins.list[M]:
        """Rows of ``statement`` (a ``select`` of the model) through the cache."""
        try:
            return self._list(session, statement, load)
        except Unavailable:
            return load()

    def list_and_count(
        self,
        session: Session,
        statement: ClauseElement,
        load: Callable[[], tuple[builtins.list[M], int]],
    ) -> tuple[builtins.list[M], int]:
        """A page and its total (``list_and_count``) through the cache."""
        try:
            return self._list_and_count(session, statement, load)
        except Unavailable:
            return load()

    def scalar(self, session: Session, statement: ClauseElement, load: Callable[[], T]) -> T:
        """A plain value (``count``, ``exists``: bool, int, float or str) through the cache."""
        try:
            return self._scalar(session, statement, load)
        except Unavailable:
            return load()

    async def aget(
        self,
        session: AsyncSession,
        ident: tuple[Any, ...],
        load: Callable[[], Awaitable[M | None]],
    ) -> M | None:
        """:meth:`get` for an ``AsyncSession``."""
        try:
            return await self._aget(session, ident, load)
        except Unavailable:
            return await load()

    async def aget_by(
        self,
        session: AsyncSession,
        key: str,
        values: tuple[Any, ...],
        load: Callable[[], Awaitable[M | None]],
    ) -> M | None:
        """:meth:`get_by` for an ``AsyncSession``."""
        try:
            return await self._aget_by(session, key, values, load)
        except Unavailable:
            return await load()

    async def alist(
        self,
        session: AsyncSession,
        statement: ClauseElement,
        load: Callable[[], Awaitable[builtins.list[M]]],
    ) -> builtins.list[M]:
        """:meth:`list` for an ``AsyncSession``."""
        try:
            return await self._alist(session, statement, load)
        except Unavailable:
            return await load()

    async def alist_and_count(
        self,
        session: AsyncSession,
        statement: ClauseElement,
        load: Callable[[], Awaitable[tuple[builtins.list[M], int]]],
    ) -> tuple[builtins.list[M], int]:
        """:meth:`list_and_count` for an ``AsyncSession``."""
        try:
            return await self._alist_and_count(session, statement, load)
        except Unavailable:
            return await load()

    async def ascalar(
        self, session: AsyncSession, statement: ClauseElement, load: Callable[[], Awaitable[T]]
    ) -> T:
        """:meth:`scalar` for an ``AsyncSession``."""
        try:
            return await self._ascalar(session, statement, load)
        except Unavailable:
            return await load()

    # reads: sync -----------------------------------------------------------------------------

    def _get(
        self, session: Session, ident: tuple[Any, ...], load: Callable[[], M | None]
    ) -> M | None:
        """``session.get`` through the cache: ``load`` runs only on a miss."""
        cache = self._usable(session)
        key = self._ident(ident)
        if cache is None or key is None or self._in_identity_map(session, key):
            return load()
        hit, value = cache._fetch(
            self._row_tokens(cache, key), cache._row_keys(self.spec, key)[1], load, self.kinds.one
        )
        return self._rebuild_one(session, value) if hit else value

    def _get_by(
        self, session: Session, key: str, values: tuple[Any, ...], load: Callable[[], M | None]
    ) -> M | None:
        """A ``get_by_<key>`` through the cache: a pointer to the primary key, checked on use."""
        cache = self._usable(session)
        normalized = self.spec.normalized(self.unique_keys[key], values)
        if cache is None or normalized is None:
            return load()
        tokens, pointer = self._key_entry(cache, key, normalized)
        hit, value = cache._lookup(tokens, pointer, self.kinds.pointer.decode)
        if not hit:
            hit, value = cache._fetch(tokens, pointer, load, self.kinds.pointer)
            if not hit:
                return value  # type: ignore[no-any-return]
        ident = value[0]
        if ident is None:
            return None
        found = self.get(session, ident, lambda: self._load_by_pk(session, ident))
        if found is not None and self._has_key(found, key, values):
            return found
        # The row moved off this key since the pointer was stored: look the key up again.
        return cache._refill(tokens, pointer, load, self.kinds.pointer)

    def _list(
        self,
        session: Session,
        statement: ClauseElement,
        load: Callable[[], builtins.list[M]],
    ) -> builtins.list[M]:
        """Rows of ``statement`` (a ``select`` of the model) through the cache."""
        found = self._query(session, statement, load, self.kinds.many)
        if found is None:
            return load()
        hit, value = found
        if not hit:
            return value  # type: ignore[no-any-return]
        return [self._rebuild(session, row) for row in value]

    def _list_and_count(
        self,
        session: Session,
        statement: ClauseElement,
        load: Callable[[], tuple[builtins.list[M], int]],
    ) -> tuple[builtins.list[M], int]:
        """A page and its total (``list_and_count``) through the cache."""
        found = self._query(session, statement, load, self.kinds.page)
        if found is None:
            return load()
        hit, value = found
        if not hit:
            return value  # type: ignore[no-any-return]
        rows, total = value
        return [self._rebuild(session, row) for row in rows], total

    def _scalar(self, session: Session, statement: ClauseElement, load: Callable[[], T]) -> T:
        """:meth:`scalar` without the outage fallback."""
        found = self._query(session, statement, load, SCALAR_KIND)
        if found is None:
            return load()
        return found[1]  # type: ignore[no-any-return]

    # reads: asyncio --------------------------------------------------------------------------

    async def _aget(
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
            self._row_tokens(cache, key), cache._row_keys(self.spec, key)[1], load, self.kinds.one
        )
        return self._rebuild_one(sync, value) if hit else value

    async def _aget_by(
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
        hit, value = cache._lookup(tokens, pointer, self.kinds.pointer.decode)
        if not hit:
            hit, value = await cache._afetch(tokens, pointer, load, self.kinds.pointer)
            if not hit:
                return value  # type: ignore[no-any-return]
        ident = value[0]
        if ident is None:
            return None
        found = await self.aget(session, ident, lambda: self._aload_by_pk(session, ident))
        if found is not None and self._has_key(found, key, values):
            return found
        return await cache._arefill(tokens, pointer, load, self.kinds.pointer)

    async def _alist(
        self,
        session: AsyncSession,
        statement: ClauseElement,
        load: Callable[[], Awaitable[builtins.list[M]]],
    ) -> builtins.list[M]:
        """:meth:`list` for an ``AsyncSession``."""
        found = await self._aquery(session, statement, load, self.kinds.many)
        if found is None:
            return await load()
        hit, value = found
        if not hit:
            return value  # type: ignore[no-any-return]
        return [self._rebuild(session.sync_session, row) for row in value]

    async def _alist_and_count(
        self,
        session: AsyncSession,
        statement: ClauseElement,
        load: Callable[[], Awaitable[tuple[builtins.list[M], int]]],
    ) -> tuple[builtins.list[M], int]:
        """:meth:`list_and_count` for an ``AsyncSession``."""
        found = await self._aquery(session, statement, load, self.kinds.page)
        if found is None:
            return await load()
        hit, value = found
        if not hit:
            return value  # type: ignore[no-any-return]
        rows, total = value
        return [self._rebuild(session.sync_session, row) for row in rows], total

    async def _ascalar(
        self, session: AsyncSession, statement: ClauseElement, load: Callable[[], Awaitable[T]]
    ) -> T:
        """:meth:`scalar` for an ``AsyncSession``."""
        found = await self._aquery(session, statement, load, SCALAR_KIND)
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
        kind: Kind,
    ) -> tuple[bool, Any] | None:
        cache = self._usable(session)
        shape = None if cache is None else self._own_shape(cache, statement)
        if cache is None or shape is None:
            return None
        key, tables = shape
        return cache._fetch([cache._gen_key(table) for table in tables], key, load, kind)

    async def _aquery(
        self,
        session: AsyncSession,
        statement: ClauseElement,
        load: Callable[[], Awaitable[T]],
        kind: Kind,
    ) -> tuple[bool, Any] | None:
        cache = await self._ausable(session)
        shape = None if cache is None else self._own_shape(cache, statement)
        if cache is None or shape is None:
            return None
        key, tables = shape
        return await cache._afetch([cache._gen_key(table) for table in tables], key, load, kind)

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
        session.info.pop(_PENDING, None)
