"""The cache calls of one model's generated repository: reads through the cache, writes registered.

A read runs its ``load`` (the query) instead of the cache when the session has no cache attached,
when its transaction wrote the model (read-your-writes, until the transaction ends), when the
backend is unavailable (:mod:`.cache_outage`), or when the statement also reads tables of other
models (writes to those would not invalidate the entry). Pending changes are flushed before a
cached read, as autoflush would before a query. See :mod:`.cache` for the protocol.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

from .cache_codec import SCALAR_KIND, Kind
from .cache_invalidation import MODEL_CACHES, attached_cache, pending_writes, wrote
from .cache_outage import load_on_outage
from .cache_rows import Kinds, ModelSpec, kinds_of, rebuild, rebuild_one, spec_of
from .intents import READ_INTENT
from .loading import RAISE

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from .cache import Cache

M = TypeVar("M")
T = TypeVar("T")


class ModelCache(Generic[M]):
    """The cache calls of one model's generated repository (a module-level constant there).

    ``unique_keys`` maps each ``get_by_<key>`` name to its attribute names. Every read method
    takes the session, what identifies the result, and a zero-argument ``load`` that runs the
    query; when the cache backend is unavailable, the read calls ``load``. Async repositories
    call the same methods, on the sync session inside ``AsyncSession.run_sync`` (a miss then
    waits on a per-key ``asyncio.Lock`` through ``await_only``: :mod:`.cache_tokens`).
    """

    def __init__(
        self, model: type[M], *, unique_keys: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        self.model = model
        self.unique_keys = {name: tuple(attrs) for name, attrs in (unique_keys or {}).items()}
        self._spec: ModelSpec | None = None
        self._kinds: Kinds | None = None
        MODEL_CACHES[model] = self

    @property
    def spec(self) -> ModelSpec:
        if self._spec is None:
            self._spec = spec_of(self.model)
        return self._spec

    @property
    def kinds(self) -> Kinds:
        """How this model's payloads are encoded and decoded (built once it is configured)."""
        if self._kinds is None:
            self._kinds = kinds_of(self.spec)
        return self._kinds

    # reads: sync -----------------------------------------------------------------------------

    @load_on_outage
    def get(
        self, session: Session, ident: tuple[Any, ...], load: Callable[[], M | None]
    ) -> M | None:
        """``session.get`` through the cache: ``load`` runs only on a miss."""
        cache = self._usable(session)
        key = self.spec.ident(ident)
        if cache is None or key is None or self._in_identity_map(session, key):
            return load()
        hit, value = cache._entries.fetch(
            self._row_tokens(cache, key), cache._row_keys(self.spec, key)[1], load, self.kinds.one
        )
        return rebuild_one(self.spec, session, value) if hit else value  # type: ignore[no-any-return]

    @load_on_outage
    def get_by(
        self, session: Session, key: str, values: tuple[Any, ...], load: Callable[[], M | None]
    ) -> M | None:
        """A ``get_by_<key>`` through the cache: a pointer to the primary key, checked on use."""
        cache = self._usable(session)
        normalized = self.spec.normalized(self.unique_keys[key], values)
        if cache is None or normalized is None:
            return load()
        tokens, pointer = self._key_entry(cache, key, normalized)
        hit, value = cache._entries.lookup(tokens, pointer, self.kinds.pointer.decode)
        if not hit:
            hit, value = cache._entries.fetch(tokens, pointer, load, self.kinds.pointer)
            if not hit:
                return value  # type: ignore[no-any-return]
        ident = value[0]
        if ident is None:
            return None
        found = self.get(session, ident, lambda: self._load_by_pk(session, ident))
        if found is not None and self._has_key(found, key, values):
            return found
        # The row moved off this key since the pointer was stored: look the key up again.
        return cache._entries.refill(tokens, pointer, load, self.kinds.pointer)

    @load_on_outage
    def list(
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
        spec = self.spec
        return [rebuild(spec, session, row) for row in value]

    @load_on_outage
    def list_and_count(
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
        spec = self.spec
        return [rebuild(spec, session, row) for row in rows], total

    @load_on_outage
    def scalar(self, session: Session, statement: ClauseElement, load: Callable[[], T]) -> T:
        """A plain value (``count``, ``exists``: bool, int, float or str) through the cache."""
        found = self._query(session, statement, load, SCALAR_KIND)
        if found is None:
            return load()
        return found[1]  # type: ignore[no-any-return]

    # writes ----------------------------------------------------------------------------------

    def invalidate(self, session: Session | AsyncSession, instances: Iterable[M]) -> None:
        """Register rows a write touched; their entries and the model's lists go after commit.

        Pass the rows as the write returns them (after UPDATE/DELETE ... RETURNING, or after
        flush): their primary keys and current unique-key values are recorded now.
        """
        pending = pending_writes(session.info, self)
        if pending is None:
            return
        for instance in instances:
            pending.record(self.spec, self.unique_keys, instance)

    def invalidate_all(self, session: Session | AsyncSession) -> None:
        """Register a write whose rows are unknown: every entry of the model goes after commit."""
        pending = pending_writes(session.info, self)
        if pending is not None:
            pending.everything = True

    # internals -------------------------------------------------------------------------------

    def _usable(self, session: Session) -> Cache | None:
        """The session's cache, or None: no cache, or this transaction wrote the model."""
        cache = attached_cache(session.info)
        if cache is None:
            return None
        if session.autoflush and (session.new or session.deleted or session.dirty):
            session.flush()  # what autoflush would do before a query; registers the writes
        if wrote(session.info, self):
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
        return cache._entries.fetch([cache._gen_key(table) for table in tables], key, load, kind)

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

    def _load_by_pk(self, session: Session, ident: tuple[Any, ...]) -> M | None:
        return session.get(self.model, ident, options=[RAISE], bind_arguments=READ_INTENT)
