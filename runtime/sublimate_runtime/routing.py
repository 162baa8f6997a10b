"""Read/write routing: one primary, any number of read replicas, sync and asyncio sessions.

A :class:`RoutingSession` picks the engine for each statement in ``get_bind``, the hook SQLAlchemy
documents for this (an ``AsyncSession`` runs it through ``sync_session_class``, so one class
serves both). The rules, in order:

1. Inside ``with primary():`` every statement goes to the primary.
2. Once the session has written (a flush, a DML statement, a ``FOR UPDATE`` read, a statement
   declared ``WRITE_INTENT``, or one whose intent is unknown, such as ``text()`` without
   ``READ_INTENT``), it stays on the primary until its transaction ends (commit, rollback,
   close): reads see the session's own writes. Asking for an engine without a statement
   (``dialect_of(session)``, ``session.connection()``) gets the primary without holding the
   session there; write through ``session.connection(bind_arguments=WRITE_INTENT)``.
3. Otherwise a ``SELECT`` (or a statement declared ``READ_INTENT``) goes to a replica. The replica
   is chosen round-robin once per transaction and kept for the rest of it: one connection per
   session instead of one per replica, and reads never go back in time by hopping from a replica
   that is ahead to one that lags.

Generated repositories declare their intent with ``bind_arguments=READ_INTENT`` or
``WRITE_INTENT`` (a plain ``Session`` ignores unknown bind arguments, so the same code runs
unrouted). DML always goes to the primary, whatever it declares. Those declarations and
``primary()`` live in :mod:`.intents`: this module needs nothing beyond SQLAlchemy, and is optional
only in that ``import sublimate_runtime`` does not load it until a routing name is first used.

Before a transaction's first read the chosen replica is checked out once from its pool. A replica
that refuses the connection is skipped with a :class:`ReplicaUnavailableWarning` and not tried
again for ``retry_after`` seconds; when none is left, reads fall back to the primary
(``fallback_to_primary=True``) or raise :class:`NoReplicaAvailableError`. The check costs a pool
checkout per transaction, not a round trip (unless the engines use ``pool_pre_ping``), and it
happens before any statement of the transaction ran, so skipping loses nothing. Give replica
engines a ``connect_timeout``: a replica that drops packets instead of refusing them costs that
long once per ``retry_after``.

Replicas lag: a session that did not write in its transaction may read data older than another
session's commit (and than its own previous transaction). Use ``primary()`` where that matters.
"""

from __future__ import annotations

import itertools
import time
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import URL, Connection
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from sqlalchemy.sql import ClauseElement
from sqlalchemy.util.concurrency import in_greenlet

from .errors import RepositoryError
from .intents import FORCED_PRIMARY, INTENT_KEY
from .session import create_async_engine, create_engine

if TYPE_CHECKING:  # asyncio support needs greenlet: imported only where it is used
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker


class ReplicaUnavailableWarning(UserWarning):
    """A replica refused a connection and is skipped for a while."""


class NoReplicaAvailableError(RepositoryError):
    """Every replica is unavailable and the router was told not to read from the primary."""

    def __init__(self, replicas: Sequence[Engine]) -> None:
        shown = ", ".join(str(engine.url) for engine in replicas) or "none configured"
        super().__init__("*", f"no read replica is available ({shown})")


class Router:
    """The engines of one primary and its replicas, and which replicas currently answer.

    Shared by every session of a factory (thread-safe: the round-robin counter is atomic and the
    health record is a dict of floats).
    """

    def __init__(
        self,
        primary: Engine,
        replicas: Sequence[Engine],
        *,
        fallback_to_primary: bool = True,
        retry_after: float = 5.0,
    ) -> None:
        self.primary = primary
        self.replicas = tuple(replicas)
        self.fallback_to_primary = fallback_to_primary
        self.retry_after = retry_after
        self._turn = itertools.count()
        self._down_until: dict[Engine, float] = {}

    def choose_replica(self) -> Engine:
        """The next replica that accepts a connection (round-robin), else the primary."""
        count = len(self.replicas)
        start = next(self._turn)
        now = time.monotonic()
        for offset in range(count):
            replica = self.replicas[(start + offset) % count]
            if self._down_until.get(replica, 0.0) <= now and self._accepts(replica):
                return replica
        if not self.fallback_to_primary:
            raise NoReplicaAvailableError(self.replicas)
        if count:
            warnings.warn(
                "no read replica is available: reading from the primary",
                ReplicaUnavailableWarning,
                stacklevel=2,
            )
        return self.primary

    def _accepts(self, replica: Engine) -> bool:
        """Check a connection out and back in; on failure mark the replica down and warn."""
        if replica.dialect.is_async and not in_greenlet():
            return True  # get_bind() called outside the session's greenlet: cannot connect here
        try:
            with replica.connect():
                pass
        except Exception as error:  # whatever the driver raises, this replica cannot serve now
            self._down_until[replica] = time.monotonic() + self.retry_after
            first_line = (str(error).strip().splitlines() or [""])[0]
            warnings.warn(
                f"read replica {replica.url} is unavailable ({type(error).__name__}: "
                f"{first_line}); skipped for {self.retry_after:g}s",
                ReplicaUnavailableWarning,
                stacklevel=3,
            )
            return False
        self._down_until.pop(replica, None)
        return True

    def dispose(self) -> None:
        """Close every pooled connection of the primary and the replicas."""
        for engine in (self.primary, *self.replicas):
            engine.dispose()


