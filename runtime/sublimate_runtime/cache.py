"""Caching of repository reads in a dogpile.cache region, invalidated only by committed writes.

Install the extra (``sublimate-runtime[cache]``: importing this module without dogpile.cache fails
with one line naming it), make a region, attach it to a session factory::

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

Where things are: this module holds :class:`Cache` (attaching, key names, token bumps);
:mod:`.cache_model` the :class:`ModelCache` reads and write registration; :mod:`.cache_tokens`
the lookups and fills under tokens; :mod:`.cache_invalidation` what a transaction wrote and the
session events acting on it; :mod:`.cache_rows` what the cache knows of a model and how rows become
payloads and instances again; :mod:`.cache_outage` the fallback to ``load`` in an outage;
:mod:`.cache_store` and :mod:`.cache_codec` the bytes in the backend.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement, TableClause, visitors

from .cache_invalidation import CACHE_INFO, CacheInvalidationWarning, Pending, listen_once
from .cache_model import ModelCache
from .cache_rows import ModelSpec, spec_of
from .cache_store import Store, Unavailable
from .cache_tokens import StampedEntries
from .extras import missing_extra

try:  # a Cache wraps a dogpile region: without dogpile.cache, fail here, naming the extra
    from dogpile.cache import CacheRegion
except ModuleNotFoundError as error:
    raise missing_extra(error, extra="cache", needed_by=__name__) from None

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
    from sqlalchemy.orm import sessionmaker

__all__ = ["Cache", "CacheInvalidationWarning", "ModelCache"]

F = TypeVar("F", bound="sessionmaker[Any] | async_sessionmaker[Any] | Session | AsyncSession")

_SHAPES_MAX = 4096


class Cache:
    """A dogpile region with what the runtime keeps beside it; attach it to session factories.

    It names the keys (entries and the tokens they are stamped with, under ``namespace``) and
    replaces tokens after commits; :mod:`.cache_tokens` reads and fills the entries.
    """

    def __init__(
        self,
        region: CacheRegion,
        *,
        namespace: str = "sublimate",
        fill_from_primary: bool = True,
        warn_every: float = 30.0,
    ) -> None:
        listen_once()
        self.region = region
        self.namespace = namespace
        store = Store(region, f"{namespace}:generation", warn_every=warn_every)
        self._entries = StampedEntries(store, fill_from_primary=fill_from_primary)
        self._shapes: dict[Any, tuple[str, tuple[str, ...]]] = {}

    @property
    def fill_from_primary(self) -> bool:
        """Misses are filled from the primary when routing is in use (see the module doc)."""
        return self._entries.fill_from_primary

    @fill_from_primary.setter
    def fill_from_primary(self, wanted: bool) -> None:
        self._entries.fill_from_primary = wanted

    def attach(self, target: F) -> F:
        """Make sessions of this factory (or this one session) use the cache; returns ``target``."""
        found: Any = target
        if isinstance(found, Session):
            found.info[CACHE_INFO] = self
        elif hasattr(found, "sync_session"):  # AsyncSession: its info is the sync session's
            found.sync_session.info[CACHE_INFO] = self
        else:  # sessionmaker / async_sessionmaker: every session they make
            found.kw["info"] = {**(found.kw.get("info") or {}), CACHE_INFO: self}
        return target

    def invalidate_model(self, model: type[Any]) -> None:
        """Invalidate every cached entry of ``model`` now (after writes the runtime cannot see)."""
        spec = spec_of(model)
        try:
            self._entries.replace_tokens(
                [self._epoch_key(spec), *(self._gen_key(table) for table in spec.tables)]
            )
        except Unavailable:  # the bump after recovery orphans every entry, these included
            warnings.warn(
                "cache invalidation failed: the backend is unavailable; every entry is dropped "
                "when it is reachable again",
                CacheInvalidationWarning,
                stacklevel=2,
            )

    # keys ------------------------------------------------------------------------------------

    def _epoch_key(self, spec: ModelSpec) -> str:
        return f"{self.namespace}:{spec.name}:epoch"

    def _gen_key(self, table: str) -> str:
        return f"{self.namespace}:table:{table}"

    def _row_keys(self, spec: ModelSpec, ident: tuple[Any, ...]) -> tuple[str, str]:
        base = f"{self.namespace}:{spec.name}:row:{ident!r}"
        return base + ":token", base

    def _unique_keys(self, spec: ModelSpec, key: str, values: tuple[Any, ...]) -> tuple[str, str]:
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

    # invalidation after commit ---------------------------------------------------------------

    def _bump(self, pending: Mapping[ModelCache[Any], Pending]) -> None:
        """Replace the tokens of what a committed transaction wrote (one ``set_multi``)."""
        names: list[str] = []
        for model_cache, what in pending.items():
            spec = model_cache.spec
            names += (self._gen_key(table) for table in spec.tables)
            if what.everything:
                names.append(self._epoch_key(spec))
            names += (self._row_keys(spec, ident)[0] for ident in what.rows)
            names += (self._unique_keys(spec, name, values)[0] for name, values in what.keys)
        self._entries.replace_tokens(names)