class AsyncRouter:
    """:class:`Router` for asyncio engines: routes on their sync faces (``router.sync``)."""

    def __init__(
        self,
        primary: AsyncEngine,
        replicas: Sequence[AsyncEngine],
        *,
        fallback_to_primary: bool = True,
        retry_after: float = 5.0,
    ) -> None:
        self.primary = primary
        self.replicas = tuple(replicas)
        self.sync = Router(
            primary.sync_engine,
            [replica.sync_engine for replica in replicas],
            fallback_to_primary=fallback_to_primary,
            retry_after=retry_after,
        )

    async def dispose(self) -> None:
        """Close every pooled connection of the primary and the replicas."""
        for engine in (self.primary, *self.replicas):
            await engine.dispose()


class RoutingSession(Session):
    """A ``Session`` whose ``get_bind`` applies the module's rules (see the module docstring).

    ``session.bind`` is the primary, so code that asks a session for its engine or dialect gets
    a real one (an ``AsyncSession`` made without ``bind`` has none, which is what breaks other
    routing layers on SQLAlchemy 2.1).
    """

    def __init__(
        self, bind: Engine | Connection | None = None, *, router: Router, **kwargs: Any
    ) -> None:
        super().__init__(bind=router.primary if bind is None else bind, **kwargs)
        self.router = router
        self._replica: Engine | None = None
        self._on_primary = False

    def get_bind(
        self,
        mapper: Any = None,
        *,
        clause: ClauseElement | None = None,
        bind: Engine | Connection | None = None,
        _sa_skip_events: bool | None = None,
        _sa_skip_for_implicit_returning: bool = False,
        **kw: Any,
    ) -> Engine | Connection:
        """The primary or this transaction's replica for ``clause`` (see the module rules)."""
        if bind is not None:
            return bind
        router = self.router
        intent = kw.get(INTENT_KEY)
        if self._on_primary or FORCED_PRIMARY.get():
            return router.primary
        if clause is None and intent is None and not self._flushing:
            # Asked for an engine, not for a statement: dialect_of(), session.connection().
            return router.primary
        if self._writes(clause, intent):
            self._on_primary = True
            return router.primary
        if self._replica is None:
            self._replica = router.choose_replica()
        return self._replica

    def _writes(self, clause: ClauseElement | None, intent: object) -> bool:
        """Whether the statement needs the primary: writes, locks, or intent unknown."""
        if self._flushing or intent == "write":
            return True
        if clause is None:
            return intent != "read"  # session.connection(bind_arguments=...)
        if clause.is_dml:
            return True
        if getattr(clause, "is_select", False):
            return getattr(clause, "_for_update_arg", None) is not None  # SELECT ... FOR UPDATE
        return intent != "read"  # text(), DDL, a function call: the primary unless declared

    @property
    def on_primary(self) -> bool:
        """Whether the session is held on the primary until its transaction ends."""
        return self._on_primary


@event.listens_for(RoutingSession, "after_transaction_end")
def _forget_route(session: Session, transaction: SessionTransaction) -> None:
    """At the end of the outermost transaction, drop the replica choice and the primary hold."""
    if transaction.parent is None and isinstance(session, RoutingSession):
        session._replica = None
        session._on_primary = False


def create_router(
    primary_url: str | URL,
    replica_urls: Sequence[str | URL],
    *,
    fallback_to_primary: bool = True,
    retry_after: float = 5.0,
    **engine_kwargs: Any,
) -> Router:
    """Engines for a primary and its replicas (the runtime's ``create_engine`` settings)."""
    return Router(
        create_engine(primary_url, **engine_kwargs),
        [create_engine(url, **engine_kwargs) for url in replica_urls],
        fallback_to_primary=fallback_to_primary,
        retry_after=retry_after,
    )


def create_async_router(
    primary_url: str | URL,
    replica_urls: Sequence[str | URL],
    *,
    fallback_to_primary: bool = True,
    retry_after: float = 5.0,
    **engine_kwargs: Any,
) -> AsyncRouter:
    """The asyncio twin of :func:`create_router` (asyncpg, aiosqlite, aiomysql URLs)."""
    return AsyncRouter(
        create_async_engine(primary_url, **engine_kwargs),
        [create_async_engine(url, **engine_kwargs) for url in replica_urls],
        fallback_to_primary=fallback_to_primary,
        retry_after=retry_after,
    )


def routing_session_factory(router: Router) -> sessionmaker[RoutingSession]:
    """Routed sessions that keep loaded values after commit, like ``session_factory``."""
    return sessionmaker(
        bind=router.primary, class_=RoutingSession, router=router, expire_on_commit=False
    )


def async_routing_session_factory(router: AsyncRouter) -> async_sessionmaker[AsyncSession]:
    """Routed ``AsyncSession``s: a ``RoutingSession`` underneath, bound to the primary."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    return async_sessionmaker(
        bind=router.primary,
        sync_session_class=RoutingSession,
        router=router.sync,
        expire_on_commit=False,
    )
